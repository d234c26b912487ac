// Teacher-forced token scores for a batch of variable-length sequences: per-token log-probabilities of the given
// next tokens over the scored region (the completion), optionally per-token entropy and the final hidden state.
//
// Batch layout (as in test/fixtures/grpo-oracle): each row is a left-padded prompt followed by a right-padded
// completion, so every completion starts in the same column and the scored region is a suffix of S columns:
// positions T−S−1 … T−2 predict tokens T−S … T−1. attention_mask marks real tokens; position_ids are
// cumsum(attention_mask) − 1 clamped at 0, so left padding does not shift positions.
//
// Shape letters: B rows · T columns · S scored tokens · C hidden · V vocab.
import type { Dim, Node } from '../engine/index.ts';
import {
  apply, cast, defineOp, exp, input, logSoftmax, mul, mulDims, neg, reciprocal, reshape, slice, subDims, sum,
} from '../engine/index.ts';
import type { LlamaConfig } from './hf-config.ts';
import type { FloatDType, LlamaWeights } from './llama.ts';
import { decoderStates, finalNorm, lmHead, sequenceContext } from './llama.ts';

/** A batch of token rows, row-major, ready to feed: ids, mask and positions [B, T], loss mask [B, S]. */
export interface TokenBatch {
  /** B */
  readonly rows: number;
  /** T */
  readonly columns: number;
  /** S: the last S tokens of each row are scored (predicted by the S positions before them). */
  readonly scored: number;
  readonly inputIds: BigInt64Array;
  /** 1 for real tokens, 0 for padding. */
  readonly attentionMask: BigInt64Array;
  readonly positionIds: BigInt64Array;
  /** 1 where a scored token counts (completion tokens), 0 for padding; [B, S]. */
  readonly lossMask: Float32Array;
}

/** One row before packing: prompt ids and completion ids (the completion is what gets scored). */
export interface PromptCompletion {
  prompt: readonly number[];
  completion: readonly number[];
}

/**
 * Packs rows into the batch layout: prompts left-padded to the longest prompt, completions right-padded to the
 * longest completion (S = that length), pad tokens masked out. Every prompt needs at least one token.
 */
export function packTokenBatch(rows: readonly PromptCompletion[], padTokenId: number): TokenBatch {
  const P = Math.max(...rows.map((r) => r.prompt.length));
  const S = Math.max(...rows.map((r) => r.completion.length));
  rows.forEach((r, i) => {
    if (r.prompt.length === 0) throw new Error(`packTokenBatch: row ${i} has an empty prompt; the first scored token `
      + 'needs a position before it (start prompts with a BOS token)');
  });
  const ids: number[][] = [], mask: number[][] = [], lossMask: number[][] = [];
  for (const r of rows) {
    const left = P - r.prompt.length, right = S - r.completion.length;
    ids.push([...Array<number>(left).fill(padTokenId), ...r.prompt, ...r.completion,
      ...Array<number>(right).fill(padTokenId)]);
    mask.push([...Array<number>(left).fill(0), ...Array<number>(r.prompt.length + r.completion.length).fill(1),
      ...Array<number>(right).fill(0)]);
    lossMask.push([...Array<number>(r.completion.length).fill(1), ...Array<number>(right).fill(0)]);
  }
  return tokenBatch({ inputIds: ids, attentionMask: mask, lossMask });
}

/** Builds a TokenBatch from nested arrays; positionIds default to cumsum(attentionMask) − 1 clamped at 0. */
export function tokenBatch(rows: {
  inputIds: readonly (readonly number[])[];
  attentionMask: readonly (readonly number[])[];
  lossMask: readonly (readonly number[])[];
  positionIds?: readonly (readonly number[])[];
}): TokenBatch {
  const B = rows.inputIds.length;
  const T = rows.inputIds[0]?.length ?? 0;
  const S = rows.lossMask[0]?.length ?? 0;
  const check = (name: string, m: readonly (readonly number[])[], width: number) => {
    if (m.length !== B || m.some((r) => r.length !== width)) {
      throw new Error(`tokenBatch: ${name} must be ${B} rows of ${width}, got ${m.length} rows of `
        + `[${[...new Set(m.map((r) => r.length))].join(', ')}]`);
    }
  };
  check('inputIds', rows.inputIds, T);
  check('attentionMask', rows.attentionMask, T);
  check('lossMask', rows.lossMask, S);
  if (rows.positionIds) check('positionIds', rows.positionIds, T);
  if (S >= T) throw new Error(`tokenBatch: ${S} scored tokens need at least ${S + 1} columns, got ${T}`);
  const positions = rows.positionIds ?? rows.attentionMask.map((m) => {
    let seen = 0;
    return m.map((v) => Math.max((seen += v) - 1, 0));
  });
  const flat = (m: readonly (readonly number[])[]) => BigInt64Array.from(m.flat(), (v) => BigInt(v));
  return {
    rows: B, columns: T, scored: S, inputIds: flat(rows.inputIds), attentionMask: flat(rows.attentionMask),
    positionIds: flat(positions), lossMask: Float32Array.from(rows.lossMask.flat()),
  };
}

/** Rows [from, to) of a batch, as views (no copy). */
export function sliceRows(b: TokenBatch, from: number, to: number): TokenBatch {
  const T = b.columns, S = b.scored;
  return {
    rows: to - from, columns: T, scored: S, inputIds: b.inputIds.subarray(from * T, to * T),
    attentionMask: b.attentionMask.subarray(from * T, to * T), positionIds: b.positionIds.subarray(from * T, to * T),
    lossMask: b.lossMask.subarray(from * S, to * S),
  };
}

/**
 * Columns every row of `b` pads: `lead` leading columns (left padding of the prompts) and `trail` trailing ones (right
 * padding of the completions: no row attends to or scores them). A micro-batch of short rows cut from a batch padded
 * for long ones computes only its own width. At least one prompt column and one scored column are kept.
 */
export function paddingColumns(b: TokenBatch): { lead: number; trail: number } {
  const T = b.columns, S = b.scored;
  const columnIsPad = (t: number) => {
    for (let r = 0; r < b.rows; r++) if (b.attentionMask[r * T + t] !== 0n) return false;
    return true;
  };
  const scoredIsEmpty = (s: number) => {
    for (let r = 0; r < b.rows; r++) if (b.lossMask[r * S + s] !== 0) return false;
    return true;
  };
  let lead = 0;
  while (lead < T - S - 1 && columnIsPad(lead)) lead++;
  let trail = 0;
  while (trail < S - 1 && columnIsPad(T - 1 - trail) && scoredIsEmpty(S - 1 - trail)) trail++;
  return { lead, trail };
}

/** The batch without `lead` leading and `trail` trailing columns (copies); the scored suffix loses `trail`. */
export function dropColumns(b: TokenBatch, lead: number, trail: number): TokenBatch {
  const T = b.columns, S = b.scored;
  const ids = (a: BigInt64Array) => columnRange(a, b.rows, T, lead, T - trail);
  return {
    rows: b.rows, columns: T - lead - trail, scored: S - trail, inputIds: ids(b.inputIds),
    attentionMask: ids(b.attentionMask), positionIds: ids(b.positionIds),
    lossMask: columnRange(b.lossMask, b.rows, S, 0, S - trail),
  };
}

/**
 * Default padded tokens per chunk of rows (a train micro-batch or a scoring chunk): on bench/train.ts's shapes
 * chunks of about 2,048 tokens ran as fast as or faster than one large batch (the activations stay in cache), and
 * memory stays bounded whatever the batch size.
 */
export const CHUNK_TOKENS = 2048;

/** Rows [from, to) of a batch without the padding columns they all share; `trail` scored columns were dropped. */
export interface RowChunk {
  from: number;
  to: number;
  batch: TokenBatch;
  trail: number;
}

/** Rows per chunk so that a chunk holds at most `tokens` padded tokens, at least one row. */
export function rowsPerChunk(b: TokenBatch, tokens: number): number {
  return Math.max(1, Math.floor(tokens / b.columns));
}

/** The batch in chunks of `rows` rows, each trimmed of its shared padding (paddingColumns). */
export function* rowChunks(b: TokenBatch, rows: number): Generator<RowChunk> {
  for (let from = 0; from < b.rows; from += rows) {
    const to = Math.min(b.rows, from + rows);
    const slice = sliceRows(b, from, to);
    const { lead, trail } = paddingColumns(slice);
    yield { from, to, batch: lead + trail > 0 ? dropColumns(slice, lead, trail) : slice, trail };
  }
}

/** Columns [from, to) of a row-major [rows, width] array, copied. */
export function columnRange<A extends BigInt64Array | Float32Array>(a: A, rows: number, width: number, from: number,
  to: number): A {
  const out = new (a.constructor as new (n: number) => A)(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * width + from, r * width + to) as never, r * (to - from));
  return out;
}

/** The graph inputs of a token batch (symbolic B = 'batch', T = 'seq', S = 'scored') and the temperature. */
export interface TokenBatchInputs {
  inputIds: Node;        // [B, T] int64
  attentionMask: Node;   // [B, T] int64
  positionIds: Node;     // [B, T] int64
  lossMask: Node;        // [B, S] float32
  temperature: Node;     // [] float32
}

export function tokenBatchInputs(): TokenBatchInputs {
  return {
    inputIds: input('input_ids', 'int64', ['batch', 'seq']),
    attentionMask: input('attention_mask', 'int64', ['batch', 'seq']),
    positionIds: input('position_ids', 'int64', ['batch', 'seq']),
    lossMask: input('loss_mask', 'float32', ['batch', 'scored']),
    temperature: input('temperature', 'float32', []),
  };
}

/** The feeds for `tokenBatchInputs`. */
export function tokenBatchFeeds(b: TokenBatch, temperature: number) {
  const ids = [b.rows, b.columns];
  return {
    input_ids: { data: b.inputIds, shape: ids },
    attention_mask: { data: b.attentionMask, shape: ids },
    position_ids: { data: b.positionIds, shape: ids },
    loss_mask: { data: b.lossMask, shape: [b.rows, b.scored] },
    temperature: { data: Float32Array.of(temperature), shape: [] },
  };
}

/** Per-token results over the scored region; logprobs and entropy are 0 where the loss mask is 0. */
export interface TokenScores {
  /** log π(token | prefix) with logits divided by the temperature, [B, S]. */
  logprobs: Node;
  /** mask (as the model's dtype), [B, S]. */
  mask: Node;
  /** −Σ_v π_v log π_v of the tempered distribution, [B, S]. */
  entropy: Node;
  /** The final-normed hidden state the LM head reads at each scored position, [B, S, C]. */
  hidden: Node;
}

/** The last n columns of x along axis 1. */
function lastColumns(x: Node, n: Dim): Node {
  const T = x.shape[1]!;
  return slice(x, 1, subDims(T, n), T);
}

/** All but the last column along axis 1: the last token predicts nothing, so the decoder never sees it. */
function allButLast(x: Node): Node {
  return slice(x, 1, 0, subDims(x.shape[1]!, 1));
}

/** data with updates added at indices along the last axis (ScatterElements, reduction add); no gradient. */
const scatterAddIntoOp = defineOp<Record<string, never>>({
  name: 'scatter_add_into',
  inputNames: ['data', 'indices', 'updates'],
  infer: ([data]) => ({ dtype: data!.dtype, shape: data!.shape }),
  lower: (c) => c.emit('ScatterElements', c.inputs, { axis: { i: c.node.rank - 1 }, reduction: { s: 'add' } },
    c.output),
});

/**
 * logp[…, target] for logp = logSoftmax(logits) along the last axis: inputs logits, logp, targets [.., 1]. The
 * hand-written backward gives the whole derivative with respect to the logits, dlogits = dy·(onehot − softmax),
 * as one scatter into −dy·exp(logp), and none to logp: three passes over [B, S, V] instead of the six that
 * differentiating the gather and the log-softmax separately would take.
 */
const targetLogprobOp = defineOp<Record<string, never>>({
  name: 'target_logprob',
  inputNames: ['logits', 'logp', 'targets'],
  infer: ([, logp, targets]) => ({ dtype: logp!.dtype, shape: targets!.shape }),
  vjp: ({ dy, x: [, logp, targets] }) =>
    [apply(scatterAddIntoOp, [mul(exp(logp!), neg(dy)), targets!, dy], {}), null, null],
  lower: (c) => c.emit('GatherElements', [c.inputs[1]!, c.inputs[2]!], { axis: { i: c.node.rank - 1 } }, c.output),
});

/**
 * Token scores of a batch under `weights`. The decoder runs on columns 0 … T−2 and only the S scored positions go
 * through the final norm and the LM head. Nodes nobody asks for (entropy, hidden) are left out of the emitted graph.
 */
export function tokenScores(config: LlamaConfig, weights: LlamaWeights<Node>, b: TokenBatchInputs,
  dtype: FloatDType): TokenScores {
  const [B, S] = b.lossMask.shape as [Dim, Dim];
  const C = config.hiddenSize;
  const ctx = sequenceContext(allButLast(b.positionIds), allButLast(b.attentionMask), config, dtype);
  const states = decoderStates(allButLast(b.inputIds), weights, config, ctx);                 // [B·(T−1), C]
  const scored = lastColumns(reshape(states, [B, ctx.tokens, C]), S);                          // [B, S, C]
  const hidden = finalNorm(reshape(scored, [mulDims(B, S), C]), weights, config);             // [B·S, C]
  // logits / τ = (h / τ) Wᵀ: dividing the narrow hidden state is cheaper than dividing [B·S, V].
  const tempered = mul(hidden, reciprocal(cast(b.temperature, dtype)));
  const logits = lmHead(tempered, weights);                                                   // [B·S, V]
  const logp = logSoftmax(logits, -1);                                                        // [B·S, V]
  const targets = reshape(lastColumns(b.inputIds, S), [mulDims(B, S), 1]);                    // [B·S, 1]
  const mask = cast(b.lossMask, dtype);
  const picked = apply(targetLogprobOp, [logits, logp, targets], {});                        // [B·S, 1]
  const logprobs = mul(reshape(picked, [B, S]), mask);                                        // [B, S]
  const entropy = mul(reshape(neg(sum(mul(exp(logp), logp), -1)), [B, S]), mask);             // [B, S]
  return { logprobs, mask, entropy, hidden: reshape(hidden, [B, S, C]) };
}
