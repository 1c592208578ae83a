#!/usr/bin/env python3
"""Fetch the CDC training/validation photos from Debian packages and make a compact cache.

Steps (each skipped when its output already exists):
  1. `apt-get download` every package named in training/data/{train,val}.list into
     training/cache/debs and unpack it there with `dpkg-deb -x` (nothing is installed).
  2. Read every listed photo, downscale it by --scale (Lanczos; default 2), and store it as a
     JPEG of quality --quality in training/cache/{train,val}/.

The cache is small enough to travel to the GPU machine (see --max-mib).
List format: package[=version]<TAB>path-inside-package[<TAB>output-basename]; '#' lines are comments.
"""
import argparse
import glob
import os
import subprocess
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)


def read_list(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            spec, inner = cols[0], cols[1]
            base = cols[2] if len(cols) > 2 and cols[2] else os.path.basename(inner)
            rows.append((spec, inner, base))
    return rows


def deb_path(debs, spec):
    name, _, ver = spec.partition("=")
    pat = f"{name}_{ver.replace(':', '%3a')}_*.deb" if ver else f"{name}_*.deb"
    hits = sorted(glob.glob(os.path.join(debs, pat)))
    return hits[0] if hits else None


def fetch_and_unpack(specs, cache):
    debs = os.path.join(cache, "debs")
    root = os.path.join(cache, "root")
    os.makedirs(debs, exist_ok=True)
    apt = ["apt-get", "-q"]
    if os.geteuid() == 0:
        apt += ["-o", "APT::Sandbox::User=root"]
    updated = False
    for spec in sorted(set(specs)):
        if deb_path(debs, spec) is None:
            print("downloading", spec, file=sys.stderr)
            r = subprocess.run(apt + ["download", spec], cwd=debs)
            if r.returncode != 0 and not updated and os.geteuid() == 0:
                updated = True
                subprocess.run(["apt-get", "-q", "update"])
                r = subprocess.run(apt + ["download", spec], cwd=debs)
            if r.returncode != 0:
                sys.exit(f"error: apt-get download {spec} failed")
        deb = deb_path(debs, spec)
        dest = os.path.join(root, spec.partition("=")[0])
        stamp = os.path.join(dest, ".extracted-from")
        if not (os.path.exists(stamp) and open(stamp).read() == os.path.basename(deb)):
            print("unpacking", os.path.basename(deb), file=sys.stderr)
            subprocess.run(["rm", "-rf", dest], check=True)
            os.makedirs(dest)
            subprocess.run(["dpkg-deb", "-x", deb, dest], check=True)
            with open(stamp, "w") as f:
                f.write(os.path.basename(deb))
    return root


def resolve(root, inner):
    """Follow symlinks inside an unpacked package (absolute targets are relative to root)."""
    p = root + inner
    for _ in range(16):
        if not os.path.islink(p):
            break
        t = os.readlink(p)
        p = root + t if t.startswith("/") else os.path.join(os.path.dirname(p), t)
    return p


def make_cache(rows, pkgroot, outdir, scale, quality):
    os.makedirs(outdir, exist_ok=True)
    names = set()
    for spec, inner, base in rows:
        pkg = spec.partition("=")[0]
        name = f"{pkg}__{os.path.splitext(base)[0]}.jpg"
        if name in names:
            sys.exit(f"error: duplicate output name {name}")
        names.add(name)
        out = os.path.join(outdir, name)
        if os.path.exists(out):
            continue
        src = resolve(os.path.join(pkgroot, pkg), inner)
        im = Image.open(src).convert("RGB")
        if scale != 1:
            im = im.resize((round(im.width / scale), round(im.height / scale)), Image.LANCZOS)
        im.save(out, quality=quality, subsampling=0 if quality >= 90 else 2)
    return names


def make_full_crops(rows, pkgroot, outdir, side, quality, seed, centre=False, width=None, count=1):
    """count crops per photo from the photo at its full resolution (not downscaled): real photos are
    coded at full size, where a pixel holds less detail and more sensor noise than downscaled.
    Random crops of side x side (seeded per photo and crop number; the first keeps the name it
    always had), or with centre=True the centre crop of width x side, for evaluation."""
    import random
    os.makedirs(outdir, exist_ok=True)
    names = set()
    jobs = []
    for spec, inner, base in rows:
        for k in range(1 if centre else count):
            jobs.append((spec, inner, base, k))
    for spec, inner, base, k in jobs:
        pkg = spec.partition("=")[0]
        stem = f"{pkg}__{os.path.splitext(base)[0]}" + (f"_{k}" if k else "")
        name = f"{stem}.png" if centre else f"{stem}.jpg"
        names.add(name)
        out = os.path.join(outdir, name)
        if os.path.exists(out):
            continue
        im = Image.open(resolve(os.path.join(pkgroot, pkg), inner)).convert("RGB")
        w, h = width or side, side
        if im.width < w or im.height < h:
            names.discard(name)
            continue
        if centre:
            left, top = (im.width - w) // 2, (im.height - h) // 2
        else:
            r = random.Random(f"{seed}:{name}" if not k else f"{seed}:{name}:{k}")
            left, top = r.randrange(im.width - w + 1), r.randrange(im.height - h + 1)
        crop = im.crop((left, top, left + w, top + h))
        if centre:
            crop.save(out)
        else:
            crop.save(out, quality=quality, subsampling=0)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=os.path.join(TRAINING, "cache"))
    ap.add_argument("--scale", type=float, default=2.0, help="downscale factor")
    ap.add_argument("--quality", type=int, default=90, help="JPEG quality of the cache")
    ap.add_argument("--max-mib", type=float, default=45.0, help="fail if the cache is larger")
    ap.add_argument("--full-crop", type=int, default=0,
                    help="also write one random SIDE x SIDE crop of each training photo at full "
                         "resolution to cache/train_full, and 768x512 centre crops of the validation "
                         "photos to cache/val_full (PNG)")
    ap.add_argument("--full-crops", type=int, default=1, help="crops per training photo with --full-crop")
    a = ap.parse_args()
    lists = {s: read_list(os.path.join(TRAINING, "data", f"{s}.list")) for s in ("train", "val")}
    root = fetch_and_unpack([r[0] for rows in lists.values() for r in rows], a.cache)
    total = 0
    for split, rows in lists.items():
        d = os.path.join(a.cache, split)
        names = make_cache(rows, root, d, a.scale, a.quality)
        size = sum(os.path.getsize(os.path.join(d, n)) for n in names)
        total += size
        print(f"{split}: {len(names)} photos, {size / 2**20:.1f} MiB in {d}")
    if a.full_crop:
        names = make_full_crops(lists["train"], root, os.path.join(a.cache, "train_full"), a.full_crop,
                                a.quality, seed=1, count=a.full_crops)
        print(f"train_full: {len(names)} crops of {a.full_crop}")
        names = make_full_crops(lists["val"], root, os.path.join(a.cache, "val_full"), 512, 0, seed=1,
                                centre=True, width=768)
        print(f"val_full: {len(names)} centre crops of 768x512")
    if total > a.max_mib * 2**20:
        sys.exit(f"error: cache is {total / 2**20:.1f} MiB > {a.max_mib} MiB; raise --scale or lower --quality")


if __name__ == "__main__":
    main()
