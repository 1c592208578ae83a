#!/usr/bin/env python3
"""What limits a model's quality: rate split, decoding steps, and the synthesis ceiling.

For each photo (a centre crop of --size), of each model file given:
  - bpp of y and of z (the model's own likelihoods, which the coded streams match within 0.2%),
  - PSNR of the deterministic decode with 1, 2 and 4 steps (x_N = 0),
  - the synthesis ceiling: the PSNR the decoder reaches when y is optimized for this one photo
    with no rate at all (continuous y, Adam through the context decoder and the 1-step U-Net
    decode, starting from the encoder's y). No encoder, rate weight or quantizer can make this
    decoder do better than that; the gap between it and the coded PSNR is what the encoder and
    the rate take, the gap between it and other codecs is the synthesis side's own limit.
Prints one JSON line per model (means over the photos) and, with --per-photo, one per photo.
Usage: diagnose.py MODEL.cdcm [...] --photos DIR [--size 256x256] [--iters 200]
"""
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
from cdc_model import CDC, default_config, gaussian_likelihood, load_reference_checkpoint  # noqa: E402
from cdcm import read_cdcm  # noqa: E402


def psnr(a, b):
    """PSNR of two images in [-1, 1], as 8-bit pixels."""
    qa = ((a.clamp(-1, 1) + 1) * 127.5).round()
    qb = ((b.clamp(-1, 1) + 1) * 127.5).round()
    return 10 * math.log10(255 ** 2 / max(((qa - qb) ** 2).mean().item(), 1e-10))


def load_model(path):
    cfg, name, _ = read_cdcm(path)
    mc = cfg.get("model_config", cfg)
    c = default_config(mc["dim"], mc["compressor_dim"], dim_mults=tuple(mc["dim_mults"]),
                       num_timesteps=mc.get("num_timesteps", 8193),
                       reverse_dim_mults=tuple(mc.get("reverse_dim_mults", (4, 3, 2, 1))),
                       context_channels=mc.get("out_channels"))
    model = load_reference_checkpoint(CDC(c), path).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, name or os.path.basename(path)


def decode(model, y, shape, steps=1):
    """Context decoder + U-Net decode of latents y with the library's schedule: 1 step is one
    U-Net call at t = (T-1)/T on x = 0; n > 1 steps are the reference's linspace(0, T-1, n)."""
    return model.decode(model.context_fn.decode(y), shape, steps=steps)


def decode_grad(model, y, shape):
    """The 1-step decode with gradients: one U-Net call at t = (T-1)/T on x = 0."""
    return model.one_step_decode(model.context_fn.decode(y), shape)


def ceiling(model, x, y0, iters, lr):
    y = y0.clone().requires_grad_(True)
    opt = torch.optim.Adam([y], lr=lr)
    best = -1.0
    for i in range(iters):
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * i / iters))
        out = decode_grad(model, y, x.shape)
        loss = ((out - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i % 25 == 24 or i == iters - 1:
            with torch.no_grad():
                best = max(best, psnr(decode_grad(model, y, x.shape), x))
    return best


def load_photo(f, h, w):
    im = np.asarray(Image.open(f).convert("RGB"))
    if im.shape[0] < h or im.shape[1] < w:
        return None
    top, left = (im.shape[0] - h) // 2, (im.shape[1] - w) // 2
    x = torch.from_numpy(np.ascontiguousarray(im[top:top + h, left:left + w])).permute(2, 0, 1)[None]
    return x.float() / 127.5 - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--photos", required=True)
    ap.add_argument("--size", default="256x256", help="HxW centre crop (multiples of 64)")
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--per-photo", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    h, w = map(int, a.size.split("x"))
    files = sorted(glob.glob(os.path.join(a.photos, "*.jpg")) + glob.glob(os.path.join(a.photos, "*.png")))
    photos = [(f, p) for f, p in ((f, load_photo(f, h, w)) for f in files) if p is not None][: a.limit]
    for path in a.models:
        model, name = load_model(path)
        cf = model.context_fn
        rows = []
        t0 = time.time()
        for f, x in photos:
            with torch.no_grad():
                out = cf(x)
                npix = h * w
                py = gaussian_likelihood(out["q_latent"], out["latent_mean"], out["latent_scale"]).clamp(min=1e-9)
                pz = cf.prior.likelihood(out["q_hyper_latent"]).clamp(min=1e-9)
                r = {"photo": os.path.basename(f),
                     "bpp_y": -torch.log2(py).sum().item() / npix,
                     "bpp_z": -torch.log2(pz).sum().item() / npix}
                for s in (1, 2, 4):
                    r[f"psnr_{s}step"] = psnr(decode(model, out["q_latent"], x.shape, s), x)
                r["psnr_unquantized_y"] = psnr(decode(model, out["latent"], x.shape, 1), x)
            if a.iters > 0:
                r["psnr_ceiling"] = ceiling(model, x, out["latent"].detach(), a.iters, a.lr)
            rows.append(r)
            if a.per_photo:
                print(json.dumps({"model": name, **{k: (round(v, 4) if isinstance(v, float) else v)
                                                    for k, v in r.items()}}), flush=True)
        keys = [k for k in rows[0] if k != "photo"]
        mean = {k: round(float(np.mean([r[k] for r in rows])), 4) for k in keys}
        mean["z_share"] = round(mean["bpp_z"] / (mean["bpp_y"] + mean["bpp_z"]), 4)
        print(json.dumps({"model": name, "photos": len(rows), "size": a.size, "iters": a.iters,
                          "seconds": round(time.time() - t0, 1), **mean}), flush=True)


if __name__ == "__main__":
    main()
