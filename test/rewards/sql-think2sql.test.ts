import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { asDetail, type CompletionScorer, type Row, type ScoreContext } from '../../src/reward/scorer.ts';
import { scorerRegistry } from '../../src/reward/scorer-factory.ts';
import { runWorkerTask } from '../../src/reward/worker-task.ts';
import {
  cellPrecision, cellRecall, listRecall, qatchScores, type SqlCell, sqlColumnRecallScorer, sqlQatchScorer,
  sqlQatchScorerWith, sqlScorers, sqlTableRecallScorer, taggedList, taggedRecallScorerWith, THINK2SQL_MULTI_TAGS,
  think2sqlFormat, think2sqlFormatScore, think2sqlPreset, think2sqlReward, think2sqlScorer, think2sqlScorerWith,
  tupleCardinality, tupleConstraint, tupleOrder,
} from '../../rewards/sql/index.ts';
import { rowKey } from '../../rewards/sql/result-rows.ts';

const SHOP = join(import.meta.dirname, '../../datasets/sql/shop.sqlite');
/** [[1, Books], [2, Electronics], [3, Garden]]: six distinct cells. */
const GOLD = 'SELECT category_id, name FROM categories WHERE category_id <= 3';
/** [[2, Electronics], [3, Garden], [4, Kitchen], [5, Sports]]: eight distinct cells, four shared with GOLD. */
const PARTIAL = 'SELECT category_id, name FROM categories WHERE category_id BETWEEN 2 AND 5';
/** cp_cr_tc of PARTIAL: (CP 4/8 + CR 4/6 + TC 3/4) / 3 = (1/2 + 2/3 + 3/4) / 3 = 23/36. */
const PARTIAL_CP_CR_TC = 23 / 36;

function table(...rows: SqlCell[][]) {
  return { rows, rowKeys: rows.map(rowKey) };
}

function ctx(text: string, step = 0, gold = GOLD, row: Row = {}): ScoreContext {
  return { prompt: { text: 'q' }, completion: { text, finishReason: 'stop' }, row: { db: SHOP, ...row }, gold,
    index: 0, step };
}

async function detail(scorer: CompletionScorer, text: string, step = 0, gold = GOLD, row: Row = {}) {
  return asDetail(await scorer.score(ctx(text, step, gold, row)));
}

/** Think2SQL's format: reasoning then a bare-SQL answer. */
const tagged = (sql: string) => `<reasoning>\nthink\n</reasoning>\n<answer>\n${sql}\n</answer>`;
/** No reasoning block: fails the format check, but the fenced SQL is still extracted. */
const fencedOnly = (sql: string) => `\`\`\`sql\n${sql}\n\`\`\``;

describe('QATCH metrics (QATCH metrics_evaluators docstring examples)', () => {
  const target = table(['a', 'b'], ['c', 'd']);

  test('cell precision and recall over distinct cells, ignoring row structure', () => {
    expect(cellPrecision(table(['a', 'b'], ['c', 'e']), target)).toBe(0.75);
    expect(cellPrecision(table(['a'], ['b'], ['c'], ['d']), target)).toBe(1);
    expect(cellRecall(table(['a', 'x'], ['y', 'd']), target)).toBe(0.5);
    expect(cellRecall(table(['a', 'a'], ['b', 'b'], ['c', 'd']), target)).toBe(1);
    // cells compare like Python sqlite3 values: 1 == 1.0, '1' != 1
    expect(cellPrecision(table([1.0, '1']), table([1]))).toBe(0.5);
  });

  test('tuple cardinality: smaller row count over larger, duplicates counted', () => {
    expect(tupleCardinality(table(['a', 'b'], [3, 2]), table(['a', 'b'], ['c', 'd'], ['c', 'd'], ['f', 'g'])))
      .toBe(0.5);
    expect(tupleCardinality(table(['a', 'b'], ['c', 'd'], ['c', 'd'], ['f', 'g']), table(['a', 'b'], [3, 2])))
      .toBe(0.5);
    expect(tupleCardinality(table(['a', 'b'], ['c', 'd']), table(['a', 'b'], [3, 2]))).toBe(1);
  });

  test('tuple constraint: distinct gold rows held exactly as often, column order ignored', () => {
    expect(tupleConstraint(table(['a', 'b'], ['c', 'd']), target)).toBe(1);
    expect(tupleConstraint(table(['a', 'b'], ['a', 'b'], ['c', 'd']), target)).toBe(0.5);
    expect(tupleConstraint(table(['a', 'b'], ['a', 'b'], ['c', 'd'], ['c', 'd']), target)).toBe(0);
    expect(tupleConstraint(table(['b', 'a'], ['d', 'c']), target)).toBe(1);
  });

  test('tuple order: Spearman ρ over shared rows, mapped to [0, 1]', () => {
    expect(tupleOrder(table(['c', 'd'], ['a', 'b']), target)).toBe(0); // reversed: ρ = −1
    expect(tupleOrder(table(['a', 'b'], ['c', 'd']), target)).toBe(1);
    // ranks [1, 0, 2] vs [0, 1, 2]: Σd² = 2, ρ = 1 − 6·2 / (3·8) = 0.5 → 0.75
    expect(tupleOrder(table(['b'], ['a'], ['c']), table(['a'], ['b'], ['c']))).toBe(0.75);
    expect(tupleOrder(table(['x'], ['a']), table(['a'], ['b']))).toBe(1); // one shared row: n = 2, d = 0
    expect(tupleOrder(table(['x']), table(['a']))).toBe(0.5); // nothing shared: ρ = 0
  });

  test('both results empty → every metric 1; exactly one empty → 0', () => {
    expect(qatchScores(table(), table(), true)).toEqual({ cellPrecision: 1, cellRecall: 1, tupleCardinality: 1,
      tupleConstraint: 1, tupleOrder: 1, cpCrTc: 1 });
    expect(qatchScores(table(), target, false)).toEqual({ cellPrecision: 0, cellRecall: 0, tupleCardinality: 0,
      tupleConstraint: 0, tupleOrder: null, cpCrTc: 0 });
  });
});

describe('sql_qatch on the shop database', () => {
  test('partial overlap: CP 1/2, CR 2/3, TC 3/4, tuple constraint 2/3, cp_cr_tc 23/36', async () => {
    const r = await detail(sqlQatchScorer, tagged(`\`\`\`sql\n${PARTIAL}\n\`\`\``));
    expect(r.score).toBeCloseTo(PARTIAL_CP_CR_TC, 12);
    expect(r.components).toEqual({ cellPrecision: 0.5, cellRecall: 2 / 3, tupleCardinality: 0.75,
      tupleConstraint: 2 / 3, cpCrTc: r.score });
  });

  test('a metric by name; tuple order only when the gold query orders its rows', async () => {
    const recall = sqlQatchScorerWith({ qatchMetric: 'cell_recall' });
    expect((await detail(recall, fencedOnly(PARTIAL))).score).toBeCloseTo(2 / 3, 12);
    const order = sqlQatchScorerWith({ qatchMetric: 'tuple_order' });
    expect((await detail(order, fencedOnly(PARTIAL))).score).toBeNull();
    const ordered = 'SELECT category_id FROM categories WHERE category_id <= 4 ORDER BY category_id';
    const reversed = fencedOnly('SELECT category_id FROM categories WHERE category_id <= 4 ORDER BY 1 DESC');
    expect((await detail(order, reversed, 0, ordered)).score).toBe(0);
  });

  test('not executable → 0; no SQL → 0 and unparseable', async () => {
    expect((await detail(sqlQatchScorer, fencedOnly('SELECT nope FROM categories'))).score).toBe(0);
    expect(await detail(sqlQatchScorer, 'no sql')).toMatchObject({ score: 0, note: 'unparseable' });
  });
});

describe('Think2SQL reward: small_update(cp_cr_tc) with format 0.05 in the first half', () => {
  const run = think2sqlScorerWith({ totalSteps: 100 }); // format on for steps 0…50
  const EARLY = 0;
  const LATE = 51;

  test('match: 0.95·1 + 0.05·1 = 1 early, 1 late; correct = EX', async () => {
    const early = await detail(run, tagged(GOLD), EARLY);
    expect(early.score).toBeCloseTo(1, 12);
    expect(early).toMatchObject({ correct: true, components: { ex: 1, smallUpdate: 1, format: 1, formatActive: 1 } });
    const late = await detail(run, tagged(GOLD), LATE);
    expect(late.score).toBe(1);
    expect(late.components?.formatActive).toBe(0);
  });

  test('executable but wrong with partial overlap: 0.95·23/36 + 0.05 early, 23/36 late', async () => {
    const early = await detail(run, tagged(PARTIAL), EARLY);
    expect(early.score).toBeCloseTo(0.95 * PARTIAL_CP_CR_TC + 0.05, 12);
    expect(early.correct).toBe(false);
    expect((await detail(run, tagged(PARTIAL), 50)).score).toBeCloseTo(0.95 * PARTIAL_CP_CR_TC + 0.05, 12);
    expect((await detail(run, tagged(PARTIAL), LATE)).score).toBeCloseTo(PARTIAL_CP_CR_TC, 12);
  });

  test('executable with metric below 0.1 scores the floor 0.1: (0 + 0 + 1/6) / 3 = 1/18 → 0.1', async () => {
    const sixNames = tagged('SELECT name FROM categories');
    const r = await detail(run, sixNames, LATE, 'SELECT COUNT(*) FROM customers');
    expect(r.components?.cpCrTc).toBeCloseTo(1 / 18, 12);
    expect(r.score).toBe(0.1);
    expect((await detail(run, sixNames, EARLY, 'SELECT COUNT(*) FROM customers')).score)
      .toBeCloseTo(0.95 * 0.1 + 0.05, 12);
  });

  test('an empty result executes (floor 0.1) unless emptyCountsAsExecutable is off', async () => {
    const empty = tagged('SELECT name FROM categories WHERE 0');
    expect((await detail(run, empty, LATE)).score).toBe(0.1);
    const strict = think2sqlScorerWith({ totalSteps: 100, emptyCountsAsExecutable: false });
    expect((await detail(strict, empty, LATE)).score).toBe(0);
  });

  test('unexecutable: 0 late; early only the format share 0.05 (0 with a bad format)', async () => {
    expect((await detail(run, tagged('SELECT nope FROM categories'), LATE)).score).toBe(0);
    expect((await detail(run, tagged('SELECT nope FROM categories'), EARLY)).score).toBeCloseTo(0.05, 12);
    expect((await detail(run, fencedOnly('SELECT nope FROM categories'), EARLY)).score).toBe(0);
    const noSql = await detail(run, '<reasoning>r</reasoning><answer>I cannot tell</answer>', EARLY);
    expect(noSql).toMatchObject({ note: 'unparseable', correct: false });
    expect(noSql.score).toBeCloseTo(0.05, 12);
  });

  test('bad format: early the format share is lost (0.95 for a match), late it does not matter', async () => {
    expect((await detail(run, fencedOnly(GOLD), EARLY)).score).toBeCloseTo(0.95, 12);
    expect((await detail(run, fencedOnly(GOLD), LATE)).score).toBe(1);
    expect((await detail(run, `${tagged(GOLD)}\ntrailing words`, EARLY)).score).toBeCloseTo(0.95, 12);
  });

  test('executable-but-wrong ranks above unexecutable in every phase and format', async () => {
    const wrongWorst = await detail(run, fencedOnly('SELECT name FROM categories WHERE 0'), EARLY);
    const unexecutableBest = await detail(run, tagged('SELECT nope FROM categories'), EARLY);
    expect(wrongWorst.score).toBeCloseTo(0.095, 12);
    expect(wrongWorst.score!).toBeGreaterThan(unexecutableBest.score!);
  });

  test('reward follows QATCH, correct follows EX: duplicates keep set-EX, lower tuple cardinality', async () => {
    const r = await detail(run, tagged('SELECT status FROM orders'), LATE, 'SELECT DISTINCT status FROM orders');
    expect(r.correct).toBe(true);
    expect(r.score).toBeCloseTo((1 + 1 + 4 / 450) / 3, 12); // 4 statuses over 450 orders
  });

  test("base 'ex': 1 on a match, else the floor", async () => {
    const ex = think2sqlScorerWith({ totalSteps: 100, base: 'ex' });
    expect((await detail(ex, tagged(GOLD), LATE)).score).toBe(1);
    expect((await detail(ex, tagged(PARTIAL), LATE)).score).toBe(0.1);
  });

  test('schedule: formatUntilStep is the last step with the format term; no schedule keeps it on', async () => {
    const until3 = think2sqlScorerWith({ formatUntilStep: 3 });
    expect((await detail(until3, fencedOnly(GOLD), 3)).score).toBeCloseTo(0.95, 12);
    expect((await detail(until3, fencedOnly(GOLD), 4)).score).toBe(1);
    expect((await detail(think2sqlScorer, fencedOnly(GOLD), 1_000_000)).score).toBeCloseTo(0.95, 12);
    const noFormat = think2sqlScorerWith({ formatWeight: 0 });
    expect((await detail(noFormat, fencedOnly(GOLD), 0)).score).toBe(1);
  });

  test('bare SQL in <answer> is read unless bareAnswer is off; fenced SQL is read either way', async () => {
    const fencedOnlyReader = think2sqlScorerWith({ totalSteps: 100, bareAnswer: false });
    expect(await detail(fencedOnlyReader, tagged(GOLD), LATE)).toMatchObject({ score: 0, note: 'unparseable' });
    expect((await detail(fencedOnlyReader, tagged(`\`\`\`sql\n${GOLD}\n\`\`\``), LATE)).score).toBe(1);
  });

  test('factory: runs in the pool, strict options, gold failure → null', async () => {
    expect(think2sqlScorer.worker).toMatch(/think2sql\.ts$/);
    expect(run.worker).toBeUndefined(); // non-default options run inline (sql-scorer.ts)
    expect(() => think2sqlReward.options.parse({ nope: 1 })).toThrow();
    expect(() => think2sqlReward.options.parse({ compare: 'bagOrderAware' })).toThrow();
    expect(await detail(run, tagged(GOLD), 0, 'SELECT nope FROM categories')).toMatchObject({ score: null,
      note: 'gold_invalid' });
  });

  test('a pool worker rebuilds the scorer with its Think2SQL options (the schedule travels with them)', async () => {
    const task = (options: unknown, step: number) => ({
      module: think2sqlScorer.worker!, name: 'sql_think2sql', options, ctx: ctx(fencedOnly(GOLD), step),
      started: new SharedArrayBuffer(4), epoch: Date.now(),
    });
    const options = think2sqlReward.options.parse({ totalSteps: 10 });
    expect(asDetail(await runWorkerTask(task(options, 5)) as never).score).toBeCloseTo(0.95, 12);
    expect(asDetail(await runWorkerTask(task(options, 6)) as never).score).toBe(1);
  });
});

describe('table and column recall over tagged lists', () => {
  const JOIN = 'SELECT c.first_name, o.status FROM customers c JOIN orders o ON o.customer_id = c.customer_id';
  const lists = '<tables>\nCustomers\n</tables>\n<columns>\n"customers"."first_name", `orders`.status, ' +
    'orders.order_date\n</columns>';

  test('lists are split on commas and lines, unquoted and lower-cased', () => {
    expect(taggedList(lists, 'columns')).toEqual(['customers.first_name', 'orders.status', 'orders.order_date']);
    expect(taggedList('no tags', 'tables')).toBeNull();
    expect(listRecall(null, ['a'])).toBe(0);
    expect(listRecall(['a'], [])).toBeNull();
  });

  test("gold from the gold query's read-set: tables 1/2, columns 2/4", async () => {
    const tables = await detail(sqlTableRecallScorer, lists, 0, JOIN);
    expect(tables.score).toBe(0.5);
    expect(tables.info?.gold).toEqual(['customers', 'orders']);
    const columns = await detail(sqlColumnRecallScorer, lists, 0, JOIN);
    expect(columns.score).toBe(0.5);
    expect(columns.info?.gold).toEqual(['customers.customer_id', 'customers.first_name', 'orders.customer_id',
      'orders.status']);
  });

  test("gold from the row's list fields when present (array or comma-separated text)", async () => {
    expect((await detail(sqlTableRecallScorer, lists, 0, JOIN, { tbls_in_query: ['CUSTOMERS'] })).score).toBe(1);
    expect((await detail(sqlTableRecallScorer, lists, 0, JOIN, { tbls_in_query: 'customers, reviews' })).score)
      .toBe(0.5);
    const renamed = taggedRecallScorerWith('columns', { goldColumnsField: 'cols' });
    expect((await detail(renamed, lists, 0, JOIN, { cols: ['orders.order_date'] })).score).toBe(1);
  });

  test('no list → 0; a gold query that reads no table → null (not applicable)', async () => {
    expect((await detail(sqlTableRecallScorer, 'nothing listed', 0, JOIN)).score).toBe(0);
    expect((await detail(sqlTableRecallScorer, lists, 0, 'SELECT 90')).score).toBeNull();
  });
});

describe('Think2SQL format and registration', () => {
  test('the completion must be exactly the tag blocks in order (tag case ignored)', () => {
    expect(think2sqlFormatScore(' <reasoning>a</reasoning>\n<answer>b</answer>\n', ['reasoning', 'answer'])).toBe(1);
    expect(think2sqlFormatScore('<REASONING>a</REASONING><Answer>b</Answer>', ['reasoning', 'answer'])).toBe(1);
    expect(think2sqlFormatScore('hi <reasoning>a</reasoning><answer>b</answer>', ['reasoning', 'answer'])).toBe(0);
    expect(think2sqlFormatScore('<answer>b</answer><reasoning>a</reasoning>', ['reasoning', 'answer'])).toBe(0);
    const multi = '<reasoning>r</reasoning><tables>t</tables><columns>c</columns><checks>k</checks><answer>a</answer>';
    expect(think2sqlFormatScore(multi, THINK2SQL_MULTI_TAGS)).toBe(1);
    expect(think2sqlFormatScore(multi, ['reasoning', 'answer'])).toBe(0);
    const defaults = think2sqlFormat.create(think2sqlFormat.options.parse({}));
    expect(defaults.options).toEqual({ tags: ['reasoning', 'answer'] });
  });

  test('the family registers every scorer the Think2SQL preset names', () => {
    const registry = scorerRegistry(sqlScorers);
    for (const name of ['sql_qatch', 'sql_think2sql', 'sql_table_recall', 'sql_column_recall',
      'sql_think2sql_format']) expect(registry.has(name)).toBe(true);
    for (const term of think2sqlPreset) expect(registry.has(term.scorer)).toBe(true);
    expect(Object.fromEntries(think2sqlPreset.map((t) => [t.scorer, t.weight]))).toEqual({
      sql_think2sql: 1, sql_table_recall: 0, sql_column_recall: 0,
    });
  });
});
