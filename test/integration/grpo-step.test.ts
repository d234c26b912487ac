// One GRPO step through every layer, on the bundled model: sample G completions per prompt with the KV cache,
// score them with the reward graph, compute group advantages, and take a policy update. The README shows this code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { GrpoOptions, grpoAdvantages } from '../../src/advantage/index.ts';
import { Runtime } from '../../src/engine/index.ts';
import { AdamW } from '../../src/model/adamw.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { loadModel } from '../../src/model/load-model.ts';
import { packTokenBatch } from '../../src/model/token-logprobs.ts';
import { TrainStep } from '../../src/model/train-step.ts';
import { DataSpec } from '../../src/recipe/data-section.ts';
import { rewardGraph } from '../../src/reward/reward-graph.ts';
import { createRewardRunner } from '../../src/reward/reward-runner.ts';
import { lossOptions } from '../../src/train/loss-options.ts';
import { policyUpdate } from '../../src/train/policy-update.ts';
import { sftPromptIds } from '../../src/train/sft-data.ts';
import { builtinScorers } from '../../rewards/index.ts';

const root = join(import.meta.dirname, '../..');
const runtime = new Runtime({ threads: 1 });
afterAll(() => runtime.dispose());

describe('one GRPO step on the bundled model', () => {
  test('sample → reward → advantages → update moves the policy toward the rewarded completions', async () => {
    const model = loadModel({ path: join(root, 'models/tiny-math') });
    const policy = new CausalLM(model.config, model.weights, { runtime, trainable: { kind: 'lora',
      options: { rank: 8, alpha: 16, targets: ['q_proj', 'v_proj'] } } });
    const rows = readFileSync(join(root, 'datasets/math/arith.jsonl'), 'utf8').trim().split('\n').slice(0, 4)
      .map((l) => JSON.parse(l) as { question: string; answer: string });
    const data = DataSpec.parse({ fields: { prompt: 'question' } });
    const G = 8;

    // 1. Rollout: G sampled completions per prompt, with their sampling log-probs.
    const prompts = rows.map((r) => sftPromptIds(r, { data, chatTemplate: model.chatTemplate, tokenizer: model.tokenizer }));
    const samples = await policy.generate(prompts.flatMap((p) => Array<number[]>(G).fill(p)),
      { maxNewTokens: 40, temperature: 1, seed: 7 });
    const text = (tokens: readonly number[]) => model.tokenizer.decode(tokens, { skipSpecialTokens: true });

    // 2. Rewards: the math scorer through the reward graph (killable worker pool, one thread here).
    const graph = await rewardGraph({ primary: 'accuracy', scorers: { accuracy: { use: 'math' } } },
      { registry: builtinScorers, baseDir: root });
    const runner = createRewardRunner(graph, { answerField: 'answer', workers: 1 });
    const scored = await runner.scoreStep(rows.map((row, g) => ({
      prompt: { text: row.question }, row,
      completions: samples.slice(g * G, (g + 1) * G).map((s) => ({ text: text(s.tokens), tokenIds: s.tokens,
        finishReason: s.finishReason })),
    })), 0).finally(() => runner.close());
    const rewards = scored.groups.flat().map((c) => c.reward);
    expect(rewards.every((r) => r === 0 || r === 1)).toBe(true);

    // 3. Advantages: GRPO within each prompt's group, broadcast over completion tokens.
    const batch = packTokenBatch(samples.map((s, i) => ({ prompt: prompts[Math.floor(i / G)]!, completion: s.tokens })),
      model.generation.padTokenId ?? 0);
    const S = batch.scored;
    const masks = samples.map((_, i) => batch.lossMask.subarray(i * S, (i + 1) * S));
    const advantages = grpoAdvantages({ rewards, groupIds: samples.map((_, i) => Math.floor(i / G)), masks },
      GrpoOptions.parse({}));
    const flat = Float32Array.from(advantages.tokens.flatMap((t) => Array.from(t)));

    // 4. Update: one optimizer step of the clipped surrogate; the sampled-and-rewarded completions gain probability.
    const before = await policy.tokenLogprobs(batch);
    const step = new TrainStep(policy, new AdamW(policy.trainable, { lr: 1e-2 }));
    const [stats] = await policyUpdate(step, { tokens: batch, advantages: flat }, lossOptions('grpo'),
      { numIterations: 1, miniBatches: 1, seed: 0, temperature: 1 });
    // On-policy, every token's ratio is exactly 1; the mean is a sum of float32 shares, one per micro-batch.
    expect(stats!.metrics['ratio/mean']).toBeCloseTo(1, 6);
    const after = await policy.tokenLogprobs(batch);
    let moved = 0; // Σ Â·Δlogp over tokens: positive when the update follows the advantages
    for (let i = 0; i < flat.length; i++) moved += flat[i]! * (after.logprobs[i]! - before.logprobs[i]!);
    const informative = advantages.record.groups - advantages.record.zeroStdGroups - advantages.record.singletonGroups;
    expect(informative).toBeGreaterThan(0); // seeded: some groups mix right and wrong answers
    expect(moved).toBeGreaterThan(0);
  });
});
