// One optimizer step: gradients of a caller-supplied loss accumulated over micro-batches, clipped by global norm,
// applied by AdamW. The loss is a `LossSpec`: a function that builds the scalar loss (and named metrics) from the
// engine nodes of the token scores, the batch's extra inputs and step-wide totals. Because the totals (token and
// sequence counts) are counted over the whole optimizer step and fed to every micro-batch, each micro-batch's loss
// is its exact share of the whole-batch loss, so gradients do not depend on how the batch is split.
import type { Node } from '../engine/index.ts';
import { div, neg, sum } from '../engine/index.ts';
import type { AdamW, FloatArray } from './adamw.ts';
import type { CausalLM } from './causal-lm.ts';
import type { TokenBatch } from './token-logprobs.ts';
import { CHUNK_TOKENS, columnRange, rowChunks, rowsPerChunk } from './token-logprobs.ts';

/** Counts over the whole optimizer step (all micro-batches), the denominators a loss may normalise by. */
export interface LossTotals {
  /** Σ loss mask: scored tokens in the step. */
  tokens: number;
  /** Rows with at least one scored token (N_seq of algorithms.md §4: empty completions are not counted). */
  sequences: number;
}

/** What a loss is built from; per-token nodes are [B, S] and 0 where the mask is 0. */
export interface LossTerms {
  /** log π_θ(token) at the batch's temperature. */
  logprobs: Node;
  /** Per-token entropy of π_θ (computed only when the loss uses it). */
  entropy: Node;
  /** The loss mask as the model's float dtype. */
  mask: Node;
  /** The loss's declared extra inputs: [B] for 'row', [B, S] for 'token'. */
  inputs: Readonly<Record<string, Node>>;
  /** LossTotals.tokens and .sequences as scalar nodes. */
  totalTokens: Node;
  totalSequences: Node;
}

/**
 * A training loss. `build` returns a scalar whose sum over the step's micro-batches is the step's loss, and metrics
 * that are summed the same way (normalise them by the totals too).
 */
export interface LossSpec {
  readonly name: string;
  /** Extra float inputs by name: one value per row ('row', e.g. advantages) or per scored token ('token'). */
  readonly inputs: Readonly<Record<string, 'row' | 'token'>>;
  build(terms: LossTerms): { loss: Node; metrics: Readonly<Record<string, Node>> };
}

/** Supervised fine-tuning: the mean negative log-likelihood over every scored token of the step. */
export const sftCrossEntropy: LossSpec = {
  name: 'sft-cross-entropy',
  inputs: {},
  build: ({ logprobs, totalTokens }) => ({ loss: div(neg(sum(logprobs)), totalTokens), metrics: {} }),
};

/** A token batch with the loss's extra inputs, row-major ([B] or [B, S]). */
export interface TrainBatch {
  tokens: TokenBatch;
  inputs: Readonly<Record<string, Float32Array>>;
}

export interface TrainStepOptions {
  /** Rows per micro-batch (bounds activation memory); default: as many as `microBatchTokens` allows. */
  microBatchRows?: number;
  /**
   * Without `microBatchRows`, a micro-batch holds as many rows as fit in this many padded tokens (at least one).
   * Default CHUNK_TOKENS (2,048).
   */
  microBatchTokens?: number;
  /** Clip the global gradient norm to this (default 1.0, as transformers' Trainer); null disables clipping. */
  maxGradNorm?: number | null;
  /** Logits are divided by it, as in sampling; default 1. */
  temperature?: number;
}

export interface StepStats {
  /** Optimizer steps taken, this one included. */
  step: number;
  loss: number;
  metrics: Record<string, number>;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** The learning rate this step used. */
  lr: number;
  microBatches: number;
}

/** Accumulated gradients of one optimizer step (buffers owned by the TrainStep; valid until its next call). */
export interface StepGradients {
  loss: number;
  metrics: Record<string, number>;
  gradients: ReadonlyMap<string, FloatArray>;
  microBatches: number;
}

/** √(Σ g²) over every gradient (float64 accumulation). */
export function globalGradNorm(grads: ReadonlyMap<string, FloatArray>): number {
  let total = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) total += g[i]! * g[i]!;
  return Math.sqrt(total);
}

/** The factor torch.nn.utils.clip_grad_norm_ scales gradients by: maxNorm / (norm + 1e-6), at most 1. */
export function clipCoefficient(norm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/** acc += g, elementwise. */
function addInto(acc: FloatArray, g: FloatArray): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += g[i]!;
}

/** Runs optimizer steps for one model and optimizer, reusing its gradient buffers from step to step. */
export class TrainStep {
  private accumulated: Map<string, FloatArray> | null = null;
  private scratch: Map<string, FloatArray> | null = null;

  constructor(readonly model: CausalLM, readonly optimizer: AdamW, readonly options: TrainStepOptions = {}) {
    for (const name of ['microBatchRows', 'microBatchTokens'] as const) {
      const n = options[name];
      if (n !== undefined && !(Number.isSafeInteger(n) && n > 0)) {
        throw new Error(`TrainStep: ${name} must be a positive integer, got ${n}`);
      }
    }
  }

  /**
   * Gradients of the whole batch: micro-batches of rows, summed. Each micro-batch drops the padding columns all its
   * rows share (paddingColumns), so short rows do not pay for the batch's longest one.
   */
  async gradients(batch: TrainBatch, loss: LossSpec): Promise<StepGradients> {
    const B = batch.tokens.rows, S = batch.tokens.scored;
    const size = this.options.microBatchRows
      ?? rowsPerChunk(batch.tokens, this.options.microBatchTokens ?? CHUNK_TOKENS);
    let tokens = 0, sequences = 0;
    for (let row = 0; row < B; row++) {
      let n = 0;
      for (let t = row * S; t < (row + 1) * S; t++) n += batch.tokens.lossMask[t]!;
      tokens += n;
      if (n > 0) sequences++;
    }
    const totals: LossTotals = { tokens, sequences };
    const temperature = this.options.temperature ?? 1;
    let total = 0;
    const metrics: Record<string, number> = {};
    let count = 0;
    for (const { from, to, batch: chunk, trail } of rowChunks(batch.tokens, size)) {
      const inputs = Object.fromEntries(Object.entries(loss.inputs).map(([name, kind]) => {
        const data = batch.inputs[name];
        if (!data) throw new Error(`loss '${loss.name}': the batch has no input '${name}'`);
        if (kind === 'row') return [name, data.subarray(from, to)];
        if (data.length !== B * S) {
          throw new Error(`loss '${loss.name}': input '${name}' needs one value per scored token (shape [${B}, `
            + `${S}]), got ${data.length}`);
        }
        return [name, columnRange(data.subarray(from * S, to * S), to - from, S, 0, S - trail)];
      }));
      const into = count === 0 ? this.buffers('accumulated') : this.buffers('scratch');
      const out = await this.model.gradients(chunk, loss, inputs, totals, { temperature, into });
      total += out.loss;
      for (const [k, v] of Object.entries(out.metrics)) metrics[k] = (metrics[k] ?? 0) + v;
      if (count > 0) for (const [name, acc] of this.accumulated!) addInto(acc, out.gradients.get(name)!);
      count++;
    }
    return { loss: total, metrics, gradients: this.accumulated!, microBatches: count };
  }

  /**
   * One optimizer step: accumulate, clip by global norm (folded into the update as a gradient scale), AdamW update
   * of the trainable parameters in place.
   */
  async run(batch: TrainBatch, loss: LossSpec): Promise<StepStats> {
    const g = await this.gradients(batch, loss);
    const gradNorm = globalGradNorm(g.gradients);
    const maxNorm = this.options.maxGradNorm === undefined ? 1 : this.options.maxGradNorm;
    const lr = this.optimizer.update(g.gradients, maxNorm === null ? 1 : clipCoefficient(gradNorm, maxNorm));
    return { step: this.optimizer.step, loss: g.loss, metrics: g.metrics, gradNorm, lr, microBatches: g.microBatches };
  }

  private buffers(which: 'accumulated' | 'scratch'): Map<string, FloatArray> {
    let b = this[which];
    if (!b) {
      b = new Map([...this.model.trainable].map(([n, p]) => [n, p.data instanceof Float64Array
        ? new Float64Array(p.data.length) : new Float32Array(p.data.length)]));
      this[which] = b;
    }
    return b;
  }
}
