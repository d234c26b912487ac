// Supervised fine-tuning: the mean negative log-likelihood of completion tokens given their prompts (sftCrossEntropy),
// minimised with AdamW under a warm-up + decay schedule, batches drawn in a seeded order, gradients accumulated over
// micro-batches and clipped by global norm. Progress goes to a log (stderr in the CLI) and to metrics.jsonl; the run
// folder gets resumable checkpoints every `saveEvery` steps and, at the end, final/: a plain Hugging Face folder
// (merged when training a LoRA adapter) that any later recipe can name as `model.path`.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from '../engine/index.ts';
import { AdamW } from '../model/adamw.ts';
import { CausalLM, type TrainableSet } from '../model/causal-lm.ts';
import {
  checkpointName, latestCheckpoint, loadCheckpoint, pruneCheckpoints, readCheckpointManifest, saveCheckpoint,
  type TrainerState,
} from '../model/checkpoint.ts';
import { writeJsonFile } from '../model/hf-folder.ts';
import type { LoadedModel } from '../model/load-model.ts';
import type { LoraOptions } from '../model/lora.ts';
import type { LrSchedule } from '../model/lr-schedule.ts';
import { packTokenBatch, type PromptCompletion } from '../model/token-logprobs.ts';
import { sftCrossEntropy, TrainStep } from '../model/train-step.ts';
import type { TrainSpec } from '../recipe/train-section.ts';
import { DataOrder } from './sft-data.ts';

export interface SftRun {
  model: LoadedModel;
  /** null: full fine-tuning. */
  lora: LoraOptions | null;
  examples: readonly PromptCompletion[];
  train: TrainSpec;
  runDir: string;
  /** Continue from the newest checkpoint in runDir instead of refusing a folder that holds a run. */
  resume: boolean;
  /** The resolved recipe (plain JSON), recorded in run.json and every checkpoint. */
  recipe: unknown;
  log: (line: string) => void;
  /** Default: a new CPU runtime with train.threads threads. */
  runtime?: Runtime;
}

export interface SftResult {
  runDir: string;
  /** The final Hugging Face folder. */
  finalDir: string;
  /** Optimizer steps of the whole run, and the first one this call took (> 0 after a resume). */
  steps: number;
  startStep: number;
  /** The loss of every step this call took. */
  losses: number[];
}

/** A run folder that cannot be started or resumed as asked: the message says why and what to do. */
export class RunFolderError extends Error {
  override readonly name = 'RunFolderError';
}

export const FINAL_DIR = 'final';
export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
/** Train settings that may change between a run and its resume: they do not change what is computed. */
const RESUMABLE_CHANGES = ['saveEvery', 'keepCheckpoints', 'logEvery', 'threads', 'output'];

/** Optimizer steps of a run: train.steps, else ⌈epochs · rows / batchSize⌉. */
export function sftTotalSteps(train: TrainSpec, rows: number): number {
  return train.steps ?? Math.max(1, Math.ceil((train.epochs * rows) / train.batchSize));
}

/** The recipe's learning-rate schedule over `totalSteps`. */
export function sftSchedule(train: TrainSpec, totalSteps: number): LrSchedule {
  const warmupSteps = Math.min(train.warmupSteps, totalSteps);
  if (train.schedule === 'constant') return { kind: 'constant', warmupSteps };
  if (train.schedule === 'linear') return { kind: 'linear', warmupSteps, totalSteps };
  return { kind: 'cosine', warmupSteps, totalSteps, minLrRatio: train.minLrRatio };
}

export async function runSft(run: SftRun): Promise<SftResult> {
  const { train, runDir, log } = run;
  const totalSteps = sftTotalSteps(train, run.examples.length);
  const finalDir = join(runDir, FINAL_DIR);
  const recipe = JSON.parse(JSON.stringify(run.recipe)) as unknown;
  const resumeFrom = startingPoint(run, recipe, totalSteps);
  if (resumeFrom === 'finished') {
    log(`${runDir}: already finished (${totalSteps} steps); the model is in ${finalDir}`);
    return { runDir, finalDir, steps: totalSteps, startStep: totalSteps, losses: [] };
  }
  const checkpoint = resumeFrom === null ? null : loadCheckpoint(resumeFrom, { base: run.model.config });
  const trainable: TrainableSet = checkpoint?.adapter
    ? { kind: 'lora', adapter: checkpoint.adapter.config, weights: checkpoint.adapter.weights }
    : run.lora ? { kind: 'lora', options: run.lora } : { kind: 'full' };
  const weights = checkpoint?.model?.weights ?? run.model.weights;
  const ownRuntime = run.runtime === undefined;
  const runtime = run.runtime ?? new Runtime(train.threads === undefined ? {} : { threads: train.threads });
  const model = new CausalLM(run.model.config, weights, { runtime, trainable, keepReference: false });
  const optimizer = new AdamW(model.trainable, { lr: train.lr, betas: train.betas, eps: train.eps,
    weightDecay: train.weightDecay, schedule: sftSchedule(train, totalSteps) });
  let state: TrainerState = { step: 0, seed: train.seed, rowsSeen: 0, tokensSeen: 0, extra: {},
    optimizer: { lr: optimizer.lr, betas: [optimizer.beta1, optimizer.beta2], eps: optimizer.eps,
      weightDecay: optimizer.weightDecay, schedule: optimizer.schedule } };
  if (checkpoint) {
    optimizer.setState(checkpoint.optimizer!);
    state = checkpoint.trainerState!;
    keepMetricsUpTo(join(runDir, METRICS_FILE), state.step);
    log(`resuming ${runDir} from ${checkpoint.dir} (step ${state.step} of ${totalSteps})`);
  } else {
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, METRICS_FILE), '');
  }
  writeJsonFile(join(runDir, RUN_FILE), { kind: 'grpo-run', version: 1, command: 'sft', seed: train.seed,
    model: run.model.description, totalSteps, recipe, startedAt: new Date().toISOString(),
    resumedFrom: checkpoint?.dir ?? null });

  const step = new TrainStep(model, optimizer, { maxGradNorm: train.maxGradNorm,
    ...(train.microBatchRows === undefined ? {} : { microBatchRows: train.microBatchRows }),
    ...(train.microBatchTokens === undefined ? {} : { microBatchTokens: train.microBatchTokens }) });
  const order = new DataOrder(run.examples.length, train.seed);
  const padId = run.model.tokenizer.special.pad?.id ?? run.model.generation.eosTokenIds[0] ?? 0;
  const saveOptions = { seed: train.seed, recipe, tokenizerFrom: run.model.tokenizerDir,
    generation: run.model.generation, base: run.model.description,
    ...(run.model.configJson ? { configJson: run.model.configJson } : {}) };
  const losses: number[] = [];
  const startStep = state.step;
  let window = { tokens: 0, seconds: 0 };
  try {
    while (state.step < totalSteps) {
      const rows = order.take(state.rowsSeen, train.batchSize).map((i) => run.examples[i]!);
      const tokens = packTokenBatch(rows, padId);
      const started = performance.now();
      const stats = await step.run({ tokens, inputs: {} }, sftCrossEntropy);
      const seconds = (performance.now() - started) / 1000;
      let scored = 0, real = 0;
      for (const m of tokens.lossMask) scored += m;
      for (const m of tokens.attentionMask) real += Number(m);
      state = { ...state, step: stats.step, rowsSeen: state.rowsSeen + rows.length,
        tokensSeen: state.tokensSeen + scored };
      losses.push(stats.loss);
      window = { tokens: window.tokens + real, seconds: window.seconds + seconds };
      const epoch = state.rowsSeen / run.examples.length;
      appendFileSync(join(runDir, METRICS_FILE), JSON.stringify({ step: state.step, loss: stats.loss, lr: stats.lr,
        gradNorm: stats.gradNorm, tokens: real, scoredTokens: scored, seconds, epoch }) + '\n');
      if (state.step % train.logEvery === 0 || state.step === totalSteps) {
        log(`step ${state.step}/${totalSteps}  loss ${stats.loss.toFixed(4)}  lr ${stats.lr.toExponential(2)}  `
          + `grad-norm ${stats.gradNorm.toFixed(3)}  tokens/s ${Math.round(window.tokens / window.seconds)}  `
          + `epoch ${epoch.toFixed(2)}`);
        window = { tokens: 0, seconds: 0 };
      }
      if (train.saveEvery !== null && state.step % train.saveEvery === 0 && state.step < totalSteps) {
        saveCheckpoint(join(runDir, checkpointName(state.step)), { ...saveOptions, model, step: state.step,
          training: { optimizer, state } });
        if (train.keepCheckpoints !== null) pruneCheckpoints(runDir, train.keepCheckpoints);
        log(`saved ${join(runDir, checkpointName(state.step))}`);
      }
    }
    saveCheckpoint(finalDir, { ...saveOptions, model, step: state.step, merge: true });
    const merged = model.adapter ? ', LoRA merged; the adapter in adapter/' : '';
    log(`saved ${finalDir} (a Hugging Face model folder${merged})`);
  } finally {
    if (ownRuntime) await model.dispose();
  }
  return { runDir, finalDir, steps: totalSteps, startStep, losses };
}

/**
 * Where a run starts: null (fresh), a checkpoint folder to resume from, or 'finished'. Refuses to overwrite a
 * folder that holds a run unless resuming, and to resume with a recipe that computes something else.
 */
function startingPoint(run: SftRun, recipe: unknown, totalSteps: number): string | null | 'finished' {
  const latest = latestCheckpoint(run.runDir);
  const final = join(run.runDir, FINAL_DIR);
  const hasFinal = existsSync(join(final, 'checkpoint.json'));
  if (!run.resume) {
    if (latest !== null || hasFinal) {
      throw new RunFolderError(`${run.runDir} already holds a run (${latest ?? final}); pass --resume to continue `
        + 'it, or choose another train.output (or --output), or delete the folder');
    }
    return null;
  }
  const manifest = latest !== null ? readCheckpointManifest(latest) : hasFinal ? readCheckpointManifest(final) : null;
  if (manifest === null) {
    throw new RunFolderError(`--resume: ${run.runDir} holds no checkpoint to resume from (set train.saveEvery to `
      + 'write them)');
  }
  const differences = recipeDifferences(manifest.recipe, recipe);
  if (differences.length > 0) {
    throw new RunFolderError(`--resume: the recipe differs from the one ${run.runDir} was trained with, at `
      + `${differences.slice(0, 8).join(', ')}; resume with the same recipe, or start a new run in another folder`);
  }
  if (hasFinal && readCheckpointManifest(final).step >= totalSteps) return 'finished';
  if (latest === null) {
    throw new RunFolderError(`--resume: ${run.runDir} has a final model but no checkpoint to resume from`);
  }
  return latest;
}

/** Dotted paths where two resolved recipes differ, leaving out the train settings a resume may change. */
export function recipeDifferences(a: unknown, b: unknown, path: string[] = []): string[] {
  if (path.length === 2 && path[0] === 'train' && RESUMABLE_CHANGES.includes(path[1]!)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => recipeDifferences(a[k], b[k], [...path, k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path.join('.') || '(top level)'];
}

/** Drops metrics lines past `step` (written after the checkpoint a run resumes from). */
function keepMetricsUpTo(file: string, step: number): void {
  const kept = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) =>
    line.trim() !== '' && (JSON.parse(line) as { step: number }).step <= step) : [];
  writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
}
