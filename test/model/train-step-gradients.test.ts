// Gradients of the train step against central finite differences of the same loss, in float64, for full
// fine-tuning and for LoRA, and gradient accumulation over micro-batches against the whole batch at once.
import { afterAll, describe, expect, test } from 'vitest';
import { Runtime, add, div, mul, square, sub, sum, unsqueeze } from '../../src/engine/index.ts';
import type { FloatArray } from '../../src/model/adamw.ts';
import { AdamW } from '../../src/model/adamw.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { randomWeights, tinyConfig } from '../../src/model/random-model.ts';
import { packTokenBatch } from '../../src/model/token-logprobs.ts';
import type { LossSpec, TrainBatch } from '../../src/model/train-step.ts';
import { TrainStep, sftCrossEntropy } from '../../src/model/train-step.ts';

// onnxruntime's 'all' level fuses x·σ(x) into a float-only kernel; float64 graphs run at 'basic'.
const runtime = new Runtime({ threads: 1, optimization: 'basic' });
afterAll(() => runtime.dispose());

/**
 * A loss touching every term a GRPO-family loss can use: a per-row weight on the logprobs, a per-token squared
 * distance to given logprobs, and an entropy bonus, normalised by both step totals; two metrics.
 */
const testLoss: LossSpec = {
  name: 'test-loss',
  inputs: { advantages: 'row', old: 'token' },
  build: ({ logprobs, entropy, mask, inputs, totalTokens, totalSequences }) => {
    const weighted = div(sum(mul(logprobs, unsqueeze(inputs.advantages!, -1))), totalSequences);
    const drift = div(sum(mul(square(sub(logprobs, inputs.old!)), mask)), totalTokens);
    const bonus = div(sum(entropy), totalTokens);
    return { loss: sub(add(drift, mul(bonus, 0.1)), weighted), metrics: { drift, entropy: bonus } };
  },
};

const rows = [
  { prompt: [1, 5, 9], completion: [3, 17, 22, 2] },
  { prompt: [1, 7], completion: [12, 13] },
  { prompt: [1, 30, 31, 40], completion: [31, 32, 33, 2] },
  { prompt: [1], completion: [50, 51, 52] },
];
const tokens = packTokenBatch(rows, 0);
const batch: TrainBatch = {
  tokens,
  inputs: {
    advantages: Float32Array.of(1, -0.5, 0.25, -1),
    old: Float32Array.from({ length: tokens.rows * tokens.scored }, (_, i) => -3 - 0.1 * (i % 7)),
  },
};

/** The loss of the whole batch (one micro-batch) at the current parameter values. */
async function lossOf(model: CausalLM, spec: LossSpec): Promise<number> {
  let total = 0;
  for (const m of tokens.lossMask) total += m;
  return (await model.gradients(tokens, spec, batch.inputs, { tokens: total, sequences: tokens.rows },
    { temperature: 0.8 })).loss;
}

/**
 * Worst error of analytic vs central-difference derivatives at three coordinates of every tensor, relative to
 * max(|numeric|, 1e-3) so that near-zero derivatives are judged on an absolute scale.
 */
async function finiteDifferenceError(model: CausalLM, grads: ReadonlyMap<string, FloatArray>, spec: LossSpec):
  Promise<number> {
  const h = 1e-5;
  let worst = 0;
  let k = 0;
  for (const [name, p] of model.trainable) {
    const g = grads.get(name)!;
    for (const i of [0, Math.floor(p.data.length / 2), p.data.length - 1 - (k++ % 3)]) {
      const keep = p.data[i]!;
      p.data[i] = keep + h;
      const up = await lossOf(model, spec);
      p.data[i] = keep - h;
      const down = await lossOf(model, spec);
      p.data[i] = keep;
      const numeric = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(g[i]! - numeric) / Math.max(Math.abs(numeric), 1e-3));
    }
  }
  return worst;
}

describe('train-step gradients against finite differences (float64)', () => {
  test('full fine-tuning, Qwen3 variant (q/k norm, GQA, tied head), two micro-batches', async () => {
    const config = tinyConfig('qwen3');
    const model = new CausalLM(config, randomWeights(config, 3), { runtime, dtype: 'float64', keepReference: false });
    const step = new TrainStep(model, new AdamW(model.trainable, { lr: 0 }), { microBatchRows: 2, temperature: 0.8 });
    const accumulated = await step.gradients(batch, testLoss);
    expect(accumulated.microBatches).toBe(2);
    expect(accumulated.loss).toBeCloseTo(await lossOf(model, testLoss), 12);
    expect(await finiteDifferenceError(model, accumulated.gradients, testLoss)).toBeLessThan(1e-6);
  });

  test('LoRA on every target, attention-bias variant (q/k/v and o biases)', async () => {
    const config = tinyConfig('attention-bias');
    const model = new CausalLM(config, randomWeights(config, 4), { runtime, dtype: 'float64',
      trainable: { kind: 'lora', options: { rank: 2, alpha: 4, seed: 1 } } });
    // B starts at zero, which would make every A-gradient zero; give B values so both halves are checked.
    for (const [name, p] of model.trainable) {
      if (name.endsWith('lora_B.weight')) p.data.forEach((_, i) => (p.data[i] = 0.05 * Math.sin(3 * i + 1)));
    }
    const step = new TrainStep(model, new AdamW(model.trainable, { lr: 0 }), { temperature: 0.8 });
    const g = await step.gradients(batch, testLoss);
    expect([...g.gradients.keys()].every((n) => /lora_[AB]\.weight$/.test(n))).toBe(true);
    expect(g.gradients.size).toBe(2 * 7 * config.numLayers);
    expect(await finiteDifferenceError(model, g.gradients, testLoss)).toBeLessThan(1e-6);
  });

  test('micro-batches of 2 rows, or of 1 row with its padding dropped, give the gradients of the batch of 4',
    async () => {
    const config = tinyConfig('gqa');
    const model = new CausalLM(config, randomWeights(config, 6), { runtime, dtype: 'float64', keepReference: false });
    const whole = new TrainStep(model, new AdamW(model.trainable, { lr: 0 }));
    for (const [spec, rows] of [[sftCrossEntropy, 2], [testLoss, 2], [testLoss, 1]] as const) {
      const split = new TrainStep(model, new AdamW(model.trainable, { lr: 0 }), { microBatchRows: rows });
      const a = await whole.gradients(batch, spec);
      const b = await split.gradients(batch, spec);
      expect(b.loss).toBeCloseTo(a.loss, 12);
      for (const [k, v] of Object.entries(a.metrics)) expect(b.metrics[k]).toBeCloseTo(v, 12);
      for (const [name, ga] of a.gradients) {
        const gb = b.gradients.get(name)!;
        let worst = 0, scale = 0;
        ga.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - gb[i]!));
          scale = Math.max(scale, Math.abs(v));
        });
        expect(worst / scale, name).toBeLessThan(1e-10);
      }
    }
  });

  test('the SFT loss is the mean negative logprob over the scored tokens', async () => {
    const config = tinyConfig('llama');
    const model = new CausalLM(config, randomWeights(config, 7), { runtime, dtype: 'float64', keepReference: false });
    const { logprobs } = await model.tokenLogprobs(tokens);
    let total = 0, count = 0;
    logprobs.forEach((v, i) => {
      total -= v;
      count += tokens.lossMask[i]!;
    });
    const step = new TrainStep(model, new AdamW(model.trainable, { lr: 0 }), { microBatchRows: 3 });
    expect((await step.gradients(batch, sftCrossEntropy)).loss).toBeCloseTo(total / count, 12);
  });
});
