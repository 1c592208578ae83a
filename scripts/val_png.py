#!/usr/bin/env python3
"""Makes the quality report's evaluation photos: the validation photos of training/data/val.list,
read from the originals that training/python/prepare_data.py unpacked into training/cache/root,
downscaled by 2 (Lanczos, as for training) and saved as PNG (no JPEG recompression).

Usage: /usr/bin/python3 scripts/val_png.py [OUTDIR]   (default: training/cache/val_png)
Run training/python/prepare_data.py first if training/cache/root is missing.
"""
import os
import sys

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "training", "python"))
from prepare_data import read_list, resolve  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "training", "cache", "val_png")
os.makedirs(out, exist_ok=True)
for spec, inner, base in read_list(os.path.join(ROOT, "training", "data", "val.list")):
    pkg = spec.partition("=")[0]
    src = resolve(os.path.join(ROOT, "training", "cache", "root", pkg), inner)
    if not os.path.exists(src):
        sys.exit(f"error: {src} missing; run training/python/prepare_data.py first")
    im = Image.open(src).convert("RGB")
    im = im.resize((round(im.width / 2), round(im.height / 2)), Image.LANCZOS)
    name = f"{pkg}__{os.path.splitext(base)[0]}.png"
    im.save(os.path.join(out, name))
    print(name, f"{im.width}x{im.height}")
