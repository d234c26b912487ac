// `grpo sft`: a two-step run from a recipe writes a model folder that loads with its tokenizer and chat template;
// mistakes in the model and train sections are reported with file:line:col (the text users see is pinned here).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { builtinScorers } from '../../rewards/index.ts';
import { runSftCommand } from '../../src/cli/sft.ts';
import { Runtime } from '../../src/engine/index.ts';
import { readCheckpointManifest } from '../../src/model/checkpoint.ts';
import { loadModel, randomModelConfig } from '../../src/model/load-model.ts';
import { loadTokenizer } from '../../src/model/tokenizer.ts';
import { RandomInitSpec } from '../../src/recipe/model-section.ts';
import { recipeFromSource } from '../../src/recipe/load-recipe.ts';
import { ConfigError } from '../../src/recipe/problem.ts';
import { parseYamlSource } from '../../src/recipe/yaml-source.ts';
import { tempDirs } from '../model/temp-dirs.ts';
import { dedent } from '../reward/score-helpers.ts';

const runtime = new Runtime({ threads: 1 });
afterAll(() => runtime.dispose());
const tempDir = tempDirs('sft-cli');
const TOKENIZER = join(import.meta.dirname, '../../models/tiny-tokenizer');

describe('grpo sft', () => {
  test('two steps on a random tiny model write a loadable Hugging Face folder', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'rows.jsonl'), [
      { q: 'What is 1 + 2?', target: '1 + 2 = 3. The answer is 3.', answer: '3' },
      { q: 'What is 5 - 4?', target: '5 - 4 = 1. The answer is 1.', answer: '1' },
      'not json',
      { q: 'Twice a number is 8. What is the number?', target: '8 / 2 = 4. The answer is 4.', answer: '4' },
    ].map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n'));
    writeFileSync(join(dir, 'sft.yaml'), dedent(`
      model:
        init:
          tokenizer: ${TOKENIZER}
          random: { hiddenSize: 32, intermediateSize: 64, layers: 2, heads: 2, seed: 4 }
      data:
        path: rows.jsonl
        fields: { prompt: q, completion: target }
        system: Answer briefly.
      train: { steps: 2, batchSize: 2, lr: 1.0e-3, output: ${join(dir, 'run')} }
    `));
    const lines: string[] = [];
    const result = await runSftCommand({ recipe: join(dir, 'sft.yaml'), log: (l) => lines.push(l), runtime });
    expect(lines).toEqual([
      'rows.jsonl:3: not valid JSON (Unexpected token \'o\', "not json" is not valid JSON); line skipped',
      `sft: random(llama, seed 4) (0.03 M parameters, full fine-tuning); 3 examples (0 cut to maxLength 1024, 0 `
        + `skipped); 2 steps of 2 rows → ${join(dir, 'run')}`,
      expect.stringMatching(/^step 2\/2 {2}loss \d+\.\d{4} {2}lr 5\.00e-4 {2}grad-norm \d+\.\d{3} {2}tokens\/s \d+ /),
      `saved ${join(dir, 'run', 'final')} (a Hugging Face model folder)`,
    ]);
    expect(readdirSync(result.finalDir).sort()).toEqual(['checkpoint.json', 'config.json', 'generation_config.json',
      'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const model = loadModel({ path: result.finalDir });
    expect(model.config).toMatchObject({ hiddenSize: 32, numLayers: 2, vocabSize: 320, eosTokenIds: [2] });
    expect(model.chatTemplate!.render([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }))
      .toBe('<|bos|><|user|>hi<|eos|><|assistant|>');
    const manifest = readCheckpointManifest(result.finalDir);
    expect(manifest).toMatchObject({ step: 2, seed: 0, weights: 'full', resumable: false });
    expect(manifest.recipe).toMatchObject({ data: { system: 'Answer briefly.' }, train: { lr: 0.001, steps: 2 } });
    expect(readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  test('model.lora trains an adapter; final/ holds the merged model and the PEFT adapter', async () => {
    const dir = tempDir();
    const row = { prompt: 'What is 1 + 2?', completion: 'The answer is 3.' };
    writeFileSync(join(dir, 'rows.jsonl'), JSON.stringify(row));
    writeFileSync(join(dir, 'sft.yaml'), dedent(`
      model:
        init: { tokenizer: ${TOKENIZER}, random: { hiddenSize: 32, intermediateSize: 64, layers: 1, heads: 2 } }
        lora: { rank: 2, alpha: 4, targets: [q_proj, down_proj], rslora: true, seed: 3 }
      data: { path: rows.jsonl }
      train: { steps: 1, batchSize: 1, output: ${join(dir, 'run')} }
    `));
    const result = await runSftCommand({ recipe: join(dir, 'sft.yaml'), log: () => {}, runtime });
    expect(JSON.parse(readFileSync(join(result.finalDir, 'adapter', 'adapter_config.json'), 'utf8'))).toMatchObject({
      r: 2, lora_alpha: 4, target_modules: ['q_proj', 'down_proj'], use_rslora: true,
      base_model_name_or_path: 'random(llama, seed 0)' });
    expect(readCheckpointManifest(result.finalDir)).toMatchObject({ weights: 'merged-lora',
      base: 'random(llama, seed 0)' });
  });

  test('an SFT recipe needs a model and data.path', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sft.yaml'), `train: { steps: 1 }\n`);
    await expect(runSftCommand({ recipe: join(dir, 'sft.yaml'), runtime })).rejects.toThrow([
      `${join(dir, 'sft.yaml')}:1:1  model: an SFT recipe needs a model section (path, or init)`,
      `${join(dir, 'sft.yaml')}:1:1  data.path: SFT reads its rows from data.path (a JSONL file)`,
    ].join('\n'));
  });
});

async function problemsOf(yaml: string): Promise<string> {
  try {
    await recipeFromSource(parseYamlSource(dedent(yaml), 'recipe.yaml'), tempDir(),
      { registry: builtinScorers });
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return 'no problems';
}

describe('model and train sections', () => {
  test('every problem of both sections in one pass, located, with the nearest valid name', async () => {
    // zod runs a section's cross-field rules (path xor init) only once its fields parse; see the next test.
    expect(await problemsOf(`
      model:
        path: ../base
        init: { tokenizer: tok, random: { hiddenSize: 30, heads: 4, kvHeads: 3 } }
        lora: { rank: 0, targets: [q_proj, qkv_proj] }
      train:
        lrr: 0.1
        batchSize: 4
        microBatchRows: 8
        schedule: cosin
        betas: [0.9]
        maxGradNorm: null
    `)).toBe([
      'recipe.yaml:3:60  model.init.random.heads: hiddenSize 30 is not divisible by heads 4; set headDim',
      'recipe.yaml:3:72  model.init.random.kvHeads: heads (4) must be a multiple of kvHeads (3)',
      'recipe.yaml:4:17  model.lora.rank: too small: expected number to be >0',
      'recipe.yaml:4:38  model.lora.targets[1]: invalid value "qkv_proj" (known: q_proj, k_proj, v_proj, o_proj, '
        + 'gate_proj, up_proj, down_proj)',
      '  hint: did you mean "q_proj"?',
      'recipe.yaml:6:3  train.lrr: unknown key "lrr" (known: lr, schedule, warmupSteps, minLrRatio, weightDecay, '
        + 'betas, eps, maxGradNorm, batchSize, microBatchRows, microBatchTokens, epochs, …)',
      '  hint: did you mean "lr"?',
      'recipe.yaml:9:13  train.schedule: invalid value "cosin" (known: constant, linear, cosine)',
      '  hint: did you mean "cosine"?',
      'recipe.yaml:10:10  train.betas: too small: expected array to have >=2 items',
    ].join('\n'));
  });

  test('neither path nor init; cross-field rules of train', async () => {
    expect(await problemsOf(`
      model:
        lora: {}
      train: { batchSize: 2, microBatchRows: 3, steps: 5, warmupSteps: 10 }
    `)).toBe([
      'recipe.yaml:2:3  model: needs `path` (a Hugging Face model folder) or `init: { random: …, tokenizer: … }`',
      'recipe.yaml:3:40  train.microBatchRows: microBatchRows (3) is larger than batchSize (2)',
      'recipe.yaml:3:66  train.warmupSteps: warmupSteps (10) is more than steps (5)',
    ].join('\n'));
  });

  test('every field of model.init.random reaches the model config', () => {
    const tokenizer = loadTokenizer(TOKENIZER);
    const shape = RandomInitSpec.parse({ architecture: 'qwen3', hiddenSize: 48, intermediateSize: 96, layers: 3,
      heads: 6, kvHeads: 2, headDim: 16, tieWordEmbeddings: false, ropeTheta: 1e6, maxPositionEmbeddings: 64,
      rmsNormEps: 1e-5, vocabSize: 384, seed: 2 });
    expect(randomModelConfig(shape, tokenizer)).toEqual({ architecture: 'Qwen3ForCausalLM', family: 'qwen3',
      vocabSize: 384, hiddenSize: 48, intermediateSize: 96, numLayers: 3, numHeads: 6, numKvHeads: 2, headDim: 16,
      rmsNormEps: 1e-5, ropeTheta: 1e6, ropeScaling: { kind: 'none' }, maxPositionEmbeddings: 64, qkvBias: false,
      outputBias: false, qkNorm: true, tieWordEmbeddings: false, slidingWindow: null, bosTokenId: 1,
      eosTokenIds: [2], padTokenId: 0 });
    const mistral = randomModelConfig(RandomInitSpec.parse({ architecture: 'mistral', slidingWindow: 8 }), tokenizer);
    expect([mistral.slidingWindow, mistral.headDim, mistral.numKvHeads, mistral.vocabSize]).toEqual([8, 32, 4, 320]);
    expect(randomModelConfig(RandomInitSpec.parse({ architecture: 'qwen2' }), tokenizer).qkvBias).toBe(true);
    expect(() => loadModel({ tokenizer: TOKENIZER, random: RandomInitSpec.parse({ vocabSize: 100 }) }))
      .toThrow('tokenizer.json: has 320 tokens, more than model.init.random.vocabSize 100');
  });

  test('defaults: a recipe without train gets TRL-like settings', async () => {
    const source = parseYamlSource(`model: { path: x }\n`, 'r.yaml');
    const { recipe } = await recipeFromSource(source, tempDir(), { registry: builtinScorers });
    expect(recipe.train).toEqual({ lr: 2e-5, schedule: 'linear', warmupSteps: 0, minLrRatio: 0, weightDecay: 0,
      betas: [0.9, 0.999], eps: 1e-8, maxGradNorm: 1, batchSize: 8, epochs: 1, maxLength: 1024,
      seed: 0, saveEvery: null, keepCheckpoints: 2, logEvery: 10 });
    expect(recipe.model).toEqual({ path: 'x' });
  });
});
