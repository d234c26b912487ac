// Text-to-SQL rewards (specs/rewards.md §7): the execution harness, the scorers, presets and self-consistency.
import type { ScorerEntry } from '../../src/reward/scorer-factory.ts';
import { sqlExecMatch } from './exec-match.ts';
import { sqlExecutes } from './executes.ts';
import { sqlNgramSimilarity } from './ngram-similarity.ts';
import { sqlResultF1 } from './result-f1.ts';
import { sqlSchemaLinking } from './schema-linking.ts';
import { reasoningSqlFormat, skyrlSqlFormat, sqlR1Format } from './sql-format.ts';
import { arcticSqlReward, skyrlSqlReward, sqlR1Reward } from './sql-presets.ts';
import { sqlQatch } from './qatch-metrics.ts';
import { sqlColumnRecall, sqlTableRecall, think2sqlFormat, think2sqlReward } from './think2sql.ts';

export { execMatchScore, isExecutionMatch, sqlExecMatch, sqlExecMatchScorer } from './exec-match.ts';
export { executesScore, isExecutable, sqlExecutes, sqlExecutesScorer } from './executes.ts';
export { readSetOverlap, schemaLinkingScore, sqlSchemaLinking, sqlSchemaLinkingScorer } from './schema-linking.ts';
export { ngramJaccard, ngramScore, sqlNgramScorer, sqlNgramSimilarity, wordNgrams } from './ngram-similarity.ts';
export { cellOverlapRatio, resultF1, resultF1Score, sqlResultF1, sqlResultF1Scorer } from './result-f1.ts';
export {
  reasoningSqlFormat, reasoningSqlFormatScore, skyrlFormatValid, skyrlSqlFormat, sqlR1Format, sqlR1FormatScore,
  sqlReasoningFormat,
} from './sql-format.ts';
export {
  arcticSqlReward, arcticSqlScore, arcticSqlScorer, type PresetTerm, reasoningSqlPreset, skyrlSqlReward, skyrlSqlScore,
  skyrlSqlScorer, sqlR1LengthBonus, sqlR1Reward, sqlR1Score, sqlR1Scorer,
} from './sql-presets.ts';
export {
  cellPrecision, cellRecall, qatchComponents, qatchMetric, QatchMetricName, qatchScore, qatchScores, type QatchScores,
  QatchScorerOptions, type QatchScorerOptionsInput, sqlQatch, sqlQatchScorer, sqlQatchScorerWith, tupleCardinality,
  tupleConstraint, tupleOrder, zeroQatchScores,
} from './qatch-metrics.ts';
export {
  formatTermActive, listRecall, smallUpdate, sqlColumnRecall, sqlColumnRecallScorer, sqlTableRecall,
  sqlTableRecallScorer, taggedList, taggedRecallScore, taggedRecallScorerWith, TaggedRecallOptions,
  type TaggedRecallOptionsInput, THINK2SQL_MULTI_TAGS, THINK2SQL_TAGS, think2sqlFormat, think2sqlFormatScore,
  Think2SqlOptions, type Think2SqlOptionsInput, think2sqlPreset, think2sqlReward, think2sqlScore, think2sqlScorer,
  think2sqlScorerWith,
} from './think2sql.ts';
export { clusterByExecution, DEFAULT_VOTE_LIMITS, type SqlCluster, type SqlVote } from './self-consistency.ts';
export { extractSql, type SqlExtractionStyle } from './sql-extraction.ts';
export { SqlScorerOptions, type SqlScorerOptionsInput } from './sql-options.ts';
export { sqlScorer, sqlScorerFactory, type SqlScorerFactory } from './sql-scorer.ts';
export { DEFAULT_HARNESS_OPTIONS, sharedSqlHarness, SqlHarness, type SqlHarnessOptions } from './sql-harness.ts';
export type { ExecResult, ExecStatus, RunLimits } from './sql-connection.ts';
export type { SqlCell, SqlRow } from './result-rows.ts';
export { resultsMatch, type CompareMode, type CompareOptions, type ResultRows } from './result-compare.ts';
export { hasTopLevelOrderBy, normaliseSql, removeDistinct } from './sql-tokens.ts';

/** The SQL family for the built-in registry (rewards/index.ts), by the names recipes use. */
export const sqlScorers: readonly ScorerEntry[] = [
  sqlExecMatch, sqlExecutes, sqlSchemaLinking, sqlNgramSimilarity, sqlResultF1, reasoningSqlFormat, sqlR1Format,
  skyrlSqlFormat, sqlR1Reward, arcticSqlReward, skyrlSqlReward, sqlQatch, think2sqlReward, sqlTableRecall,
  sqlColumnRecall, think2sqlFormat,
];
