// The train section of a recipe: optimizer, schedule, batching, length, seed and checkpoints. Defaults follow TRL's
// SFTConfig / transformers' TrainingArguments where they have one (named in each description).
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const TrainSpec = z.strictObject({
  lr: z.number().positive().default(2e-5).describe('peak learning rate (TrainingArguments: 5e-5; TRL SFT: 2e-5)'),
  schedule: z.enum(['constant', 'linear', 'cosine']).default('linear')
    .describe('learning-rate decay after warm-up, to 0 (or minLrRatio · lr) at the last step (TrainingArguments)'),
  warmupSteps: z.number().int().min(0).default(0).describe('steps of linear warm-up from 0 to lr'),
  minLrRatio: z.number().min(0).max(1).default(0).describe('cosine only: the floor, as a fraction of lr'),
  weightDecay: z.number().min(0).default(0)
    .describe('decoupled weight decay λ of AdamW (arXiv 1711.05101), on matrices only'),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999])
    .describe("AdamW's β₁, β₂ (torch defaults)"),
  eps: z.number().positive().default(1e-8).describe("AdamW's ε (torch default)"),
  maxGradNorm: z.number().positive().nullable().default(1)
    .describe('clip the global gradient norm to this (TrainingArguments: 1.0); null: no clipping'),
  batchSize: positiveInt.default(8).describe('rows (prompt + completion pairs) per optimizer step'),
  microBatchRows: positiveInt.optional()
    .describe('rows per forward/backward pass; gradients are summed over them (default: see microBatchTokens)'),
  microBatchTokens: positiveInt.optional()
    .describe('without microBatchRows, rows per pass = ⌊this / padded row length⌋, at least 1 (default 2048)'),
  epochs: z.number().positive().default(1).describe('passes over the data (fractions allowed); ignored with steps'),
  steps: positiveInt.optional().describe('optimizer steps to take; default ⌈epochs · rows / batchSize⌉'),
  maxLength: positiveInt.default(1024)
    .describe('longest prompt + completion in tokens; longer completions are cut (TRL SFT max_length: 1024)'),
  seed: z.number().int().default(0).describe('seed of the data order (and of nothing else the recipe does not name)'),
  saveEvery: positiveInt.nullable().default(null)
    .describe('write a resumable checkpoint every N steps; null: only the final model'),
  keepCheckpoints: positiveInt.nullable().default(2)
    .describe('resumable checkpoints kept (the oldest are deleted, as save_total_limit); null: keep all'),
  logEvery: positiveInt.default(10).describe('a progress line on stderr every N steps (and at the last)'),
  output: z.string().optional()
    .describe('run folder, relative to the working directory; default runs/<recipe file name>'),
  threads: positiveInt.optional().describe('onnxruntime intra-op threads; default all cores'),
}).superRefine((t, ctx) => {
  if (t.microBatchRows !== undefined && t.microBatchRows > t.batchSize) {
    ctx.addIssue({ code: 'custom', path: ['microBatchRows'],
      message: `microBatchRows (${t.microBatchRows}) is larger than batchSize (${t.batchSize})` });
  }
  if (t.steps !== undefined && t.warmupSteps > t.steps) {
    ctx.addIssue({ code: 'custom', path: ['warmupSteps'],
      message: `warmupSteps (${t.warmupSteps}) is more than steps (${t.steps})` });
  }
});

export type TrainSpec = z.output<typeof TrainSpec>;
