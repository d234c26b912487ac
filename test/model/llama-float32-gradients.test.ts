// Float32 training gradients against float64 ones of the same model. The float32 graphs take a path the float64
// gradient checks (train-step-gradients.test.ts) cannot: the 'all' optimisation level's fusions (float64 graphs run
// at 'basic'). Their gradients must agree with the finite-difference-checked float64 ones.
import { afterAll, describe, expect, test } from 'vitest';
import { Runtime } from '../../src/engine/index.ts';
import type { FloatArray } from '../../src/model/adamw.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import type { LlamaConfig } from '../../src/model/hf-config.ts';
import type { TinyVariant } from '../../src/model/random-model.ts';
import { randomWeights, tinyConfig } from '../../src/model/random-model.ts';
import { packTokenBatch } from '../../src/model/token-logprobs.ts';
import { sftCrossEntropy } from '../../src/model/train-step.ts';

const float32Runtime = new Runtime({ threads: 1 });
// onnxruntime's 'all' level fuses x·σ(x) into a float-only kernel; float64 graphs run at 'basic'.
const float64Runtime = new Runtime({ threads: 1, optimization: 'basic' });
afterAll(async () => {
  await float32Runtime.dispose();
  await float64Runtime.dispose();
});

const tokens = packTokenBatch([
  { prompt: [1, 5, 9], completion: [3, 17, 22, 2] },
  { prompt: [1, 7], completion: [12, 13] },
  { prompt: [1, 30, 31, 40, 41, 42], completion: [31, 32, 33, 2] },
], 0);

async function gradients(config: LlamaConfig, dtype: 'float32' | 'float64'): Promise<Map<string, FloatArray>> {
  const model = new CausalLM(config, randomWeights(config, 11), { keepReference: false, dtype,
    runtime: dtype === 'float32' ? float32Runtime : float64Runtime });
  let total = 0;
  for (const m of tokens.lossMask) total += m;
  const g = await model.gradients(tokens, sftCrossEntropy, {}, { tokens: total, sequences: tokens.rows });
  return new Map(g.gradients);
}

describe('float32 gradients against float64 gradients of the same model', () => {
  const variants: TinyVariant[] = ['llama', 'qwen3', 'mistral', 'llama3-rope'];
  test.each(variants)('%s: every tensor within 1e-4 of its largest float64 entry', async (variant) => {
    const config = tinyConfig(variant);
    const [single, double] = [await gradients(config, 'float32'), await gradients(config, 'float64')];
    expect([...single.keys()].sort()).toEqual([...double.keys()].sort());
    for (const [name, g64] of double) {
      const g32 = single.get(name)!;
      let scale = 0;
      let worst = 0;
      g64.forEach((v, i) => {
        scale = Math.max(scale, Math.abs(v));
        worst = Math.max(worst, Math.abs(v - g32[i]!));
      });
      expect(scale, name).toBeGreaterThan(0);
      expect(worst / scale, name).toBeLessThan(1e-4);
    }
  });
});
