import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { asDetail, type CompletionScorer, type ScoreContext } from '../../src/reward/scorer.ts';
import { scorerRegistry } from '../../src/reward/scorer-factory.ts';
import {
  arcticSqlScorer, clusterByExecution, reasoningSqlPreset, skyrlSqlScorer, SqlHarness, sqlR1LengthBonus, sqlR1Reward,
  sqlR1Scorer, sqlScorers,
} from '../../rewards/sql/index.ts';

const SHOP = join(import.meta.dirname, '../../datasets/sql/shop.sqlite');
const GOLD = 'SELECT COUNT(*) FROM customers';

function ctx(text: string): ScoreContext {
  return { prompt: { text: 'q' }, completion: { text, finishReason: 'stop' }, row: { db: SHOP }, gold: GOLD, index: 0,
    step: 0 };
}

async function value(scorer: CompletionScorer, text: string) {
  return asDetail(await scorer.score(ctx(text)));
}

const r1 = (sql: string) => `<think>abc</think><answer>\`\`\`sql\n${sql}\n\`\`\`</answer>`;

describe('SQL-R1 preset', () => {
  test('match: format 1 + executable 2 + result 3 + length bonus (T = 3 + 41, |sql|/|answer| = 30/41)', async () => {
    const text = r1('SELECT COUNT(*) FROM customers');
    const bonus = 0.5 * 44 / 2048 + 30 / 41;
    expect(sqlR1LengthBonus(text, 'SELECT COUNT(*) FROM customers')).toBeCloseTo(bonus, 12);
    const r = await value(sqlR1Scorer, text);
    expect(r.score).toBeCloseTo(6 + bonus, 12);
    expect(r).toMatchObject({ correct: true, components: { format: 1, execution: 2, result: 3 } });
  });

  test('executable but wrong: 1 + 2 − 3 = 0; not executable: 1 − 2 = −1; bad format: −1', async () => {
    expect((await value(sqlR1Scorer, r1('SELECT COUNT(*) FROM orders'))).score).toBe(0);
    expect((await value(sqlR1Scorer, r1('SELECT COUNT(*) FROM clients'))).score).toBe(-1);
    expect((await value(sqlR1Scorer, '```sql\nSELECT COUNT(*) FROM customers\n```')).score).toBe(-1);
  });

  test('the length bonus saturates at T = 2048 characters', () => {
    const long = `<think>${'x'.repeat(5000)}</think><answer>SELECT 1</answer>`;
    expect(sqlR1LengthBonus(long, 'SELECT 1')).toBe(1.5);
  });

  test('uses bagOrderAware comparison by default, runs in the pool, and scores a timeout as −1', async () => {
    expect(sqlR1Scorer.options?.compare).toBe('bagOrderAware');
    expect(sqlR1Scorer.worker).toMatch(/sql-presets\.ts$/);
    expect(sqlR1Scorer.incorrectValue).toBe(-1);
    expect(() => sqlR1Reward.options.parse({ nope: 1 })).toThrow();
  });
});

describe('Arctic-Text2SQL-R1 and SkyRL-SQL presets', () => {
  test('Arctic: 1 match, 0.1 executable but wrong, 0 otherwise', async () => {
    expect((await value(arcticSqlScorer, r1('SELECT 90'))).score).toBe(1);
    expect((await value(arcticSqlScorer, r1('SELECT 91'))).score).toBe(0.1);
    expect((await value(arcticSqlScorer, r1('SELECT x'))).score).toBe(0);
    expect((await value(arcticSqlScorer, 'no sql'))).toMatchObject({ score: 0, note: 'unparseable' });
  });

  test('SkyRL: −1 invalid format, 0 mismatch, 1 match', async () => {
    expect(skyrlSqlScorer.options?.extraction).toBe('solution');
    expect((await value(skyrlSqlScorer, '<think>t</think><solution>SELECT 90</solution>')).score).toBe(1);
    expect((await value(skyrlSqlScorer, '<think>t</think><solution>SELECT 89</solution>')).score).toBe(0);
    expect((await value(skyrlSqlScorer, '<solution>SELECT 90</solution>')).score).toBe(-1);
  });

  test('the family registers under unique names, including every scorer the Reasoning-SQL preset names', () => {
    const registry = scorerRegistry(sqlScorers);
    expect([...registry.keys()].sort()).toEqual(['sql_arctic', 'sql_column_recall', 'sql_exec_match',
      'sql_executes', 'sql_ngram', 'sql_qatch', 'sql_r1', 'sql_r1_format', 'sql_reasoning_format', 'sql_result_f1',
      'sql_schema_linking', 'sql_skyrl', 'sql_skyrl_format', 'sql_table_recall', 'sql_think2sql',
      'sql_think2sql_format']);
    for (const term of reasoningSqlPreset) if (term.scorer !== 'judge') expect(registry.has(term.scorer)).toBe(true);
  });

  test('Reasoning-SQL preset weights (framework defaults of §7.10)', () => {
    expect(Object.fromEntries(reasoningSqlPreset.map((t) => [t.scorer, t.weight]))).toEqual({
      sql_exec_match: 3, judge: 1, sql_executes: 1, sql_schema_linking: 1, sql_ngram: 1, sql_reasoning_format: 0.5,
      sql_result_f1: 0,
    });
    expect(reasoningSqlPreset.find((t) => t.scorer === 'judge')?.gate).toEqual({ on: 'sql_exec_match', when: 'fail',
      threshold: 1 });
  });
});

describe('self-consistency by execution (§7.11)', () => {
  let harness: SqlHarness;
  beforeAll(async () => { harness = await SqlHarness.create(); });

  test('largest result cluster wins; representative is its shortest query; failures abstain', () => {
    const vote = clusterByExecution(harness, SHOP, [
      'SELECT COUNT(*) FROM customers',
      'SELECT count(customer_id) FROM customers',
      'SELECT COUNT(*) FROM orders',
      null,
      'SELECT nope',
      'SELECT 90',
    ]);
    expect(vote.clusters.map((c) => c.members)).toEqual([[0, 1, 5], [2]]);
    expect(vote.winner).toEqual({ members: [0, 1, 5], representative: 5 });
    expect(vote.abstained).toEqual([3, 4]);
  });

  test('results are compared as row sets; ties go to the cluster whose first member is earliest', () => {
    const vote = clusterByExecution(harness, SHOP, [
      'SELECT status FROM orders',
      'SELECT DISTINCT status FROM orders ORDER BY status DESC',
      'SELECT country FROM customers',
      'SELECT DISTINCT country FROM customers',
    ]);
    expect(vote.clusters.map((c) => c.members)).toEqual([[0, 1], [2, 3]]);
    expect(vote.winner?.members).toEqual([0, 1]);
    expect(clusterByExecution(harness, SHOP, [null, 'SELECT x']).winner).toBeNull();
  });
});
