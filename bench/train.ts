// `npm run bench -- train [rounds] [shapes…]`: training-step throughput of the engine model (full fine-tuning with
// AdamW, and LoRA rank 16 on all seven projections) on shapes S and M, side by side with the PyTorch CPU eager
// baseline (bench/torch-train.py) when /usr/bin/python3 has torch. Every (shape, trainable set, framework) runs in
// its own child process, so peak RSS is its own; ours and torch's alternate, `rounds` times (default 3), and the
// JSON reports medians over rounds of per-run medians (6 steps after 2 warm-up steps). Ours runs with TrainStep's
// defaults (micro-batches of about 2,048 tokens); torch runs both ways, the whole batch at once and the same
// micro-batches, and each round compares against the faster of the two (its best configuration). Ratios ours /
// torch: of the medians, per round, and the median of the per-round ratios (the steadiest on a shared machine).
// `torch_gemm_only_ms` is what the matrix products alone of one full step take in torch's BLAS: a floor for any step.
// FLOPs are counted as torch-train.py does: 6 × (2-D params without the embedding) × tokens + attention.
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { AdamW } from '../src/model/adamw.ts';
import { CausalLM } from '../src/model/causal-lm.ts';
import type { LlamaConfig } from '../src/model/hf-config.ts';
import { randomWeights } from '../src/model/random-model.ts';
import { CHUNK_TOKENS, packTokenBatch } from '../src/model/token-logprobs.ts';
import { TrainStep, sftCrossEntropy } from '../src/model/train-step.ts';

interface Shape {
  vocab: number; hidden: number; layers: number; heads: number; inter: number; batch: number; seq: number;
  lossTokens: number;
}

const SHAPES: Record<string, Shape> = {
  S: { vocab: 512, hidden: 256, layers: 4, heads: 8, inter: 1024, batch: 32, seq: 128, lossTokens: 96 },
  M: { vocab: 8192, hidden: 512, layers: 8, heads: 8, inter: 1408, batch: 16, seq: 256, lossTokens: 192 },
};
const KINDS = ['full', 'lora16'] as const;
type Kind = (typeof KINDS)[number];
const WARMUP = 2;
const STEPS = 6;

interface Result {
  tokens_per_s: number;
  gflops: number;
  step_ms: number;
  peak_rss_mb: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function configOf(s: Shape): LlamaConfig {
  return {
    architecture: 'LlamaForCausalLM', family: 'llama', vocabSize: s.vocab, hiddenSize: s.hidden,
    intermediateSize: s.inter, numLayers: s.layers, numHeads: s.heads, numKvHeads: s.heads, headDim: s.hidden / s.heads,
    rmsNormEps: 1e-6, ropeTheta: 10000, ropeScaling: { kind: 'none' }, maxPositionEmbeddings: s.seq, qkvBias: false,
    outputBias: false, qkNorm: false, tieWordEmbeddings: false, slidingWindow: null, bosTokenId: 1, eosTokenIds: [2],
    padTokenId: 0,
  };
}

/** One (shape, trainable set) in this process: median step time after warm-up. */
async function measure(s: Shape, kind: Kind): Promise<Result> {
  const config = configOf(s);
  const model = new CausalLM(config, randomWeights(config, 0), {
    keepReference: false,
    trainable: kind === 'full' ? { kind: 'full' } : { kind: 'lora', options: { rank: 16, alpha: 32 } },
  });
  const optimizer = new AdamW(model.trainable, { lr: 1e-4 });
  const step = new TrainStep(model, optimizer, { maxGradNorm: null });   // torch-train.py does not clip
  let seed = 1;
  const token = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % s.vocab;
  const prompt = s.seq - s.lossTokens;
  const tokens = packTokenBatch(Array.from({ length: s.batch }, () => ({
    prompt: Array.from({ length: prompt }, token), completion: Array.from({ length: s.lossTokens }, token) })), 0);
  const times: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const start = performance.now();
    await step.run({ tokens, inputs: {} }, sftCrossEntropy);
    if (i >= WARMUP) times.push((performance.now() - start) / 1000);
  }
  const t = median(times);
  const tokensPerStep = s.batch * (s.seq - 1);
  const params = s.layers * (4 * s.hidden * s.hidden + 3 * s.hidden * s.inter) + s.vocab * s.hidden;
  const flops = 6 * params * tokensPerStep + 12 * s.layers * s.hidden * (s.seq - 1) * tokensPerStep;
  return {
    tokens_per_s: Math.round(tokensPerStep / t * 10) / 10,
    gflops: Math.round(flops / t / 1e7) / 100,
    step_ms: Math.round(t * 10000) / 10,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
  };
}

function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Rows per micro-batch under TrainStep's default token budget (rows of `seq` padded tokens). */
const microRows = (s: Shape): number => Math.max(1, Math.floor(CHUNK_TOKENS / s.seq));

const torchEnv = { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX', OMP_WAIT_POLICY: 'PASSIVE' };

function child(args: string[], torch: boolean): Result {
  const out = torch
    ? execFileSync('/usr/bin/python3', ['bench/torch-train.py', '--one', ...args], { env: torchEnv, encoding: 'utf8' })
    : execFileSync(process.execPath, ['--import', 'tsx', 'bench/train.ts', '--one', ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Result;
}

function summary(runs: Result[]): Result {
  const keys = ['tokens_per_s', 'gflops', 'step_ms', 'peak_rss_mb'] as const;
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))])) as unknown as Result;
}

const argv = process.argv.slice(2);
if (argv[0] === '--one') {
  console.log(JSON.stringify(await measure(SHAPES[argv[1]!]!, argv[2] as Kind)));
} else {
  const rounds = Number(argv[0] ?? 3);
  const names = argv.slice(1).length > 0 ? argv.slice(1) : Object.keys(SHAPES);
  const withTorch = torchAvailable();
  const report: Record<string, unknown> = { bench: 'train', threads: availableParallelism(), rounds, warmup: WARMUP,
    steps: STEPS, micro_batch_rows: Object.fromEntries(names.map((n) => [n, microRows(SHAPES[n]!)])),
    torch: withTorch ? 'OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE /usr/bin/python3' : null,
    load_average_at_start: loadavg().map((x) => Math.round(x * 100) / 100) };
  for (const name of names) {
    const perKind: Record<string, unknown> = {};
    for (const kind of KINDS) {
      const ours: Result[] = [], whole: Result[] = [], micro: Result[] = [], best: Result[] = [], chosen: string[] = [];
      for (let r = 0; r < rounds; r++) {
        ours.push(child([name, kind], false));
        if (!withTorch) continue;
        whole.push(child([name, kind], true));
        micro.push(child([name, kind, String(microRows(SHAPES[name]!))], true));
        const wholeWins = whole.at(-1)!.tokens_per_s >= micro.at(-1)!.tokens_per_s;
        best.push(wholeWins ? whole.at(-1)! : micro.at(-1)!);
        chosen.push(wholeWins ? 'whole_batch' : 'micro_batches');
      }
      const o = summary(ours);
      const ratios = best.map((t, i) => Math.round(ours[i]!.tokens_per_s / t.tokens_per_s * 100) / 100);
      perKind[kind] = withTorch
        ? { ours: o, torch_whole_batch: summary(whole), torch_micro_batches: summary(micro), torch_best: summary(best),
            torch_best_per_round: chosen,
            ratio_tokens_per_s: Math.round(o.tokens_per_s / summary(best).tokens_per_s * 100) / 100,
            ratio_per_round: ratios, ratio_median_of_rounds: median(ratios) }
        : { ours: o };
    }
    if (withTorch) {
      // What the matrix products alone of one full step cost torch's BLAS: the floor under any framework's step.
      const floor = () => (JSON.parse(execFileSync('/usr/bin/python3', ['bench/torch-train.py', '--gemm-floor', name],
        { env: torchEnv, encoding: 'utf8' })) as { gemm_only_ms: number }).gemm_only_ms;
      perKind.torch_gemm_only_ms = median(Array.from({ length: rounds }, floor));
    }
    report[name] = perKind;
  }
  report.load_average_at_end = loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(JSON.stringify(report));
}
