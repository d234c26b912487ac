// A causal LM on the engine: owns its weights once (typed arrays, fed to every run as zero-copy views), the
// trainable set (full fine-tuning, or a LoRA adapter over a frozen base), and the compiled graphs it runs: token
// scores for the policy and for the KL reference, and one gradient graph per loss. This is the loader too: the only
// place where Hugging Face tensor names meet the model math of llama.ts.
import type { CompiledGraph, Node, TensorValue } from '../engine/index.ts';
import { cast, grad, input, Runtime } from '../engine/index.ts';
import type { FloatArray, Parameter } from './adamw.ts';
import type { DecoderGraph } from './decode.ts';
import type { GenerateOptions, Generation } from './generate.ts';
import { generate } from './generate.ts';
import type { LlamaConfig } from './hf-config.ts';
import type { ModelWeights } from './hf-weights.ts';
import { expectedWeightShapes } from './hf-weights.ts';
import type { LlamaWeights, FloatDType, Projection, ProjectionName } from './llama.ts';
import { mapWeights } from './llama.ts';
import type { LoraOptions } from './lora.ts';
import { initLora, loraAdapterConfig, mergeLora } from './lora.ts';
import type { LoraAdapterConfig, LoraWeights } from './peft.ts';
import { loraModulePath, loraScaling, peftTensorName } from './peft.ts';
import type { TokenBatch } from './token-logprobs.ts';
import {
  CHUNK_TOKENS, rowChunks, rowsPerChunk, tokenBatchFeeds, tokenBatchInputs, tokenScores,
} from './token-logprobs.ts';
import type { LossSpec, LossTotals } from './train-step.ts';

/** What training changes: every weight, or a LoRA adapter (new, or loaded from PEFT files) over a frozen base. */
export type TrainableSet =
  | { kind: 'full' }
  | { kind: 'lora'; options: LoraOptions }
  | { kind: 'lora'; adapter: LoraAdapterConfig; weights: LoraWeights };

export interface CausalLMOptions {
  /**
   * The runtime that compiles and runs the graphs; default a new CPU runtime on all cores (at optimization 'basic'
   * for float64).
   */
  runtime?: Runtime;
  /** Default full fine-tuning. */
  trainable?: TrainableSet;
  /** float32 (default) or float64 (for gradient checks; the weights are widened on load). */
  dtype?: FloatDType;
  /**
   * Full fine-tuning: keep a frozen copy of the initial weights as the KL reference (default true; it costs one more
   * copy of the weights). With LoRA the reference is the base without the adapter, at no cost.
   */
  keepReference?: boolean;
}

/**
 * Per-token results of a batch, row-major [B, S] (hidden [B, S, C]). logprobs and entropy are 0 where the loss mask
 * is 0; hidden states there are unspecified (read them only where the mask is 1).
 */
export interface TokenLogprobs {
  logprobs: FloatArray;
  entropy?: FloatArray;
  hidden?: FloatArray;
}

export interface ScoreOptions {
  /** Logits are divided by it, as in sampling; default 1. */
  temperature?: number;
  entropy?: boolean;
  hidden?: boolean;
  /**
   * Rows run in chunks of about this many padded tokens (at least one row), each without the padding columns its
   * rows share, so memory stays bounded (the logits of a chunk are tokens × vocab floats) and short rows do not pay
   * for long ones. Default CHUNK_TOKENS (2,048).
   */
  chunkTokens?: number;
}

/** The gradients of one micro-batch, by trainable parameter name, with the loss and metric values. */
export interface MicroBatchGradients {
  loss: number;
  metrics: Record<string, number>;
  gradients: Map<string, FloatArray>;
}

/** Hugging Face tensor names in the model's structure (the lm head is the embedding when tied). */
export function hfWeightNames(config: LlamaConfig): LlamaWeights<string> {
  const proj = (path: string, bias: boolean): Projection<string> =>
    (bias ? { weight: `${path}.weight`, bias: `${path}.bias` } : { weight: `${path}.weight` });
  const layers = Array.from({ length: config.numLayers }, (_, i) => {
    const attn = `model.layers.${i}.self_attn`, mlp = `model.layers.${i}.mlp`;
    return {
      inputNorm: `model.layers.${i}.input_layernorm.weight`,
      q: proj(`${attn}.q_proj`, config.qkvBias), k: proj(`${attn}.k_proj`, config.qkvBias),
      v: proj(`${attn}.v_proj`, config.qkvBias), o: proj(`${attn}.o_proj`, config.outputBias),
      ...(config.qkNorm ? { qNorm: `${attn}.q_norm.weight`, kNorm: `${attn}.k_norm.weight` } : {}),
      postAttentionNorm: `model.layers.${i}.post_attention_layernorm.weight`,
      gate: proj(`${mlp}.gate_proj`, false), up: proj(`${mlp}.up_proj`, false), down: proj(`${mlp}.down_proj`, false),
    };
  });
  const embed = 'model.embed_tokens.weight';
  return { embed, layers, finalNorm: 'model.norm.weight', lmHead: config.tieWordEmbeddings ? embed : 'lm_head.weight' };
}

export class CausalLM {
  readonly runtime: Runtime;
  readonly dtype: FloatDType;
  /** Current weights by Hugging Face name (trained in place under full fine-tuning). */
  readonly weights: ReadonlyMap<string, Parameter>;
  /** The LoRA adapter, or null under full fine-tuning. */
  readonly adapter: { config: LoraAdapterConfig; params: ReadonlyMap<string, Parameter> } | null;
  /** What the optimizer updates, by name (views of `weights` or of the adapter). */
  readonly trainable: ReadonlyMap<string, Parameter>;
  private readonly reference: ReadonlyMap<string, Parameter> | null;
  private readonly graphs = new Map<string, Promise<CompiledGraph>>();
  private readonly lossIds = new WeakMap<LossSpec, number>();
  private lossCount = 0;

  /**
   * Takes ownership of the weight arrays (float32: no copy; full fine-tuning then trains them in place). Throws when
   * a weight is missing or misshapen for `config`.
   */
  constructor(readonly config: LlamaConfig, weights: ModelWeights, options: CausalLMOptions = {}) {
    this.dtype = options.dtype ?? 'float32';
    // onnxruntime's 'all' level rewrites x·σ(x) into a float-only kernel, so float64 graphs compile at 'basic'
    // (see .notes/engine-requests.md).
    this.runtime = options.runtime ?? new Runtime(this.dtype === 'float64' ? { optimization: 'basic' } : {});
    const widen = (a: Float32Array): FloatArray => (this.dtype === 'float64' ? Float64Array.from(a) : a);
    const own = new Map<string, Parameter>();
    for (const [name, shape] of expectedWeightShapes(config)) {
      const w = weights.get(name);
      if (!w || w.shape.join() !== shape.join()) {
        throw new Error(`CausalLM: weight ${name} ${w ? `has shape [${w.shape.join(', ')}]` : 'is missing'}; the `
          + `config needs [${shape.join(', ')}]`);
      }
      own.set(name, { data: widen(w.data), shape });
    }
    this.weights = own;
    const trainable = options.trainable ?? { kind: 'full' };
    if (trainable.kind === 'full') {
      this.adapter = null;
      this.trainable = own;
      this.reference = (options.keepReference ?? true)
        ? new Map([...own].map(([n, p]) => [n, { data: p.data.slice(), shape: p.shape }])) : null;
    } else {
      const adapter = 'options' in trainable ? loraAdapterConfig(trainable.options) : trainable.adapter;
      const pairs = 'options' in trainable ? initLora(config, adapter, trainable.options.seed ?? 0) : trainable.weights;
      const params = new Map<string, Parameter>();
      for (const [path, pair] of pairs) {
        params.set(peftTensorName(path, 'A'), { data: widen(pair.a), shape: [adapter.r, pair.inFeatures] });
        params.set(peftTensorName(path, 'B'), { data: widen(pair.b), shape: [pair.outFeatures, adapter.r] });
      }
      this.adapter = { config: adapter, params };
      this.trainable = params;
      this.reference = own;
    }
  }

  /** Per-token logprobs (and optionally entropy and hidden states) of the policy: the weights as they are now. */
  async tokenLogprobs(batch: TokenBatch, options: ScoreOptions = {}): Promise<TokenLogprobs> {
    return this.score('policy', batch, options);
  }

  /**
   * The same under the KL reference: the base without the adapter (LoRA), or the frozen initial weights (full
   * fine-tuning with keepReference).
   */
  async referenceLogprobs(batch: TokenBatch, options: ScoreOptions = {}): Promise<TokenLogprobs> {
    if (!this.reference) {
      throw new Error('CausalLM.referenceLogprobs: this full fine-tuning model keeps no reference copy; create it '
        + 'with keepReference: true');
    }
    return this.score('reference', batch, options);
  }

  /**
   * Gradients of `loss` on one micro-batch for the trainable parameters only. `inputs` holds the loss's declared
   * extra inputs for these rows; `totals` are counted over the whole optimizer step. Gradients are written into
   * `into` when given (reused buffers).
   */
  async gradients(batch: TokenBatch, loss: LossSpec, inputs: Readonly<Record<string, Float32Array>>,
    totals: LossTotals, options: { temperature?: number; into?: ReadonlyMap<string, FloatArray> } = {}):
    Promise<MicroBatchGradients> {
    const graph = await this.graph(`train:${this.lossId(loss)}`, () => this.trainGraph(loss));
    const feeds: Record<string, TensorValue> = { ...this.batchFeeds(batch, options.temperature ?? 1),
      ...this.parameterFeeds('policy'),
      total_tokens: { data: Float32Array.of(totals.tokens), shape: [] },
      total_sequences: { data: Float32Array.of(totals.sequences), shape: [] } };
    for (const [name, kind] of Object.entries(loss.inputs)) {
      const data = inputs[name];
      const shape = kind === 'row' ? [batch.rows] : [batch.rows, batch.scored];
      if (!data || data.length !== shape.reduce((a, b) => a * b, 1)) {
        throw new Error(`loss '${loss.name}': input '${name}' needs ${kind === 'row' ? 'one value per row' : 'one '
          + 'value per scored token'} (shape [${shape.join(', ')}]), got ${data ? data.length : 'nothing'}`);
      }
      feeds[name] = { data, shape };
    }
    const into: Record<string, FloatArray> = {};
    for (const [name, buffer] of options.into ?? []) into[`grad.${name}`] = buffer;
    const out = await graph.run(feeds, { into });
    const gradients = new Map<string, FloatArray>();
    for (const name of this.trainable.keys()) gradients.set(name, out[`grad.${name}`]!.data as FloatArray);
    const metrics: Record<string, number> = {};
    for (const name of Object.keys(out)) {
      if (name.startsWith('metric.')) metrics[name.slice(7)] = Number(out[name]!.data[0]);
    }
    return { loss: Number(out.loss!.data[0]), metrics, gradients };
  }

  /** The adapter in PEFT's layout (views of the trained arrays, float32), or null under full fine-tuning. */
  loraWeights(): LoraWeights | null {
    if (!this.adapter) return null;
    const pairs: LoraWeights = new Map();
    const p = this.adapter.params;
    for (const name of p.keys()) {
      const m = /^base_model\.model\.(.+)\.lora_A\.weight$/.exec(name);
      if (!m) continue;
      const a = p.get(name)!, b = p.get(peftTensorName(m[1]!, 'B'))!;
      pairs.set(m[1]!, { a: toFloat32(a.data), b: toFloat32(b.data), inFeatures: a.shape[1]!,
        outFeatures: b.shape[0]! });
    }
    return pairs;
  }

  /** The weights to save as a Hugging Face model: current weights, with the adapter merged in under LoRA. */
  mergedWeights(): ModelWeights {
    const base: ModelWeights = new Map([...this.weights].map(([n, p]) => [n, { shape: [...p.shape],
      data: toFloat32(p.data) }]));
    return this.adapter ? mergeLora(base, this.adapter.config, this.loraWeights()!) : base;
  }

  /**
   * Continuations of prompts (token ids) under the policy's current weights, greedy or sampled, with a KV cache
   * (generate.ts).
   */
  async generate(prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<Generation[]> {
    return generate(this, prompts, options);
  }

  /**
   * Compiles, once per key, a graph built over the policy's weights (with the adapter under LoRA) as input nodes,
   * which are added to its inputs; `weightFeeds` feeds them. For graphs defined outside this class (decode.ts).
   */
  async compileWithWeights(key: string, build: (weights: LlamaWeights<Node>) => DecoderGraph):
    Promise<CompiledGraph> {
    return this.graph(`with-weights:${key}`, () => {
      const weights = this.weightNodes(this.adapter !== null);
      const spec = build(weights.nodes);
      return { ...spec, inputs: [...spec.inputs, ...weights.inputs] };
    });
  }

  /** Feeds for the weight inputs of `compileWithWeights` graphs: views of the current weights (and adapter). */
  weightFeeds(): Record<string, TensorValue> {
    return this.parameterFeeds('policy');
  }

  /** Releases the compiled graphs (and the runtime's sessions). */
  async dispose(): Promise<void> {
    this.graphs.clear();
    await this.runtime.dispose();
  }

  private async score(which: 'policy' | 'reference', batch: TokenBatch, options: ScoreOptions):
    Promise<TokenLogprobs> {
    const wants = { entropy: options.entropy ?? false, hidden: options.hidden ?? false };
    const withAdapter = which === 'policy' && this.adapter !== null;
    const key = `score:${withAdapter}:${wants.entropy}:${wants.hidden}`;
    const graph = await this.graph(key, () => {
      const b = tokenBatchInputs();
      const weights = this.weightNodes(withAdapter);
      const s = tokenScores(this.config, weights.nodes, b, this.dtype);
      const outputs: Record<string, Node> = { logprobs: s.logprobs };
      if (wants.entropy) outputs.entropy = s.entropy;
      if (wants.hidden) outputs.hidden = s.hidden;
      return { name: `token-scores${withAdapter ? ' with adapter' : ''}`, inputs: [...Object.values(b),
        ...weights.inputs], outputs };
    });
    const chunkTokens = options.chunkTokens ?? CHUNK_TOKENS;
    if (!(Number.isSafeInteger(chunkTokens) && chunkTokens > 0)) {
      throw new Error(`CausalLM: chunkTokens must be a positive integer, got ${chunkTokens}`);
    }
    const S = batch.scored, C = this.config.hiddenSize;
    const Float = this.dtype === 'float64' ? Float64Array : Float32Array;
    const result: Record<string, FloatArray> = { logprobs: new Float(batch.rows * S),
      ...(wants.entropy ? { entropy: new Float(batch.rows * S) } : {}),
      ...(wants.hidden ? { hidden: new Float(batch.rows * S * C) } : {}) };
    for (const { from, to, batch: chunk, trail } of rowChunks(batch, rowsPerChunk(batch, chunkTokens))) {
      const out = await graph.run({ ...this.batchFeeds(chunk, options.temperature ?? 1),
        ...this.parameterFeeds(which) });
      for (const [name, whole] of Object.entries(result)) {
        // A chunk's [rows, S − trail, width] goes into the batch's [B, S, width]; dropped positions stay 0.
        const part = out[name]!.data as FloatArray;
        const width = name === 'hidden' ? C : 1;
        for (let r = 0; r < to - from; r++) {
          whole.set(part.subarray(r * (S - trail) * width, (r + 1) * (S - trail) * width), (from + r) * S * width);
        }
      }
    }
    return {
      logprobs: result.logprobs!,
      ...(wants.entropy ? { entropy: result.entropy! } : {}),
      ...(wants.hidden ? { hidden: result.hidden! } : {}),
    };
  }

  private trainGraph(loss: LossSpec) {
    const b = tokenBatchInputs();
    const weights = this.weightNodes(this.adapter !== null);
    const s = tokenScores(this.config, weights.nodes, b, this.dtype);
    const reserved = new Set(['input_ids', 'attention_mask', 'position_ids', 'loss_mask', 'temperature',
      'total_tokens', 'total_sequences', ...this.weights.keys(), ...this.trainable.keys()]);
    const extras: Record<string, Node> = {};
    const extraInputs: Node[] = [];
    for (const [name, kind] of Object.entries(loss.inputs)) {
      if (reserved.has(name)) throw new Error(`loss '${loss.name}': input name '${name}' is taken by the model`);
      const node = input(name, 'float32', kind === 'row' ? ['batch'] : ['batch', 'scored']);
      extraInputs.push(node);
      extras[name] = cast(node, this.dtype);
    }
    const totalTokens = input('total_tokens', 'float32', []);
    const totalSequences = input('total_sequences', 'float32', []);
    const built = loss.build({ logprobs: s.logprobs, entropy: s.entropy, mask: s.mask, inputs: extras,
      totalTokens: cast(totalTokens, this.dtype), totalSequences: cast(totalSequences, this.dtype) });
    const trainable = [...this.trainable.keys()].map((n) => weights.byName.get(n)!);
    const grads = grad(built.loss, trainable);
    const outputs: Record<string, Node> = { loss: built.loss };
    for (const [name, m] of Object.entries(built.metrics)) outputs[`metric.${name}`] = m;
    [...this.trainable.keys()].forEach((name, i) => (outputs[`grad.${name}`] = grads[i]!));
    return { name: `train ${loss.name}`, inputs: [...Object.values(b), totalTokens, totalSequences, ...extraInputs,
      ...weights.inputs], outputs };
  }

  /** Input nodes for every weight (and the adapter when `withAdapter`), in the model's structure. */
  private weightNodes(withAdapter: boolean): { nodes: LlamaWeights<Node>; inputs: Node[]; byName: Map<string, Node> } {
    const byName = new Map<string, Node>();
    const node = (name: string, shape: readonly number[]): Node => {
      let n = byName.get(name);
      if (!n) byName.set(name, (n = input(name, this.dtype, shape)));
      return n;
    };
    const weight = (name: string): Node => node(name, this.weights.get(name)!.shape);
    const names = hfWeightNames(this.config);
    const adapter = withAdapter ? this.adapter : null;
    const scale = adapter ? loraScaling(adapter.config) : 0;
    const proj = (p: Projection<string>, layer: number, name: ProjectionName): Projection<Node> => {
      const path = loraModulePath(layer, `${name}_proj`);
      const a = adapter?.params.get(peftTensorName(path, 'A'));
      const b = adapter?.params.get(peftTensorName(path, 'B'));
      return {
        weight: weight(p.weight),
        ...(p.bias ? { bias: weight(p.bias) } : {}),
        ...(a && b ? { lora: { a: node(peftTensorName(path, 'A'), a.shape), b: node(peftTensorName(path, 'B'),
          b.shape), scale } } : {}),
      };
    };
    const nodes = mapWeights(names, weight, proj);
    return { nodes, inputs: [...byName.values()], byName };
  }

  /** Feeds for every weight input of a graph: current weights (+ adapter) or the reference weights. */
  private parameterFeeds(which: 'policy' | 'reference'): Record<string, TensorValue> {
    const feeds: Record<string, TensorValue> = {};
    const weights = which === 'policy' ? this.weights : this.reference!;
    for (const [name, p] of weights) feeds[name] = { data: p.data, shape: p.shape };
    if (which === 'policy' && this.adapter) {
      for (const [name, p] of this.adapter.params) feeds[name] = { data: p.data, shape: p.shape };
    }
    return feeds;
  }

  private batchFeeds(batch: TokenBatch, temperature: number): Record<string, TensorValue> {
    if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}`);
    return tokenBatchFeeds(batch, temperature);
  }

  private async graph(key: string, build: () => Parameters<Runtime['compile']>[0]): Promise<CompiledGraph> {
    let g = this.graphs.get(key);
    if (!g) {
      g = this.runtime.compile(build());
      this.graphs.set(key, g);
      g.catch(() => this.graphs.delete(key));
    }
    return g;
  }

  private lossId(loss: LossSpec): number {
    let id = this.lossIds.get(loss);
    if (id === undefined) this.lossIds.set(loss, (id = this.lossCount++));
    return id;
  }
}

function toFloat32(a: FloatArray): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}
