#!/usr/bin/env python3
"""PyTorch CPU eager baseline for `npm run bench -- train`: the same Llama math, shapes and optimizer.

Optional: needs Debian's python3-torch. Run it the way the issue measures it:
  OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch-train.py [S|M ...]
Prints one JSON object with tokens_per_s, gflops and peak_rss_mb per shape and trainable set (full, lora16).
`--one SHAPE KIND [MICRO_ROWS]` measures one of them (accumulating over micro-batches of MICRO_ROWS rows);
`--gemm-floor SHAPE` times only the matrix products of one full fine-tuning step.
"""
import json
import math
import os
import resource
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

SHAPES = {
    'S': dict(vocab=512, hidden=256, layers=4, heads=8, inter=1024, batch=32, seq=128, loss_tokens=96),
    'M': dict(vocab=8192, hidden=512, layers=8, heads=8, inter=1408, batch=16, seq=256, loss_tokens=192),
}
LORA_TARGETS = ('q', 'k', 'v', 'o', 'gate', 'up', 'down')


class Linear(torch.nn.Module):
    """y = x Wᵀ, optionally plus a LoRA branch (alpha / r) · x Aᵀ Bᵀ with B = 0 at start."""

    def __init__(self, n_in, n_out, lora_rank=0):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(n_out, n_in) * 0.02)
        self.rank = lora_rank
        if lora_rank:
            self.weight.requires_grad_(False)
            self.lora_a = torch.nn.Parameter(torch.randn(lora_rank, n_in) * 0.02)
            self.lora_b = torch.nn.Parameter(torch.zeros(n_out, lora_rank))
            self.scale = 32.0 / lora_rank

    def forward(self, x):
        y = F.linear(x, self.weight)
        if self.rank:
            y = y + F.linear(F.linear(x, self.lora_a), self.lora_b) * self.scale
        return y


def rms_norm(x, w, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Block(torch.nn.Module):
    def __init__(self, c, lora):
        super().__init__()
        h, r = c['hidden'], (16 if lora else 0)
        self.heads = c['heads']
        self.q, self.k, self.v, self.o = (Linear(h, h, r) for _ in range(4))
        self.gate, self.up = Linear(h, c['inter'], r), Linear(h, c['inter'], r)
        self.down = Linear(c['inter'], h, r)
        self.norm1 = torch.nn.Parameter(torch.ones(h), requires_grad=not lora)
        self.norm2 = torch.nn.Parameter(torch.ones(h), requires_grad=not lora)

    def forward(self, x, cos, sin, mask):
        b, t, h = x.shape
        d = h // self.heads
        cos, sin, mask = cos[:t], sin[:t], mask[:t, :t]
        y = rms_norm(x, self.norm1)
        q = rope(self.q(y).view(b, t, self.heads, d).transpose(1, 2), cos, sin)
        k = rope(self.k(y).view(b, t, self.heads, d).transpose(1, 2), cos, sin)
        v = self.v(y).view(b, t, self.heads, d).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, h)
        x = x + self.o(y)
        y = rms_norm(x, self.norm2)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Llama(torch.nn.Module):
    def __init__(self, c, lora):
        super().__init__()
        self.embed = torch.nn.Parameter(torch.randn(c['vocab'], c['hidden']) * 0.02, requires_grad=not lora)
        self.blocks = torch.nn.ModuleList(Block(c, lora) for _ in range(c['layers']))
        self.norm = torch.nn.Parameter(torch.ones(c['hidden']), requires_grad=not lora)
        self.head = torch.nn.Parameter(torch.randn(c['vocab'], c['hidden']) * 0.02, requires_grad=not lora)
        d = c['hidden'] // c['heads']
        inv = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
        ang = torch.outer(torch.arange(c['seq']).float(), inv)
        ang = torch.cat((ang, ang), dim=-1)
        self.cos, self.sin = ang.cos(), ang.sin()
        self.mask = torch.full((c['seq'], c['seq']), float('-inf')).triu(1)

    def forward(self, ids, first):
        """Logits of positions first.. only: the LM head runs where the loss needs it."""
        x = self.embed[ids]
        for blk in self.blocks:
            x = blk(x, self.cos, self.sin, self.mask)
        return F.linear(rms_norm(x[:, first:], self.norm), self.head)


def measure(c, lora, micro_rows=None, steps=6, warmup=2):
    """Median step time; with micro_rows, gradients are accumulated over micro-batches of that many rows."""
    torch.manual_seed(0)
    model = Llama(c, lora)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    ids = torch.randint(0, c['vocab'], (c['batch'], c['seq']))
    first = c['seq'] - c['loss_tokens']
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        rows = micro_rows or c['batch']
        for r in range(0, c['batch'], rows):
            part = ids[r:r + rows]
            logits = model(part[:, :-1], first - 1)
            loss = F.cross_entropy(logits.reshape(-1, c['vocab']), part[:, first:].reshape(-1))
            (loss * (part.shape[0] / c['batch'])).backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    med = sorted(times)[len(times) // 2]
    tokens = c['batch'] * (c['seq'] - 1)
    n_params = sum(p.numel() for n, p in model.named_parameters() if p.dim() == 2 and n != 'embed' and 'lora' not in n)
    d = c['hidden'] // c['heads']
    flops = 6 * n_params * tokens + 12 * c['layers'] * c['heads'] * d * (c['seq'] - 1) * tokens
    return {
        'tokens_per_s': round(tokens / med, 1),
        'gflops': round(flops / med / 1e9, 2),
        'step_ms': round(med * 1000, 1),
        'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def gemm_floor(c, repeats=7):
    """Milliseconds (median) of only the matrix products of one full fine-tuning step, run back to back: for each
    projection the forward x·Wᵀ and backward dy·W and dyᵀ·x, attention's two forward and four backward batched
    products, and the LM head's three on the scored tokens. No framework's step can take less than its BLAS needs
    for these."""
    h, heads, layers = c['hidden'], c['heads'], c['layers']
    t, d = c['seq'] - 1, h // heads
    n, scored = c['batch'] * t, c['batch'] * c['loss_tokens']
    r = torch.randn
    calls = []
    for _ in range(layers):
        for n_in, n_out in [(h, h)] * 4 + [(h, c['inter'])] * 2 + [(c['inter'], h)]:
            x, w, dy = r(n, n_in), r(n_out, n_in), r(n, n_out)
            calls += [lambda x=x, w=w: x @ w.t(), lambda dy=dy, w=w: dy @ w, lambda dy=dy, x=x: dy.t() @ x]
        q, k, v, dy = (r(c['batch'] * heads, t, d) for _ in range(4))
        p = r(c['batch'] * heads, t, t)
        calls += [lambda q=q, k=k: q @ k.transpose(1, 2), lambda p=p, v=v: p @ v,
                  lambda dy=dy, v=v: dy @ v.transpose(1, 2), lambda p=p, dy=dy: p.transpose(1, 2) @ dy,
                  lambda p=p, k=k: p @ k, lambda p=p, q=q: p.transpose(1, 2) @ q]
    x, w, dy = r(scored, h), r(c['vocab'], h), r(scored, c['vocab'])
    calls += [lambda: x @ w.t(), lambda: dy @ w, lambda: dy.t() @ x]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for call in calls:
            call()
        times.append(time.perf_counter() - t0)
    return {'gemm_only_ms': round(sorted(times)[len(times) // 2] * 1000, 1)}


def main():
    torch.set_num_threads(int(os.environ.get('THREADS', os.cpu_count())))
    if sys.argv[1:2] == ['--gemm-floor']:
        print(json.dumps(gemm_floor(SHAPES[sys.argv[2]])))
        return
    if sys.argv[1:2] == ['--one']:  # child: one (shape, trainable set), so peak RSS is its own
        micro_rows = int(sys.argv[4]) if len(sys.argv) > 4 else None
        print(json.dumps(measure(SHAPES[sys.argv[2]], lora=sys.argv[3] == 'lora16', micro_rows=micro_rows)))
        return
    names = sys.argv[1:] or list(SHAPES)
    out = {'bench': 'train-torch', 'torch': torch.__version__, 'threads': torch.get_num_threads(),
           'openblas_coretype': os.environ.get('OPENBLAS_CORETYPE')}
    for name in names:
        out[name] = {}
        for kind in ('full', 'lora16'):
            child = subprocess.run([sys.executable, __file__, '--one', name, kind], capture_output=True, text=True,
                                   check=True)
            out[name][kind] = json.loads(child.stdout)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
