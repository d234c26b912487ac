// Think2SQL's rewards ("Think2SQL: Reinforce LLM Reasoning Capabilities for Text2SQL", arXiv 2504.15077;
// https://github.com/spapicchio/Think2SQL, src/think2sql/grpo/rewards/), specs/rewards.md §7.10:
// - `sql_think2sql`: the execution reward `small_update` — 0 when the prediction does not execute, otherwise
//   max(metric, 0.1) with metric = QATCH `cp_cr_tc` (qatch-metrics.ts) or EX — blended with the format check as
//   0.95·reward + 0.05·format during the first half of training (`reward_small_update` with
//   `include_format_reward`, repository versions of 2025-12-01 to 12-03);
// - `sql_table_recall` / `sql_column_recall`: recall of the comma-separated lists the model writes in `<tables>` and
//   `<columns>` (its multi-tag prompt) against the tables and `table.column`s of the gold query
//   (`reward_selected_tables` / `reward_selected_columns`);
// - `sql_think2sql_format`: 1 when the completion is exactly the given tag blocks in order (`format_reward`,
//   `multi_tag_format_reward`).
import { z } from 'zod';
import {
  type CompletionScorer, defineScorer, type ScoreContext, type ScoreDetail,
} from '../../src/reward/scorer.ts';
import { defineScorerFactory } from '../../src/reward/scorer-factory.ts';
import { isExecutionMatch } from './exec-match.ts';
import { isExecutable } from './executes.ts';
import {
  QatchMetricName, qatchComponents, qatchMetric, qatchScores, zeroQatchScores,
} from './qatch-metrics.ts';
import { readSetOverlap } from './schema-linking.ts';
import { canonicalPred, evaluateSql, execInfo, type SqlEvaluated } from './sql-evaluation.ts';
import { tagContents } from './sql-extraction.ts';
import type { SqlHarness } from './sql-harness.ts';
import { predictionTimeoutMs, SqlScorerOptions } from './sql-options.ts';
import type { PresetTerm } from './sql-presets.ts';
import { sqlScorer, sqlScorerFactory } from './sql-scorer.ts';
import { containsSelect, hasTopLevelOrderBy } from './sql-tokens.ts';

const TagName = z.string().regex(/^[A-Za-z][\w-]*$/, 'a tag name: a letter, then letters, digits, _ or -');
const FormatTags = z.array(TagName).min(1);

/** Think2SQL's prompt (`<reasoning>` then `<answer>`); its multi-tag prompt adds tables, columns and checks. */
export const THINK2SQL_TAGS = ['reasoning', 'answer'] as const;
export const THINK2SQL_MULTI_TAGS = ['reasoning', 'tables', 'columns', 'checks', 'answer'] as const;

/**
 * Think2SQL format (`format_reward`, `multi_tag_format_reward`): 1 when the whole completion, up to surrounding
 * whitespace, is `<t1>…</t1>` `<t2>…</t2>` … in the given order with only whitespace between blocks (tag case
 * ignored), else 0.
 */
export function think2sqlFormatScore(text: string, tags: readonly string[]): 1 | 0 {
  const blocks = tags.map((t) => `<${t}>[\\s\\S]*?</${t}>`).join('\\s*');
  return new RegExp(`^\\s*${blocks}\\s*$`, 'i').test(text) ? 1 : 0;
}

export const think2sqlFormat = defineScorerFactory({
  name: 'sql_think2sql_format',
  options: z.strictObject({
    tags: FormatTags.default([...THINK2SQL_TAGS])
      .describe("tag blocks the completion must consist of, in order: ['reasoning', 'answer'] (Think2SQL), or " +
        "['reasoning', 'tables', 'columns', 'checks', 'answer'] for its multi-tag prompt"),
  }),
  create: ({ tags }) => defineScorer({
    name: 'sql_think2sql_format', scope: 'completion', kind: 'rule', stateful: false, options: { tags },
    score: ({ completion }) => think2sqlFormatScore(completion.text, tags),
  }),
});

// ---------------------------------------------------------------------------------------------------------------
// Table and column recall over tagged lists

/** A listed name: trimmed, lower-cased, without quotes, backticks or brackets. */
function cleanName(name: string): string {
  return name.replace(/["'`[\]]/g, '').trim().toLowerCase();
}

/**
 * The names listed in the first `<tag>…</tag>` block, split on commas and line breaks; null when the completion has
 * no such block. Think2SQL splits on commas only and needs the tags on their own lines; accepting line breaks as
 * separators and any layout is the framework's choice.
 */
export function taggedList(text: string, tag: string): string[] | null {
  const block = tagContents(text, tag)[0];
  if (block === undefined) return null;
  return block.split(/[,\n]/).map(cleanName).filter((n) => n !== '');
}

/** |P ∩ G| / |G| over distinct names; 0 when the completion lists nothing (Think2SQL), null when G is empty. */
export function listRecall(listed: readonly string[] | null, gold: readonly string[]): number | null {
  if (gold.length === 0) return null;
  return listed === null ? 0 : readSetOverlap(listed, gold, 'recall');
}

export const TaggedRecallOptions = SqlScorerOptions.extend({
  goldTablesField: z.string().default('tbls_in_query')
    .describe("row field with the gold tables (array, or comma-separated text), as in Think2SQL's data; when a row " +
      "lacks it, the tables the gold query reads (SQLite authorizer; framework choice)"),
  goldColumnsField: z.string().default('cols_in_query')
    .describe('row field with the gold `table.column`s (array or comma-separated text); when a row lacks it, the ' +
      'columns the gold query reads (framework choice)'),
});
export type TaggedRecallOptions = z.infer<typeof TaggedRecallOptions>;
export type TaggedRecallOptionsInput = z.input<typeof TaggedRecallOptions>;

type SchemaPart = 'tables' | 'columns';

function rowList(value: unknown): string[] | undefined {
  const items = typeof value === 'string' ? value.split(',')
    : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value as string[] : undefined;
  return items?.map(cleanName).filter((n) => n !== '');
}

/**
 * Recall of the names listed in `<tables>` (or `<columns>`) against the gold tables (`table.column`s): from the
 * row field when present, else the gold query's read-set. Null when the gold query fails or reads nothing.
 */
export function taggedRecallScore(harness: SqlHarness, ctx: ScoreContext, options: TaggedRecallOptions,
  part: SchemaPart): ScoreDetail {
  let gold = rowList(ctx.row[part === 'tables' ? options.goldTablesField : options.goldColumnsField]);
  if (gold === undefined) {
    const evaluation = evaluateSql(harness, ctx, options, { runPrediction: false });
    if (!evaluation.ok) return evaluation.detail;
    gold = (evaluation.gold.readSet ?? []).filter((name) => name.includes('.') === (part === 'columns'));
  }
  const listed = taggedList(ctx.completion.text, part);
  return { score: listRecall(listed, gold), info: { listed, gold } };
}

export const sqlTableRecall = sqlScorerFactory({
  name: 'sql_table_recall', module: import.meta.url, schema: TaggedRecallOptions,
  // The factory parses options with TaggedRecallOptions, so compute receives that schema's output.
  compute: (harness, ctx, options) => taggedRecallScore(harness, ctx, options as TaggedRecallOptions, 'tables'),
});

export const sqlColumnRecall = sqlScorerFactory({
  name: 'sql_column_recall', module: import.meta.url, schema: TaggedRecallOptions,
  compute: (harness, ctx, options) => taggedRecallScore(harness, ctx, options as TaggedRecallOptions, 'columns'),
});

export const sqlTableRecallScorer = sqlScorer(sqlTableRecall);
export const sqlColumnRecallScorer = sqlScorer(sqlColumnRecall);

// ---------------------------------------------------------------------------------------------------------------
// The execution reward with its early format term

export const Think2SqlOptions = SqlScorerOptions.extend({
  compare: z.literal('set').default('set')
    .describe("EX (the `correct` flag, and the metric when base is 'ex') is BIRD's set comparison, as Think2SQL's " +
      'BirdEXEvaluator; QATCH metrics read the raw results'),
  base: z.enum(['qatch', 'ex']).default('qatch')
    .describe("metric of an executable prediction: 'qatch' (qatch_small_update, Think2SQL's reward) or 'ex' " +
      '(ex_small_update: 1 match, else the floor)'),
  qatchMetric: QatchMetricName.exclude(['tuple_order']).default('cp_cr_tc')
    .describe("QATCH metric when base is 'qatch': 'cp_cr_tc' = mean of cell precision, cell recall and tuple " +
      'cardinality (Think2SQL)'),
  executableFloor: z.number().min(0).max(1).default(0.1)
    .describe('small_update: an executable prediction scores max(metric, this) (Think2SQL 0.1); keep ' +
      '(1 − formatWeight)·floor > formatWeight so executable-but-wrong outranks unexecutable'),
  formatTags: FormatTags.default([...THINK2SQL_TAGS])
    .describe("tag blocks of a well-formatted completion, in order (Think2SQL's format_reward: reasoning, answer)"),
  formatWeight: z.number().min(0).max(1).default(0.05)
    .describe('while the format term is on: (1 − w)·small_update + w·format (Think2SQL 0.95 / 0.05); 0 = off'),
  formatFraction: z.number().min(0).max(1).default(0.5)
    .describe('the format term is on while step ≤ ⌊fraction·totalSteps⌋ (Think2SQL: global_step ≤ ' +
      'int(0.5·max_steps))'),
  totalSteps: z.number().int().positive().optional()
    .describe("the run's number of optimizer steps; scorers see only ctx.step, so the recipe passes it. Without it " +
      'and without formatUntilStep the format term is on at every step (framework choice)'),
  formatUntilStep: z.number().int().min(0).optional()
    .describe('last step (ctx.step, counted from 0) with the format term; overrides formatFraction·totalSteps'),
  bareAnswer: z.boolean().default(true)
    .describe('when <answer> holds no fenced block, its text is the SQL (Think2SQL prompts for bare SQL; ' +
      "NL2SQLEvaluator's utils_extract_sql_or_same)"),
});
export type Think2SqlOptions = z.infer<typeof Think2SqlOptions>;
export type Think2SqlOptionsInput = z.input<typeof Think2SqlOptions>;

/** Whether the format term counts at `step` (0-based, as TRL's `global_step` when rewards are computed). */
export function formatTermActive(step: number, options: Think2SqlOptions): boolean {
  if (options.formatWeight === 0) return false;
  if (options.formatUntilStep !== undefined) return step <= options.formatUntilStep;
  if (options.totalSteps !== undefined) return step <= Math.floor(options.formatFraction * options.totalSteps);
  return true;
}

/** Think2SQL `small_update`: 0 when not executable, else the metric if above the floor, else the floor. */
export function smallUpdate(executable: boolean, metric: number, floor: number): number {
  return executable ? Math.max(metric, floor) : 0;
}

/** The text of the last `<answer>` block when it holds no fence and reads like a query; else null. */
function bareAnswerSql(text: string): string | null {
  const answer = tagContents(text, 'answer').at(-1)?.trim();
  return answer !== undefined && !answer.includes('```') && containsSelect(answer) ? answer : null;
}

/** Extracts (§7.1, then a bare `<answer>`) and runs the prediction; not-ok when the row has no gold or it fails. */
function evaluateThink2Sql(harness: SqlHarness, ctx: ScoreContext, options: Think2SqlOptions)
  : ReturnType<typeof evaluateSql> {
  const evaluation = evaluateSql(harness, ctx, options, { runPrediction: false });
  if (!evaluation.ok) return evaluation;
  const predSql = evaluation.predSql ?? (options.bareAnswer ? bareAnswerSql(ctx.completion.text) : null);
  if (predSql === null) return evaluation;
  const limits = { timeoutMs: predictionTimeoutMs(options, evaluation.gold.elapsedMs), rowCap: options.rowCap };
  const { unparseable: _resolved, ...rest } = evaluation;
  const found: SqlEvaluated = { ...rest, predSql, pred: harness.execute(evaluation.dbPath, predSql, limits) };
  return found;
}

/**
 * Think2SQL reward (arXiv 2504.15077): r = small_update(metric) with metric = QATCH `cp_cr_tc` (or EX); while the
 * format term is on, R = (1 − w)·r + w·format with w = 0.05, else R = r. `correct` = EX.
 */
export function think2sqlScore(harness: SqlHarness, ctx: ScoreContext, options: Think2SqlOptions): ScoreDetail {
  const evaluation = evaluateThink2Sql(harness, ctx, options);
  if (!evaluation.ok) return evaluation.detail;
  const { pred, gold, predSql } = evaluation;
  const executable = isExecutable(pred, options.emptyCountsAsExecutable);
  const ex = executable && isExecutionMatch(evaluation, options);
  const ordered = hasTopLevelOrderBy(evaluation.goldSql);
  const scores = executable && pred !== null ? qatchScores(pred, gold, ordered) : zeroQatchScores(ordered);
  const metric = options.base === 'ex' ? (ex ? 1 : 0) : qatchMetric(scores, options.qatchMetric)!;
  const reward = smallUpdate(executable, metric, options.executableFloor);
  const format = think2sqlFormatScore(ctx.completion.text, options.formatTags);
  const active = formatTermActive(ctx.step, options);
  const w = options.formatWeight;
  return {
    score: active ? (1 - w) * reward + w * format : reward,
    correct: ex,
    components: {
      ex: ex ? 1 : 0, ...qatchComponents(scores), smallUpdate: reward, format, formatActive: active ? 1 : 0,
    },
    ...(predSql !== null ? { pred: canonicalPred(predSql) } : { note: 'unparseable' as const }),
    info: predSql === null ? { reason: evaluation.unparseable } : { sql: predSql, pred: execInfo(pred!) },
  };
}

export const think2sqlReward = sqlScorerFactory({
  name: 'sql_think2sql', module: import.meta.url, schema: Think2SqlOptions,
  // The factory parses options with Think2SqlOptions, so compute receives that schema's output.
  compute: (harness, ctx, options) => think2sqlScore(harness, ctx, options as Think2SqlOptions),
});

export const think2sqlScorer = sqlScorer(think2sqlReward);

/** `sql_think2sql` with options, e.g. `{ totalSteps: 400 }` (sqlScorer's input type lacks the Think2SQL fields). */
export function think2sqlScorerWith(input: Think2SqlOptionsInput): CompletionScorer<SqlScorerOptions> {
  return sqlScorer(think2sqlReward, input);
}

/** Tagged-list recall scorers with options (e.g. another gold field name). */
export function taggedRecallScorerWith(part: SchemaPart, input: TaggedRecallOptionsInput)
  : CompletionScorer<SqlScorerOptions> {
  return sqlScorer(part === 'tables' ? sqlTableRecall : sqlColumnRecall, input);
}

/**
 * Think2SQL preset for the reward graph: the combined execution reward at weight 1 (the authors' final recipe,
 * `qatch_small_update_with_fm`, weight 1.0); table and column recall logged only (weight 0) — they score the
 * `<tables>`/`<columns>` lists of the multi-tag prompt, where the authors' scripts weight EX 0.5, table recall 0.2,
 * column recall 0.2 and the multi-tag format 0.1.
 */
export const think2sqlPreset: readonly PresetTerm[] = [
  { scorer: 'sql_think2sql', weight: 1 },
  { scorer: 'sql_table_recall', weight: 0 },
  { scorer: 'sql_column_recall', weight: 0 },
];
