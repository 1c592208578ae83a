#!/usr/bin/env python3
"""Time candidate model configs on the CPU (2 threads, no grad, channels_last) at 1x3x512x768.

encode = compressor enc + hyper enc + hyper dec (what the encoder must run);
decode = hyper dec + context decoder + `--steps` U-Net calls.
Usage: cpu_timing.py U_DIM:COMP_DIM[:LEVELS] ...   e.g. cpu_timing.py 16:32 24:32:5
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdc_model import CDC, default_config  # noqa: E402


CLOCK = time.perf_counter
DIV = 1


def best_of(fn, n):
    fn()
    ts = []
    for _ in range(n):
        t0 = CLOCK()
        fn()
        ts.append(CLOCK() - t0)
    return min(ts) / DIV


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("configs", nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--size", default="512x768")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cpu-time", action="store_true",
                    help="report process CPU time / threads instead of wall time (for a busy machine)")
    a = ap.parse_args()
    global CLOCK, DIV
    if a.cpu_time:
        CLOCK, DIV = time.process_time, a.threads
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    h, w = map(int, a.size.split("x"))
    for spec in a.configs:
        p = [int(v) for v in spec.split(":")]
        levels = p[2] if len(p) > 2 else 6
        cfg = default_config(p[0], p[1], dim_mults=tuple(range(1, levels + 1)))
        m = CDC(cfg).eval()
        for mod in m.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                mod.to(memory_format=torch.channels_last)
        cf, un = m.context_fn, m.denoise_fn
        x = torch.randn(1, 3, h, w).to(memory_format=torch.channels_last)

        def enc():
            y = cf.encode(x)
            z = cf.hyper_encode(y)
            cf.hyper_decode(torch.round(z))
            return y

        y = enc()

        def dec():
            cf.hyper_decode(torch.round(cf.hyper_encode(y)))
            ctx = cf.decode(y)
            m.decode(ctx, x.shape, steps=a.steps)

        ctx = cf.decode(y)
        t = torch.zeros(1, 1)
        te, td = best_of(enc, a.repeat), best_of(dec, a.repeat)
        tc = best_of(lambda: cf.decode(y), a.repeat)
        tu = best_of(lambda: un(x, t, ctx), a.repeat)
        np_u = sum(t.numel() for t in un.parameters()) / 1e6
        np_c = sum(t.numel() for t in cf.parameters()) / 1e6
        print(f"unet dim {p[0]:3d} levels {levels} ({np_u:5.2f}M)  compressor dim {p[1]:3d} ({np_c:5.2f}M): "
              f"encode {te:.3f} s  decode({a.steps} steps) {td:.3f} s  [context dec {tc:.3f} s, one U-Net {tu:.3f} s]",
              flush=True)


if __name__ == "__main__":
    main()
