// The padding columns a micro-batch can drop: leading columns no row attends to (left-padded prompts) and trailing
// ones no row attends to or scores (right-padded completions), with the token layout kept aligned.
import { afterAll, describe, expect, test } from 'vitest';
import { Runtime } from '../../src/engine/index.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { randomWeights, tinyConfig } from '../../src/model/random-model.ts';
import { columnRange, dropColumns, packTokenBatch, paddingColumns, sliceRows, tokenBatch } from '../../src/model/token-logprobs.ts';

// Prompts of 3, 1 and 2 tokens (P = 3), completions of 1, 2 and 4 tokens (S = 4): T = 7.
const batch = packTokenBatch([
  { prompt: [1, 5, 9], completion: [3] },
  { prompt: [1], completion: [12, 2] },
  { prompt: [1, 7], completion: [20, 21, 22, 2] },
], 0);

describe('paddingColumns and dropColumns', () => {
  test('the whole batch has no column every row pads', () => {
    expect(paddingColumns(batch)).toEqual({ lead: 0, trail: 0 });
  });

  test('row 1 alone pads 2 leading and 2 trailing columns; dropping them keeps ids, positions and scored tokens', () => {
    const row = sliceRows(batch, 1, 2);
    expect([...row.inputIds].map(Number)).toEqual([0, 0, 1, 12, 2, 0, 0]);
    expect(paddingColumns(row)).toEqual({ lead: 2, trail: 2 });
    const trimmed = dropColumns(row, 2, 2);
    expect([trimmed.rows, trimmed.columns, trimmed.scored]).toEqual([1, 3, 2]);
    expect([...trimmed.inputIds].map(Number)).toEqual([1, 12, 2]);
    expect([...trimmed.attentionMask].map(Number)).toEqual([1, 1, 1]);
    expect([...trimmed.positionIds].map(Number)).toEqual([0, 1, 2]);
    expect([...trimmed.lossMask]).toEqual([1, 1]);
  });

  test('rows 0 and 1 share one trailing padding column and no leading one', () => {
    const rows = sliceRows(batch, 0, 2);
    expect(paddingColumns(rows)).toEqual({ lead: 0, trail: 2 });
    const trimmed = dropColumns(rows, 0, 2);
    expect([...trimmed.inputIds].map(Number)).toEqual([1, 5, 9, 3, 0, /**/ 0, 0, 1, 12, 2]);
    expect([...trimmed.lossMask]).toEqual([1, 0, /**/ 1, 1]);
  });

  test('keeps one prompt column and one scored column even when every row is padding there', () => {
    // Two rows whose only real token is the middle one and whose one scored position is padding.
    const padded = tokenBatch({ inputIds: [[0, 1, 0], [0, 1, 0]], attentionMask: [[0, 1, 0], [0, 1, 0]],
      lossMask: [[0], [0]] });
    expect(paddingColumns(padded)).toEqual({ lead: 1, trail: 0 });
  });

  test('columnRange copies a column range of each row', () => {
    expect([...columnRange(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3, 1, 3)]).toEqual([2, 3, 5, 6]);
  });
});

describe('scoring in chunks', () => {
  const runtime = new Runtime({ threads: 1, optimization: 'basic' });
  afterAll(() => runtime.dispose());

  test('one row per chunk, padding dropped, gives the whole batch\'s logprobs, entropy and hidden states', async () => {
    const config = tinyConfig('qwen3');
    const model = new CausalLM(config, randomWeights(config, 2), { runtime, dtype: 'float64', keepReference: false });
    const options = { temperature: 0.7, entropy: true, hidden: true };
    const whole = await model.tokenLogprobs(batch, options);
    const rows = await model.tokenLogprobs(batch, { ...options, chunkTokens: 1 });
    const S = batch.scored, C = config.hiddenSize;
    for (let i = 0; i < batch.rows * S; i++) {
      if (batch.lossMask[i] === 0) continue;                     // dropped padding positions are 0 in chunks
      expect(rows.logprobs[i]).toBeCloseTo(whole.logprobs[i]!, 12);
      expect(rows.entropy![i]).toBeCloseTo(whole.entropy![i]!, 12);
      for (let c = 0; c < C; c++) expect(rows.hidden![i * C + c]).toBeCloseTo(whole.hidden![i * C + c]!, 12);
    }
    expect(rows.logprobs[0 * S + 3]).toBe(0);                    // row 0 scores 1 of S = 4 positions
    await expect(model.tokenLogprobs(batch, { chunkTokens: 0 })).rejects.toThrow(
      'CausalLM: chunkTokens must be a positive integer, got 0');
  });
});
