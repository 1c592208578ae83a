#!/usr/bin/env python3
"""Evaluate a reference-layout checkpoint (+ config.json beside it) on the CPU: estimated bpp and
PSNR of the deterministic decode (x_N = 0) for a few step counts on photos centre-cropped to
--size, and the CPU time of encode / decode with --threads threads.
Usage: evaluate.py DIR_WITH_checkpoint.pt_AND_config.json [--photos training/cache/val]"""
import argparse
import glob
import json
import math
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdc_model import CDC, load_reference_checkpoint  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("--photos", default=os.path.join(HERE, "..", "cache", "val"))
    ap.add_argument("--size", default="512x768", help="HxW centre crop (multiples of 64)")
    ap.add_argument("--steps", default="1,2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=16)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    cfg = json.load(open(os.path.join(a.model_dir, "config.json")))
    model = load_reference_checkpoint(CDC(cfg), os.path.join(a.model_dir, "checkpoint.pt")).eval()
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            m.to(memory_format=torch.channels_last)
    h, w = map(int, a.size.split("x"))
    steps = [int(s) for s in a.steps.split(",")]
    files = sorted(glob.glob(os.path.join(a.photos, "*.jpg")))[: a.limit]
    res = {"bpp": [], "enc_s": [], **{f"psnr{s}": [] for s in steps}, **{f"dec{s}_s": [] for s in steps}}
    for f in files:
        im = np.asarray(Image.open(f).convert("RGB"))
        if im.shape[0] < h or im.shape[1] < w:
            continue
        top, left = (im.shape[0] - h) // 2, (im.shape[1] - w) // 2
        x = torch.from_numpy(np.ascontiguousarray(im[top:top + h, left:left + w])).permute(2, 0, 1)[None]
        x = (x.float() / 127.5 - 1).contiguous(memory_format=torch.channels_last)
        cf = model.context_fn
        t0 = time.perf_counter()
        y = cf.encode(x)
        z = cf.hyper_encode(y)
        med = cf.prior._medians
        mean, scale = cf.hyper_decode(torch.round(z - med) + med)
        torch.round(y - mean)
        res["enc_s"].append(time.perf_counter() - t0)
        out = cf(x)
        res["bpp"].append(out["bpp"].item())
        ref = ((x + 1) * 127.5).round()
        for s in steps:
            t0 = time.perf_counter()
            zq = out["q_hyper_latent"]
            mean, _ = cf.hyper_decode(zq)
            ctx = cf.decode(out["q_latent"])
            dec = model.decode(ctx, x.shape, steps=s)
            res[f"dec{s}_s"].append(time.perf_counter() - t0)
            mse = ((((dec.clamp(-1, 1) + 1) * 127.5).round() - ref) ** 2).mean().item()
            res[f"psnr{s}"].append(10 * math.log10(255 ** 2 / mse))
    summary = {k: round(float(np.mean(v)), 4) for k, v in res.items()}
    summary.update({k.replace("_s", "_min_s"): round(float(np.min(v)), 3) for k, v in res.items() if k.endswith("_s")})
    summary["photos"] = len(res["bpp"])
    summary["size"] = a.size
    summary["threads"] = a.threads
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
