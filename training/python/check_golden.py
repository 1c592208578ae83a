#!/usr/bin/env python3
"""Check cdc_model.py against the reference golden vectors (dim 8, random weights).

Loads shared/reference/golden_x8/checkpoint.pt (ema_model.* only), runs the image through the
compressor, one U-Net call and the 3-step deterministic decode, and compares every tensor in
expected.pt. Exit status 0 when all agree within --tol (decoded_uint8 within one level).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdc_model import CDC, config_from_reference, load_reference_checkpoint  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--golden", default=os.path.join(here, "..", "..", "tests", "data", "golden_x8"))
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    g = a.golden
    torch.set_grad_enabled(False)
    cfg = config_from_reference(json.load(open(os.path.join(g, "config.json"))))
    model = load_reference_checkpoint(CDC(cfg), os.path.join(g, "checkpoint.pt")).eval()
    exp = torch.load(os.path.join(g, "expected.pt"))

    img = np.asarray(Image.open(os.path.join(g, "image.png")).convert("RGB"), dtype=np.float32)
    x = torch.from_numpy(img).permute(2, 0, 1)[None] / 255.0 * 2 - 1
    out = model.context_fn(x)
    got = {k: out[k] for k in ("latent", "hyper_latent", "q_latent", "q_hyper_latent", "latent_mean",
                               "latent_scale")}
    got["prior_medians"] = model.context_fn.prior._medians
    got["bpp_estimate"] = out["bpp"]
    for i, c in enumerate(out["context"]):
        got[f"context_{i}"] = c
    got["denoise_output"] = model.denoise_fn(exp["denoise_input"], exp["denoise_time"], out["context"])
    steps = int(exp["decoded_steps"].item())
    dec = model.decode(out["context"], x.shape, steps=steps)
    got["decoded"] = dec
    got["decoded_uint8"] = ((dec.clamp(-1, 1) + 1) / 2 * 255).round().to(torch.uint8)

    ok = True
    for k, e in exp.items():
        if k in ("denoise_input", "denoise_time", "decoded_steps"):
            continue
        v = got[k]
        if tuple(v.shape) != tuple(e.shape):
            print(f"FAIL {k}: shape {tuple(v.shape)} != {tuple(e.shape)}")
            ok = False
            continue
        err = (v.double() - e.double()).abs().max().item()
        tol = 1.0 if k == "decoded_uint8" else a.tol * max(1.0, e.abs().max().item())
        good = err <= tol
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {k:16s} max|diff| {err:.3g}")
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
