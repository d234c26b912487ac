// The Llama-family decoder as engine expressions, in reading order: three ops with hand-written backward passes →
// RMSNorm → rotary tables and attention mask → projections (with optional LoRA) → rotary embedding → grouped-query
// attention → SwiGLU MLP → pre-norm block → decoder → final norm and LM head.
// One builder serves Llama 2/3 and SmolLM, Mistral, Qwen2 and Qwen3; their differences are LlamaConfig flags (q/k/v
// bias, o bias, q/k RMSNorm, tied head, sliding window, rope scaling), never subclasses. It follows transformers'
// modeling_llama.py and modeling_qwen3.py. Weights are graph inputs fed on every run, never baked constants, and
// this file never sees a Hugging Face tensor name: the loader (causal-lm.ts) maps names onto `LlamaWeights`.
//
// Shape letters: B batch · T tokens · N = B·T token rows · S scored positions (a suffix of T) · C hidden · H query
// heads · K key/value heads · G = H/K query heads per kv head · D head dim · I intermediate · V vocab · R LoRA rank.
// The residual stream is kept as rows [N, C], so every projection is a plain 2-D GEMM and onnxruntime folds the
// adds that follow one (residual, LoRA branch, gradient sums) into the GEMM itself.
import type { Dim, Node } from '../engine/index.ts';
import {
  add, and, apply, cast, concat, constant, cos, defineOp, equal, expand, gather, greater, iota, linear, matmul, mul,
  mean, mulDims, reciprocal, reshape, scalar, sigmoid, sin, softmax, sqrt, sub, sum, transpose, transposeLast,
  unsqueeze, where,
} from '../engine/index.ts';
import type { LlamaConfig } from './hf-config.ts';
import { ropeInverseFrequencies } from './hf-config.ts';

/** The float dtypes a model graph can run in: float32 for use, float64 for gradient checks. */
export type FloatDType = 'float32' | 'float64';

/** A low-rank update of one projection: y += scale · (x Aᵀ) Bᵀ (LoRA, arXiv 2106.09685). */
export interface LoraBranch<W> {
  /** A [R, in]. */
  a: W;
  /** B [out, R]. */
  b: W;
  /** α / R (or α / √R with rsLoRA). */
  scale: number;
}

/** One nn.Linear: weight [out, in] as stored by Hugging Face, optional bias [out], optional LoRA branch. */
export interface Projection<W> {
  weight: W;
  bias?: W;
  lora?: LoraBranch<W>;
}

/** The parameters of one decoder block. */
export interface LayerWeights<W> {
  inputNorm: W;                 // [C]
  q: Projection<W>;             // [H·D, C]
  k: Projection<W>;             // [K·D, C]
  v: Projection<W>;             // [K·D, C]
  /** Qwen3's per-head RMSNorm weights on queries and keys, [D] each; absent elsewhere. */
  qNorm?: W;
  kNorm?: W;
  o: Projection<W>;             // [C, H·D]
  postAttentionNorm: W;         // [C]
  gate: Projection<W>;          // [I, C]
  up: Projection<W>;            // [I, C]
  down: Projection<W>;          // [C, I]
}

/** Every parameter of the model; with tied embeddings `lmHead` is the same value as `embed`. */
export interface LlamaWeights<W> {
  embed: W;                     // [V, C]
  layers: LayerWeights<W>[];
  finalNorm: W;                 // [C]
  lmHead: W;                    // [V, C]
}

/** The seven projections of a block, by the names Hugging Face and PEFT give them without `_proj`. */
export type ProjectionName = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

/**
 * The same tree with every tensor mapped (e.g. tensor names → graph inputs). `projection` maps whole projections when
 * it needs more than their tensors (LoRA branches by layer and name); by default weight and bias are mapped.
 */
export function mapWeights<A, B>(w: LlamaWeights<A>, tensor: (a: A) => B,
  projection: (p: Projection<A>, layer: number, name: ProjectionName) => Projection<B> =
  (p) => ({ weight: tensor(p.weight), ...(p.bias === undefined ? {} : { bias: tensor(p.bias) }) }),
): LlamaWeights<B> {
  return {
    embed: tensor(w.embed),
    layers: w.layers.map((l, i) => ({
      inputNorm: tensor(l.inputNorm), postAttentionNorm: tensor(l.postAttentionNorm),
      ...(l.qNorm !== undefined && l.kNorm !== undefined ? { qNorm: tensor(l.qNorm), kNorm: tensor(l.kNorm) } : {}),
      q: projection(l.q, i, 'q'), k: projection(l.k, i, 'k'), v: projection(l.v, i, 'v'), o: projection(l.o, i, 'o'),
      gate: projection(l.gate, i, 'gate'), up: projection(l.up, i, 'up'), down: projection(l.down, i, 'down'),
    })),
    finalNorm: tensor(w.finalNorm),
    lmHead: tensor(w.lmHead),
  };
}

/** What every block shares: the batch's dims, rotary tables and the additive attention mask, built once per graph. */
export interface SequenceContext {
  /** B and T of the batch. */
  batch: Dim;
  tokens: Dim;
  /** cos and sin for keys, [B, 1, T, D]. */
  cos: Node;
  sin: Node;
  /** The same tables times 1/√D for queries, which folds attention's scale into the rotation for free. */
  cosQ: Node;
  sinQ: Node;
  /** 0 where a query may attend to a key, −1e9 elsewhere: [B, 1, T, T]. */
  maskBias: Node;
  /** Set by the KV-cache graphs (decode.ts); absent, attention is causal over the T tokens alone. */
  kvCache?: KvCacheAttention;
}

/**
 * Attention with a KV cache: each layer hands over its new tokens' queries (rotated, scaled by 1/√D) [B, H, T, D],
 * keys (rotated) and values [B, K, T, D]. The cache keeps the keys and values for the graph's outputs and returns
 * attention over its earlier tokens and the new ones [B, H, T, D], or undefined for plain causal attention over the
 * T tokens (a prefill, which has no earlier tokens).
 */
export interface KvCacheAttention {
  attend(layer: number, q: Node, k: Node, v: Node): Node | undefined;
}

/** Large enough to zero a softmax weight, small enough that a fully masked (padding) row stays finite. */
const MASKED = -1e9;

// ---- Ops with hand-written backward passes ------------------------------------------------------------------
// Each takes, besides its real inputs, values derived from them in the forward pass (σ(g) and g·σ(g),
// rsqrt(mean(x²) + ε), softmax(scores)) and returns the *whole* derivative with respect to the real inputs and none
// for the derived ones, so the engine does not also differentiate the derivation. That saves elementwise passes over
// the largest activations, which on a CPU cost as much as the matmuls around them. The finite-difference tests check
// them.

/**
 * The SwiGLU product h = silu(g)·u (Shazeer, arXiv 2002.05202) from s = σ(g) and a = silu(g) = g·s, computed in the
 * forward pass: inputs g, s, a, u. The hand-written backward reads s, a, u and the output h: du = dh·a and, with
 * silu'(g) = s(1 + g(1 − s)) = s + a(1 − s), dg = dh·u·silu'(g) = dh·(h + s·(u − h)); nothing flows into s or a.
 * Five elementwise passes over the [N, I] activations backward where the factor form dh·u·(s + a(1 − s)) takes six:
 * the [N, I] passes are the largest non-matmul cost of a training step.
 */
const swiGluOp = defineOp<Record<string, never>>({
  name: 'swiglu',
  inputNames: ['g', 's', 'a', 'u'],
  infer: (xs) => {
    if (xs.some((x) => x.dtype !== xs[0]!.dtype || x.shape.join() !== xs[0]!.shape.join())) {
      throw new Error('g, s, a and u must have one shape and dtype');
    }
    return { dtype: xs[0]!.dtype, shape: xs[0]!.shape };
  },
  vjp: ({ dy, y, x: [, s, a, u] }) => [mul(dy, add(y, mul(s!, sub(u!, y)))), null, null, mul(dy, a!)],
  lower: (c) => c.emit('Mul', [c.inputs[2]!, c.inputs[3]!], {}, c.output),
});

/**
 * x·r for r = 1/√(mean(x²) + ε) over the last axis (the RMSNorm scaling before the weight). Backward, with
 * xr = x·r and dxr its cotangent: dx = r·(dxr − xr·mean(dxr·xr)) (from d r/d x = −r³x/C); nothing flows into r.
 */
const rmsScaledOp = defineOp<Record<string, never>>({
  name: 'rms_scaled',
  inputNames: ['x', 'r'],
  infer: ([x]) => ({ dtype: x!.dtype, shape: x!.shape }),
  vjp: ({ dy, y, x: [, r] }) => [mul(r!, sub(dy, mul(y, mean(mul(dy, y), -1, true)))), null],
  lower: (c) => c.emit('Mul', c.inputs, {}, c.output),
});

/**
 * p @ v for attention weights p = softmax(scores): inputs scores, p, v. Backward: dv = pᵀ dy, dp = dy vᵀ and
 * dscores = p·(dp − rowsum(dy·y)), using rowsum(dp·p) = rowsum(dy·y) (FlashAttention, arXiv 2205.14135), which
 * sums over D instead of over the T keys; nothing flows into p.
 */
const attendOp = defineOp<Record<string, never>>({
  name: 'attend',
  inputNames: ['scores', 'p', 'v'],
  infer: ([, p, v]) => ({ dtype: p!.dtype, shape: [...p!.shape.slice(0, -1), v!.shape[v!.rank - 1]!] }),
  vjp: ({ dy, y, x: [, p, v] }) => {
    const dp = matmul(dy, transposeLast(v!));
    return [mul(p!, sub(dp, sum(mul(dy, y), -1, true))), null, matmul(transposeLast(p!), dy)];
  },
  lower: (c) => c.emit('MatMul', [c.inputs[1]!, c.inputs[2]!], {}, c.output),
});

/** RMSNorm over the last axis: x / √(mean(x²) + ε) · weight (Zhang & Sennrich, arXiv 1910.07467). */
function rmsNorm(x: Node, weight: Node, eps: number): Node {
  const r = reciprocal(sqrt(add(mean(mul(x, x), -1, true), eps)));
  return mul(apply(rmsScaledOp, [x, r], {}), weight);
}

/**
 * Rotary tables at each token's position (RoFormer, arXiv 2104.09864), with the config's frequency rescaling
 * (linear or Llama 3). positions [B, T] int64 → cos, sin [B, 1, T, D]. The inverse frequencies are rounded to
 * float32 as transformers computes them.
 */
function rotaryTables(positions: Node, config: LlamaConfig, dtype: FloatDType): { cos: Node; sin: Node } {
  const inv = Float32Array.from(ropeInverseFrequencies(config));
  const freqs = constant(dtype === 'float32' ? inv : Float64Array.from(inv), [inv.length]);     // [D/2]
  const angles = mul(unsqueeze(cast(positions, dtype), -1), freqs);                              // [B, T, D/2]
  const both = unsqueeze(concat([angles, angles], -1), 1);                                       // [B, 1, T, D]
  return { cos: cos(both), sin: sin(both) };
}

/**
 * The additive mask [B, 1, T, T]: query t sees key s when s ≤ t (causal, by token index), the key is not padding,
 * and, with a sliding window W (Mistral), s > t − W.
 */
function attentionMaskBias(attentionMask: Node, config: LlamaConfig, dtype: FloatDType): Node {
  const T: Dim = attentionMask.shape[1]!;
  const query = reshape(iota(T), [T, 1]);
  const key = reshape(iota(T), [1, T]);
  let allowed = greater(add(query, 1), key);                                                     // [T, T]: s ≤ t
  if (config.slidingWindow !== null) allowed = and(allowed, greater(add(key, config.slidingWindow), query));
  const realKey = reshape(equal(attentionMask, 1), [attentionMask.shape[0]!, 1, 1, T]);         // [B, 1, 1, T]
  return where(and(allowed, realKey), scalar(0, dtype), MASKED);
}

/** Rotary tables and the mask for a batch: positionIds and attentionMask are [B, T] int64. */
export function sequenceContext(positionIds: Node, attentionMask: Node, config: LlamaConfig,
  dtype: FloatDType): SequenceContext {
  const { cos: c, sin: s } = rotaryTables(positionIds, config, dtype);
  const scale = 1 / Math.sqrt(config.headDim);
  return { batch: attentionMask.shape[0]!, tokens: attentionMask.shape[1]!, cos: c, sin: s, cosQ: mul(c, scale),
    sinQ: mul(s, scale), maskBias: attentionMaskBias(attentionMask, config, dtype) };
}

/**
 * [residual +] x Wᵀ + b [+ scale · (x Aᵀ) Bᵀ] for rows x [N, in]; the LoRA scale multiplies the narrow [N, R]
 * activation. The sum is built so that each add takes a fresh matmul result, which onnxruntime fuses into the GEMM.
 */
export function project(x: Node, p: Projection<Node>, residual?: Node): Node {
  const terms: Node[] = residual ? [residual] : [];
  if (p.lora) terms.push(linear(mul(linear(x, p.lora.a), p.lora.scale), p.lora.b));
  terms.push(linear(x, p.weight, p.bias));
  return terms.reduce((acc, term) => add(acc, term));
}

/** R [D, D] with x R = rotateHalf(x) = [−x₂, x₁]: a signed permutation, so the rotation is one small matmul. */
function rotateHalfMatrix(D: number, dtype: FloatDType): Node {
  const r = dtype === 'float32' ? new Float32Array(D * D) : new Float64Array(D * D);
  for (let j = 0; j < D / 2; j++) {
    r[(j + D / 2) * D + j] = -1;                                                                 // out[j] = −x[j + D/2]
    r[j * D + j + D / 2] = 1;                                                                    // out[j + D/2] = x[j]
  }
  return constant(r, [D, D]);
}

/**
 * x·cos + rotateHalf(x)·sin over D (RoFormer, arXiv 2104.09864). rotateHalf as a matmul by a constant permutation
 * costs one pass forward and one backward, where slices, a negation and a concatenation cost several.
 */
function rotate(x: Node, cosTable: Node, sinTable: Node): Node {
  const D = x.shape[x.rank - 1] as number;
  return add(mul(x, cosTable), mul(matmul(x, rotateHalfMatrix(D, x.dtype as FloatDType)), sinTable));
}

/** Rows [B·T, heads·D] → [B, heads, T, D]; Qwen3 normalises each head over D first. */
function splitHeads(x: Node, heads: number, config: LlamaConfig, ctx: SequenceContext, norm?: Node): Node {
  let y = reshape(x, [ctx.batch, ctx.tokens, heads, config.headDim]);                          // [B, T, heads, D]
  if (norm) y = rmsNorm(y, norm, config.rmsNormEps);
  return transpose(y, [0, 2, 1, 3]);                                                             // [B, heads, T, D]
}

/** Each kv head serves G query heads: [B, K, T, D] → [B, H, T, D] (transformers' repeat_kv). */
function repeatKv(x: Node, groups: number): Node {
  if (groups === 1) return x;
  const [B, K, T, D] = x.shape as [Dim, number, Dim, number];
  return reshape(expand(unsqueeze(x, 2), [B, K, groups, T, D]), [B, K * groups, T, D]);
}

/**
 * Causal grouped-query self-attention (arXiv 1706.03762, GQA arXiv 2305.13245) added to the residual stream:
 * x + attention(norm(x)), rows [N, C] → [N, C].
 */
function attention(x: Node, normed: Node, w: LayerWeights<Node>, config: LlamaConfig, ctx: SequenceContext,
  layer: number): Node {
  const { numHeads: H, numKvHeads: K, headDim: D } = config;
  const q = rotate(splitHeads(project(normed, w.q), H, config, ctx, w.qNorm), ctx.cosQ, ctx.sinQ); // [B, H, T, D]/√D
  const k = rotate(splitHeads(project(normed, w.k), K, config, ctx, w.kNorm), ctx.cos, ctx.sin);   // [B, K, T, D]
  const v = splitHeads(project(normed, w.v), K, config, ctx);                                      // [B, K, T, D]
  const y = ctx.kvCache?.attend(layer, q, k, v) ?? causalAttention(q, k, v, H / K, ctx.maskBias); // [B, H, T, D]
  const rows = reshape(transpose(y, [0, 2, 1, 3]), [x.shape[0]!, H * D]);                          // [N, H·D]
  return project(rows, w.o, x);                                                                    // [N, C]
}

/** softmax(q kᵀ + mask) v over the T tokens, q pre-scaled: [B, H, T, D] with G = H / K query heads per kv head. */
function causalAttention(q: Node, k: Node, v: Node, groups: number, maskBias: Node): Node {
  const scores = add(matmul(q, transposeLast(repeatKv(k, groups))), maskBias);                    // [B, H, T, T]
  const values = repeatKv(v, groups);
  return apply(attendOp, [scores, softmax(scores, -1), values], {});                              // [B, H, T, D]
}

/** The SwiGLU MLP (Shazeer, arXiv 2002.05202) added to the residual stream: x + down(silu(gate(h)) · up(h)). */
function mlp(x: Node, normed: Node, w: LayerWeights<Node>): Node {
  const gate = project(normed, w.gate);                                                          // [N, I]
  const s = sigmoid(gate);
  const gated = apply(swiGluOp, [gate, s, mul(gate, s), project(normed, w.up)], {});             // silu(gate)·up
  return project(gated, w.down, x);                                                              // [N, C]
}

/** Pre-norm residual block: x + attention(norm(x)), then + mlp(norm(x)); rows [N, C] → [N, C]. */
function block(x: Node, w: LayerWeights<Node>, config: LlamaConfig, ctx: SequenceContext, layer: number): Node {
  const h = attention(x, rmsNorm(x, w.inputNorm, config.rmsNormEps), w, config, ctx, layer);
  return mlp(h, rmsNorm(h, w.postAttentionNorm, config.rmsNormEps), w);
}

/** The residual stream after the last block, rows [N, C] in row-major (b, t) order, before the final norm. */
export function decoderStates(inputIds: Node, w: LlamaWeights<Node>, config: LlamaConfig,
  ctx: SequenceContext): Node {
  let x = gather(w.embed, reshape(inputIds, [mulDims(ctx.batch, ctx.tokens)]));                // [N, C]
  w.layers.forEach((layer, i) => {
    x = block(x, layer, config, ctx, i).named(`layer${i}`);
  });
  return x;
}

/** The final RMSNorm, [.., C] → [.., C]: the hidden state the LM head reads. */
export function finalNorm(x: Node, w: LlamaWeights<Node>, config: LlamaConfig): Node {
  return rmsNorm(x, w.finalNorm, config.rmsNormEps);
}

/** Logits [.., V] of normed hidden states [.., C]. */
export function lmHead(h: Node, w: LlamaWeights<Node>): Node {
  return linear(h, w.lmHead);
}
