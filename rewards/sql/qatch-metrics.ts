// QATCH's SQL-centric result metrics ("QATCH: Benchmarking SQL-centric tasks with Table Representation Learning
// Models on Your Data", NeurIPS 2023 Datasets and Benchmarks; https://github.com/spapicchio/QATCH,
// qatch/evaluate_dataset/metrics_evaluators) and their combination `cp_cr_tc` that Think2SQL (arXiv 2504.15077)
// trains on (https://github.com/spapicchio/NL2SQLEvaluator, evaluator_nodes/qatch_metrics.py). Partial credit for a
// result that is not the gold result:
// - cell precision / recall: distinct cell values of the prediction found in the gold result, and the reverse
//   (schema and row structure ignored);
// - tuple cardinality: min(|rows|) / max(|rows|), duplicates counted;
// - tuple constraint: share of distinct gold rows, read as multisets of cells (column order ignored), that occur in
//   the prediction exactly as often as in the gold result;
// - tuple order: Spearman's ρ between the orders in which the rows both results share appear, mapped to [0, 1];
//   QATCH computes it only when the gold query has an ORDER BY.
// Cells are equal when Python's sqlite3 values would be (result-rows.ts `cellKey`: 1 = 1.0, '1' ≠ 1); values are
// compared exactly (no float tolerance). Both results empty → every metric 1; exactly one empty → 0. QATCH rounds
// each metric to 3 decimals; these do not round (framework choice: rounding only adds ties).
import { z } from 'zod';
import type { CompletionScorer, ScoreContext, ScoreDetail } from '../../src/reward/scorer.ts';
import type { ResultRows } from './result-compare.ts';
import { cellKey, type SqlRow } from './result-rows.ts';
import { isExecutable } from './executes.ts';
import { canonicalPred, evaluateSql, execInfo, unparseable } from './sql-evaluation.ts';
import type { SqlHarness } from './sql-harness.ts';
import { SqlScorerOptions } from './sql-options.ts';
import { sqlScorer, sqlScorerFactory } from './sql-scorer.ts';
import { hasTopLevelOrderBy } from './sql-tokens.ts';

export interface QatchScores {
  cellPrecision: number;
  cellRecall: number;
  tupleCardinality: number;
  tupleConstraint: number;
  /** null when the gold query has no top-level ORDER BY (QATCH leaves tuple order undefined then). */
  tupleOrder: number | null;
  /** (cell precision + cell recall + tuple cardinality) / 3: NL2SQLEvaluator's `cp_cr_tc`, Think2SQL's reward. */
  cpCrTc: number;
}

export const QatchMetricName = z.enum([
  'cp_cr_tc', 'cell_precision', 'cell_recall', 'tuple_cardinality', 'tuple_constraint', 'tuple_order',
]);
export type QatchMetricName = z.infer<typeof QatchMetricName>;

function cellSet(rows: readonly SqlRow[]): Set<string> {
  const cells = new Set<string>();
  for (const row of rows) for (const cell of row) cells.add(cellKey(cell));
  return cells;
}

/** 1 when both results are empty, 0 when exactly one is, undefined when both have rows. */
function emptyCase(pred: ResultRows, gold: ResultRows): number | undefined {
  if (pred.rows.length === 0 && gold.rows.length === 0) return 1;
  return pred.rows.length === 0 || gold.rows.length === 0 ? 0 : undefined;
}

/** QATCH cell precision: |cells(pred) ∩ cells(gold)| / |cells(pred)| over distinct cell values. */
export function cellPrecision(pred: ResultRows, gold: ResultRows): number {
  const empty = emptyCase(pred, gold);
  if (empty !== undefined) return empty;
  const p = cellSet(pred.rows);
  const g = cellSet(gold.rows);
  let both = 0;
  for (const cell of p) if (g.has(cell)) both++;
  return both / p.size;
}

/** QATCH cell recall: |cells(pred) ∩ cells(gold)| / |cells(gold)| over distinct cell values. */
export function cellRecall(pred: ResultRows, gold: ResultRows): number {
  return cellPrecision(gold, pred);
}

/** QATCH tuple cardinality: min(|pred rows|, |gold rows|) / max(…), duplicate rows counted. */
export function tupleCardinality(pred: ResultRows, gold: ResultRows): number {
  const empty = emptyCase(pred, gold);
  if (empty !== undefined) return empty;
  const [p, g] = [pred.rows.length, gold.rows.length];
  return Math.min(p, g) / Math.max(p, g);
}

/** A row as a multiset of cells: the sorted cell keys, length-prefixed so no cell text can forge a boundary. */
function unorderedRowKey(row: SqlRow): string {
  return row.map(cellKey).sort().map((k) => `${k.length}:${k}`).join('');
}

function counts(keys: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const k of keys) map.set(k, (map.get(k) ?? 0) + 1);
  return map;
}

/**
 * QATCH tuple constraint: over the distinct gold rows (each read as a multiset of cells, so the projection order
 * does not matter), the share that the prediction holds exactly as many times as the gold result.
 */
export function tupleConstraint(pred: ResultRows, gold: ResultRows): number {
  const empty = emptyCase(pred, gold);
  if (empty !== undefined) return empty;
  const predCounts = counts(pred.rows.map(unorderedRowKey));
  const goldCounts = counts(gold.rows.map(unorderedRowKey));
  let kept = 0;
  for (const [key, n] of goldCounts) if (predCounts.get(key) === n) kept++;
  return kept / goldCounts.size;
}

/** Distinct row keys of `a` that occur in `b`, in their first-appearance order in `a`. */
function sharedInOrder(a: ResultRows, b: ResultRows): string[] {
  const other = new Set(b.rowKeys);
  const seen = new Set<string>();
  return a.rowKeys.filter((k) => {
    if (!other.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * QATCH tuple order: with the rows both results share (distinct, exact rows), Spearman's
 * ρ = 1 − 6·Σd² / (n(n² − 1)) between their gold-order and prediction-order ranks (n = max(shared, 2)); ρ = 0 when
 * they share none; returns (ρ + 1) / 2.
 */
export function tupleOrder(pred: ResultRows, gold: ResultRows): number {
  const empty = emptyCase(pred, gold);
  if (empty !== undefined) return empty;
  const goldOrder = sharedInOrder(gold, pred);
  let rho = 0;
  if (goldOrder.length > 0) {
    const goldRank = new Map(goldOrder.map((k, i) => [k, i]));
    let squared = 0;
    sharedInOrder(pred, gold).forEach((k, i) => { squared += (goldRank.get(k)! - i) ** 2; });
    const n = Math.max(goldOrder.length, 2);
    rho = 1 - (6 * squared) / (n * (n * n - 1));
  }
  return (rho + 1) / 2;
}

/** Every QATCH metric of a prediction's result against the gold result; `ordered`: the gold query orders rows. */
export function qatchScores(pred: ResultRows, gold: ResultRows, ordered: boolean): QatchScores {
  const cp = cellPrecision(pred, gold);
  const cr = cellRecall(pred, gold);
  const tc = tupleCardinality(pred, gold);
  return {
    cellPrecision: cp, cellRecall: cr, tupleCardinality: tc, tupleConstraint: tupleConstraint(pred, gold),
    tupleOrder: ordered ? tupleOrder(pred, gold) : null, cpCrTc: (cp + cr + tc) / 3,
  };
}

/** The scores of a prediction that did not execute: every metric 0 (QATCH's default for a failed prediction). */
export function zeroQatchScores(ordered: boolean): QatchScores {
  return { cellPrecision: 0, cellRecall: 0, tupleCardinality: 0, tupleConstraint: 0, tupleOrder: ordered ? 0 : null,
    cpCrTc: 0 };
}

/** One named metric; null only for `tuple_order` when the gold query has no ORDER BY. */
export function qatchMetric(scores: QatchScores, metric: QatchMetricName): number | null {
  switch (metric) {
    case 'cp_cr_tc': return scores.cpCrTc;
    case 'cell_precision': return scores.cellPrecision;
    case 'cell_recall': return scores.cellRecall;
    case 'tuple_cardinality': return scores.tupleCardinality;
    case 'tuple_constraint': return scores.tupleConstraint;
    case 'tuple_order': return scores.tupleOrder;
  }
}

/** The metrics as logged components (tuple order only when defined). */
export function qatchComponents(scores: QatchScores): Record<string, number> {
  const { tupleOrder: order, ...always } = scores;
  return order === null ? always : { ...always, tupleOrder: order };
}

export const QatchScorerOptions = SqlScorerOptions.extend({
  qatchMetric: QatchMetricName.default('cp_cr_tc')
    .describe("the QATCH metric scored; 'cp_cr_tc' = mean of cell precision, cell recall and tuple cardinality " +
      '(Think2SQL, arXiv 2504.15077); the others are logged as components'),
});
export type QatchScorerOptions = z.infer<typeof QatchScorerOptions>;
export type QatchScorerOptionsInput = z.input<typeof QatchScorerOptions>;

/**
 * The chosen QATCH metric of the prediction's result; 0 when it does not execute (or has no SQL); null when the gold
 * query fails, or for `tuple_order` when the gold query has no top-level ORDER BY (QATCH: tuple order undefined).
 */
export function qatchScore(harness: SqlHarness, ctx: ScoreContext, options: QatchScorerOptions): ScoreDetail {
  const evaluation = evaluateSql(harness, ctx, options);
  if (!evaluation.ok) return evaluation.detail;
  const ordered = hasTopLevelOrderBy(evaluation.goldSql);
  if (options.qatchMetric === 'tuple_order' && !ordered) return { score: null };
  if (evaluation.pred === null || evaluation.predSql === null) return unparseable(evaluation);
  const { pred, gold } = evaluation;
  const scores = isExecutable(pred, true) ? qatchScores(pred, gold, ordered) : zeroQatchScores(ordered);
  return {
    score: qatchMetric(scores, options.qatchMetric), components: qatchComponents(scores),
    pred: canonicalPred(evaluation.predSql), info: execInfo(pred),
  };
}

export const sqlQatch = sqlScorerFactory({
  name: 'sql_qatch', module: import.meta.url, schema: QatchScorerOptions,
  // The factory parses options with QatchScorerOptions, so compute receives that schema's output.
  compute: (harness, ctx, options) => qatchScore(harness, ctx, options as QatchScorerOptions),
});

export const sqlQatchScorer = sqlScorer(sqlQatch);

/** `sql_qatch` with options, e.g. `{ qatchMetric: 'cell_recall' }` (sqlScorer's input type lacks `qatchMetric`). */
export function sqlQatchScorerWith(input: QatchScorerOptionsInput): CompletionScorer<SqlScorerOptions> {
  return sqlScorer(sqlQatch, input);
}
