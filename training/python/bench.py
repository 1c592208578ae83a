#!/usr/bin/env python3
"""Training steps/s of train.py's step for a few settings (fp32 / bf16 / torch.compile / batch),
on random crops. Usage: bench.py [--seconds 12] [train.py options...]"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402


def run(argv, seconds):
    a = train.parse_args(["--tag", "bench", "--out", "/tmp/bench"] + argv)
    tr = train.Trainer(a)
    x = torch.rand(a.batch, 3, a.crop, a.crop, device=tr.dev) * 2 - 1
    x = x.contiguous(memory_format=torch.channels_last)
    t0 = time.time()
    for _ in range(3):
        tr.train_step(x)
    sync = torch.cuda.synchronize if tr.dev.type == "cuda" else (lambda: None)
    sync()
    warm = time.time() - t0
    n, t0 = 0, time.time()
    while time.time() - t0 < seconds:
        tr.train_step(x)
        n += 1
        if n % 10 == 0:
            sync()
    sync()
    dt = time.time() - t0
    mem = torch.cuda.max_memory_allocated() / 2**30 if tr.dev.type == "cuda" else 0.0
    print(f"bench {' '.join(argv):50s} warm-up {warm:6.1f} s  {n / dt:6.2f} steps/s "
          f"{n * a.batch / dt:7.1f} crops/s  peak {mem:.1f} GiB", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    secs = 12.0
    if args[:1] == ["--seconds"]:
        secs, args = float(args[1]), args[2:]
    settings = [s.split() for s in os.environ.get("BENCH", "--bf16 0|--bf16 1|--bf16 1 --batch 32").split("|")]
    for s in settings:
        run(args + s, secs)
