#!/usr/bin/env python3
"""Large images with the `cdc` tool: peak memory and time per megapixel of tiled encoding and
decoding, and seams of tiled against whole-image decoding.

    /usr/bin/python3 scripts/large_image_report.py sizes  --photo BIG.jpg [--model M] [--mp 1 4 12 24]
    /usr/bin/python3 scripts/large_image_report.py tiles  --photo BIG.jpg [--model M] [--tile 512 768 1024]
    /usr/bin/python3 scripts/large_image_report.py seams  PHOTO... [--model M] [--tile 256]

`sizes` crops (or, past the photo's size, upscales) the photo to about N megapixels at 4:3, encodes
and decodes it with the default (automatic) tiles and reports seconds per megapixel and peak
resident memory (GNU time's maximum RSS of the whole process). `tiles` decodes one stream with
several tile sides. `seams` decodes each photo whole (--tile 0) and tiled, and reports the PSNR of
both against the original and the mean absolute difference between them in bands of +-8 pixels
around the tiles' core borders against elsewhere (a seam shows as a larger difference at borders).
Needs Pillow and numpy (Debian: python3-pil, python3-numpy) and GNU time (/usr/bin/time).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CDC = os.environ.get("CDC", os.path.join(HERE, "..", "build", "tools", "cdc"))


def run(args):
    """Runs cdc under GNU time: (seconds, peak RSS in MiB)."""
    t0 = time.time()
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", CDC, "--quiet", *args],
                       capture_output=True, text=True)
    dt = time.time() - t0
    if r.returncode != 0:
        sys.exit(f"cdc {' '.join(args)} failed: {r.stderr.strip()}")
    rss = int(re.search(r"MAXRSS (\d+)", r.stderr).group(1)) / 1024
    return dt, rss


def make_photo(src, mp, out):
    im = Image.open(src).convert("RGB")
    w = int(round((mp * 1e6 * 4 / 3) ** 0.5))
    h = int(round(w * 3 / 4))
    if im.width < w or im.height < h:
        s = max(w / im.width, h / im.height)
        im = im.resize((int(im.width * s) + 1, int(im.height * s) + 1), Image.LANCZOS)
    left, top = (im.width - w) // 2, (im.height - h) // 2
    im.crop((left, top, left + w, top + h)).save(out)
    return w, h


def common(a):
    c = ["--threads", str(a.threads)]
    if a.model:
        c += ["--model", a.model]
    return c


def cmd_sizes(a, tmp):
    print(f"| MP | size | encode s | s/MP | peak MiB | decode s | s/MP | peak MiB | bpp |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mp in a.mp:
        png, cdc, dec = (os.path.join(tmp, f"{mp}.{e}") for e in ("png", "cdc", "dec.png"))
        w, h = make_photo(a.photo, mp, png)
        te, re_ = run(common(a) + ["encode", png, cdc])
        td, rd = run(common(a) + ["decode", cdc, dec])
        m = w * h / 1e6
        bpp = os.path.getsize(cdc) * 8 / (w * h)
        print(f"| {mp} | {w}x{h} | {te:.1f} | {te / m:.2f} | {re_:.0f} | {td:.1f} | {td / m:.2f} | {rd:.0f} | {bpp:.3f} |",
              flush=True)


def cmd_tiles(a, tmp):
    png, cdc = os.path.join(tmp, "in.png"), os.path.join(tmp, "in.cdc")
    w, h = make_photo(a.photo, a.mp[0], png)
    run(common(a) + ["encode", png, cdc])
    print(f"{w}x{h}")
    print("| tile | decode s | peak MiB |")
    print("|---|---|---|")
    for t in a.tile:
        td, rd = run(common(a) + ["--tile", str(t), "decode", cdc, os.path.join(tmp, "d.png")])
        print(f"| {t} | {td:.1f} | {rd:.0f} |", flush=True)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255 ** 2 / mse) if mse > 0 else float("inf")


def cmd_seams(a, tmp):
    rows = []
    for photo in a.photos:
        cdc = os.path.join(tmp, "s.cdc")
        whole, tiled = os.path.join(tmp, "w.png"), os.path.join(tmp, "t.png")
        run(common(a) + ["encode", photo, cdc])
        tw, _ = run(common(a) + ["--tile", "0", "decode", cdc, whole])
        tt, _ = run(common(a) + ["--tile", str(a.tile), "--tile-overlap", str(a.overlap), "decode", cdc, tiled])
        o = np.asarray(Image.open(photo).convert("RGB"))
        w = np.asarray(Image.open(whole).convert("RGB")).astype(np.float64)
        t = np.asarray(Image.open(tiled).convert("RGB")).astype(np.float64)
        d = np.abs(w - t).mean(axis=2)
        # core borders: multiples of the tile side split near-equally; recompute like the library:
        # cores split the padded size (multiple of 64) into n = ceil(units / per_tile) parts
        mask = np.zeros(d.shape, bool)
        for axis, size in ((0, d.shape[0]), (1, d.shape[1])):
            padded = -(-size // 64) * 64
            units, per = padded // 64, max(1, a.tile // 64)
            n = -(-units // per)
            for i in range(1, n):
                b = units * i // n * 64
                sl = slice(max(0, b - 8), min(size, b + 8))
                if axis == 0:
                    mask[sl, :] = True
                else:
                    mask[:, sl] = True
        border = d[mask].mean() if mask.any() else float("nan")
        rest = d[~mask].mean()
        rows.append((os.path.basename(photo), psnr(o, w.astype(np.uint8)), psnr(o, t.astype(np.uint8)),
                     border, rest, tw, tt))
        print(f"{rows[-1][0]}: whole {rows[-1][1]:.3f} dB, tiled {rows[-1][2]:.3f} dB, "
              f"|diff| at borders {border:.3f}, elsewhere {rest:.3f}, time {tw:.1f} / {tt:.1f} s", flush=True)
    r = np.array([x[1:] for x in rows])
    tiled = ~np.isnan(r[:, 2])  # photos small enough for one tile have no borders
    print(f"mean of {len(rows)}: whole {r[:, 0].mean():.3f} dB, tiled {r[:, 1].mean():.3f} dB "
          f"(max |delta| {np.abs(r[:, 0] - r[:, 1]).max():.3f} dB); over the {tiled.sum()} photos cut into "
          f"tiles: |diff| at borders {r[tiled, 2].mean() if tiled.any() else float('nan'):.3f}, elsewhere "
          f"{r[tiled, 3].mean() if tiled.any() else float('nan'):.3f}; decode time whole {r[:, 4].sum():.1f} s, "
          f"tiled {r[:, 5].sum():.1f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("sizes", "tiles", "seams"))
    ap.add_argument("photos", nargs="*")
    ap.add_argument("--photo")
    ap.add_argument("--model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mp", type=float, nargs="+", default=[1, 4, 12, 24])
    ap.add_argument("--tile", type=int, nargs="+", default=None)
    ap.add_argument("--overlap", type=int, default=-1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if a.what == "sizes":
            cmd_sizes(a, tmp)
        elif a.what == "tiles":
            a.tile = a.tile or [512, 768, 1024]
            cmd_tiles(a, tmp)
        else:
            a.tile = (a.tile or [256])[0]
            cmd_seams(a, tmp)


if __name__ == "__main__":
    main()
