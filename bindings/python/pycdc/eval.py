"""Rate-distortion evaluation of libcdc against JPEG, WebP, AVIF and JPEG XL.

Usage::

    python3 -m pycdc.eval DIR [--model NAME_OR_PATH ...] [--steps N ...] [--gamma G ...]
                              [--out OUTDIR] [--codecs jpeg,webp,avif,jxl] [--crop N] [--limit N]
                              [--jobs N | --scheduler ADDRESS] [--restart]

Every PNG/JPEG image of DIR (not recursive) is compressed

- with each libcdc model (one model = one rate point; by default every
  built-in model) and each decoding setting (the product of --steps and
  --gamma values; each setting is one RD curve over the models), and
- with the baselines, by Debian's command line encoders: JPEG (cjpeg of
  libjpeg-turbo-progs, a quality sweep, 4:2:0), WebP (cwebp, a quality
  sweep), AVIF (avifenc of libavif-bin, a quantizer sweep, 4:2:0) and JPEG XL
  (cjxl of libjxl-tools, a butteraugli distance sweep, effort 7).

For every image and point it measures the size in bits per pixel, PSNR and
MS-SSIM (RGB, :mod:`pycdc.metrics`) and the encode/decode times, and writes
into OUTDIR (default ``cdc-eval``):

- ``results.csv``: one row per image and point;
- ``summary.csv``: one row per point, averaged over the images;
- ``bd_rates.csv``: BD-rate (%, PSNR and MS-SSIM in dB; negative = libcdc
  needs fewer bits) of each libcdc setting against each baseline;
- ``rd.png``: the RD curves (PSNR and MS-SSIM against bpp).

Images are read with Pillow (Debian: python3-pil); images are evaluated in
RGB (an alpha channel is dropped, gray is expanded).

Large datasets:

- Each image's rows are appended to ``results.csv`` (and flushed) as soon as
  the image is done; the settings are kept in ``eval-settings.json``. A rerun
  with the same settings skips the images already in ``results.csv``, so an
  interrupted evaluation of thousands of images resumes where it stopped
  (an image whose rows were cut short is redone); other settings stop with a
  message unless ``--restart`` discards the old results. At the end
  ``results.csv`` is rewritten in image order, as a serial run writes it.
- ``--jobs N`` evaluates N images at a time in local worker processes (0:
  one per core); pair it with ``--threads 1`` (libcdc threads per image).
- ``--scheduler tcp://HOST:8786`` evaluates on the workers of a Dask cluster
  (Debian: python3-distributed): e.g. ``dask-scheduler`` on one machine and
  ``dask-worker tcp://HOST:8786 --nprocs 4 --nthreads 1`` on each worker
  machine. Workers need pycdc, Pillow and the baseline tools installed; this
  process reads the images and sends their bytes (no shared filesystem
  needed), and a ``--model`` file is read here and sent to every worker
  once. Each worker process loads each model once.
- With stderr a terminal, a progress bar shows the rate and the ETA.

The results of a parallel or cluster run equal those of a serial run, except
the encode/decode times.
"""

import argparse
import csv
import io
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, fields

import numpy as np

from . import _io, _parallel, metrics

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DEFAULT_JPEG_QUALITIES = (10, 20, 30, 40, 50, 60, 70, 80, 90, 95)
DEFAULT_WEBP_QUALITIES = (5, 15, 25, 40, 55, 70, 80, 90, 95)
DEFAULT_AVIF_QUANTIZERS = (58, 50, 42, 34, 26, 18, 10)
DEFAULT_JXL_DISTANCES = (12.0, 8.0, 5.0, 3.0, 2.0, 1.5, 1.0, 0.7, 0.5, 0.3)  # cjxl -d
BASELINES = ("jpeg", "webp", "avif", "jxl")
_TOOLS = {"jpeg": ("cjpeg", "djpeg"), "webp": ("cwebp", "dwebp"), "avif": ("avifenc", "avifdec"),
          "jxl": ("cjxl", "djxl")}
_PACKAGES = {"jpeg": "libjpeg-turbo-progs", "webp": "webp", "avif": "libavif-bin",
             "jxl": "libjxl-tools"}


# --- image files ---------------------------------------------------------------


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise SystemExit(
            "pycdc.eval needs Pillow to read PNG/JPEG images (Debian: apt-get install python3-pil)"
        ) from None
    return Image


def load_rgb(path):
    """Reads an image file as an HxWx3 uint8 array (alpha dropped, gray expanded)."""
    Image = _pil()
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def write_ppm(path, rgb):
    h, w = rgb.shape[:2]
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes())


def read_ppm(path):
    """Reads a binary 8-bit PPM (P6) or PGM (P5) file as an HxWx3 uint8 array."""
    with open(path, "rb") as f:
        data = f.read()
    tokens = []
    pos = 0
    while len(tokens) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        tokens.append(data[pos:end])
        pos = end
    pos += 1  # the single whitespace after maxval
    magic, w, h, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if maxval != 255 or magic not in (b"P6", b"P5"):
        raise ValueError(f"{path}: unsupported PNM ({magic!r}, maxval {maxval})")
    c = 3 if magic == b"P6" else 1
    img = np.frombuffer(data, dtype=np.uint8, count=w * h * c, offset=pos).reshape(h, w, c)
    return np.repeat(img, 3, axis=2) if c == 1 else img.copy()


def find_images(folder):
    names = sorted(
        n
        for n in os.listdir(folder)
        if n.lower().endswith(IMAGE_SUFFIXES) and os.path.isfile(os.path.join(folder, n))
    )
    return [os.path.join(folder, n) for n in names]


def center_crop(img, size):
    if not size:
        return img
    h, w = img.shape[:2]
    ch, cw = min(h, size), min(w, size)
    y, x = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(img[y : y + ch, x : x + cw])


# --- baselines -------------------------------------------------------------------


def _run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}"
        )


def baseline_available(codec):
    return all(shutil.which(t) for t in _TOOLS[codec])


def run_baseline(codec, param, rgb, workdir, threads=1):
    """Compresses rgb with a baseline codec at one quality/quantizer/distance.

    Returns (compressed size in bytes, decoded HxWx3 array, encode s, decode s).
    """
    src_ppm = os.path.join(workdir, "src.ppm")
    if not os.path.exists(src_ppm):
        write_ppm(src_ppm, rgb)
    if codec == "jpeg":
        out, dec = os.path.join(workdir, "out.jpg"), os.path.join(workdir, "dec.ppm")
        t0 = time.perf_counter()
        _run(["cjpeg", "-quality", str(param), "-optimize", "-outfile", out, src_ppm])
        t1 = time.perf_counter()
        _run(["djpeg", "-ppm", "-outfile", dec, out])
        t2 = time.perf_counter()
        decoded = read_ppm(dec)
    elif codec == "webp":
        out, dec = os.path.join(workdir, "out.webp"), os.path.join(workdir, "dec.ppm")
        t0 = time.perf_counter()
        _run(["cwebp", "-quiet", "-q", str(param), "-m", "4", src_ppm, "-o", out])
        t1 = time.perf_counter()
        _run(["dwebp", "-quiet", out, "-ppm", "-o", dec])
        t2 = time.perf_counter()
        decoded = read_ppm(dec)
    elif codec == "avif":
        src_png = os.path.join(workdir, "src.png")
        if not os.path.exists(src_png):
            _pil().fromarray(rgb).save(src_png)
        out, dec = os.path.join(workdir, "out.avif"), os.path.join(workdir, "dec.png")
        t0 = time.perf_counter()
        _run(["avifenc", "--min", str(param), "--max", str(param), "-s", "6", "-y", "420",
              "-j", str(max(1, threads)), src_png, out])
        t1 = time.perf_counter()
        _run(["avifdec", "-j", str(max(1, threads)), out, dec])
        t2 = time.perf_counter()
        decoded = load_rgb(dec)
    elif codec == "jxl":
        # cjxl 0.7 (libjxl-tools): -d is the butteraugli distance (lower = better; 0 =
        # lossless, 25 at most), -e 7 the default effort. Both tools take an explicit
        # thread count (cjxl: 0 = no threads; djxl: 0 = every core, so never pass 0).
        out, dec = os.path.join(workdir, "out.jxl"), os.path.join(workdir, "dec.ppm")
        nt = f"--num_threads={max(1, threads)}"
        t0 = time.perf_counter()
        _run(["cjxl", src_ppm, out, "-d", f"{float(param):g}", "-e", "7", nt, "--quiet"])
        t1 = time.perf_counter()
        _run(["djxl", out, dec, "--bits_per_sample=8", nt, "--quiet"])
        t2 = time.perf_counter()
        decoded = read_ppm(dec)
    else:
        raise ValueError(f"unknown baseline {codec!r}")
    size = os.path.getsize(out)
    for p in (out, dec):
        os.remove(p)
    return size, decoded, t1 - t0, t2 - t1


# --- evaluation ------------------------------------------------------------------


@dataclass
class Row:
    image: str
    codec: str  # "cdc" or a baseline
    setting: str  # the curve: "steps=.. gamma=.." for cdc, "default" for baselines
    point: str  # the rate point: the model name, or the quality/quantizer
    width: int
    height: int
    bytes: int
    bpp: float
    psnr: float
    ms_ssim: float
    encode_s: float
    decode_s: float

    @property
    def curve(self):
        return f"{self.codec} {self.setting}" if self.codec == "cdc" else self.codec


def ms_ssim_db(value):
    if value is None or not np.isfinite(value):
        return math.nan
    return -10.0 * math.log10(max(1.0 - value, 1e-10))


def _quality(ref, dec):
    psnr = metrics.psnr(ref, dec)
    try:
        msssim = metrics.ms_ssim(ref, dec)
    except ValueError:  # smaller than 161 pixels per side
        msssim = math.nan
    return psnr, msssim


def _setting_label(steps, gamma, effort=0):
    s = "default" if steps is None else str(steps)
    g = "default" if gamma is None else f"{gamma:g}"
    return f"steps={s} gamma={g}" + (f" effort={effort}" if effort else "")


@dataclass
class EvalConfig:
    models: list = field(default_factory=list)  # names or paths; [] = every built-in model
    steps: list = field(default_factory=lambda: [None])
    gammas: list = field(default_factory=lambda: [None])
    efforts: list = field(default_factory=lambda: [0])  # encoder effort levels, a curve each
    residuals: list = field(default_factory=lambda: [0])  # residual steps (0: none), points each
    seed: int = 0
    threads: int = 0
    baselines: list = field(default_factory=lambda: list(BASELINES))
    jpeg_qualities: list = field(default_factory=lambda: list(DEFAULT_JPEG_QUALITIES))
    webp_qualities: list = field(default_factory=lambda: list(DEFAULT_WEBP_QUALITIES))
    avif_quantizers: list = field(default_factory=lambda: list(DEFAULT_AVIF_QUANTIZERS))
    jxl_distances: list = field(default_factory=lambda: list(DEFAULT_JXL_DISTANCES))
    crop: int = 0
    limit: int = 0
    use_cdc: bool = True


def evaluate_image(payload, model_specs, baselines, config):
    """Evaluates one image with every model, setting and baseline; returns its
    list of :class:`Row`. Runs in a worker (a local process or a Dask worker):
    payload is (name, the image file's bytes); models come from the worker's
    per-process cache, so each worker loads each model once."""
    import pycdc

    name, data = payload
    rgb = center_crop(load_rgb(io.BytesIO(data)), config.crop)
    h, w = rgb.shape[:2]
    params = {"jpeg": config.jpeg_qualities, "webp": config.webp_qualities,
              "avif": config.avif_quantizers, "jxl": config.jxl_distances}
    settings = list(itertools.product(config.steps, config.gammas))
    rows = []

    def add(codec, setting, point, size, decoded, enc_s, dec_s):
        psnr, msssim = _quality(rgb, decoded)
        rows.append(Row(name, codec, setting, str(point), w, h, int(size),
                        metrics.bpp(size, (h, w)), psnr, msssim, enc_s, dec_s))

    ctx = pycdc.Context(threads=config.threads, seed=config.seed)
    for (label, spec), residual in itertools.product(model_specs, config.residuals):
        model = _io.cached_model(spec)
        point = label if not residual else f"{label}+r{residual:g}"
        ctx.residual = residual
        for effort in config.efforts:
            ctx.effort = effort
            t0 = time.perf_counter()
            data = ctx.encode(rgb, model)
            enc_s = time.perf_counter() - t0
            for steps, gamma in settings:
                ctx.steps = steps
                ctx.gamma = gamma
                t0 = time.perf_counter()
                decoded = ctx.decode(data, model, format="rgb")
                dec_s = time.perf_counter() - t0
                add("cdc", _setting_label(steps, gamma, effort), point, len(data), decoded, enc_s,
                    dec_s)
    with tempfile.TemporaryDirectory(prefix="pycdc-eval-") as work:
        for codec in baselines:
            for param in params[codec]:
                size, decoded, enc_s, dec_s = run_baseline(codec, param, rgb, work,
                                                           config.threads)
                add(codec, "default", param, size, decoded, enc_s, dec_s)
    return rows


_ROW_FIELDS = [f.name for f in fields(Row)]
_ROW_TYPES = {f.name: f.type for f in fields(Row)}


def _csv_value(v):
    return f"{v:.6g}" if isinstance(v, float) else v


def _row_from_csv(record):
    values = {}
    for name in _ROW_FIELDS:
        kind = _ROW_TYPES[name]
        text = record[name]
        values[name] = float(text) if kind in (float, "float") else (
            int(text) if kind in (int, "int") else text)
    return Row(**values)


def read_results(path):
    """The rows of a results.csv."""
    with open(path, newline="") as f:
        return [_row_from_csv(r) for r in csv.DictReader(f)]


def _spec_text(spec):
    """A model spec as text (a loaded Model by its id)."""
    import pycdc

    if isinstance(spec, pycdc.Model):
        return spec.id
    return os.fsdecode(os.fspath(spec))


def evaluate(folder, config, log=print, out_dir=None, jobs=1, scheduler=None, restart=False,
             progress=None):
    """Runs the evaluation; returns the list of :class:`Row`, in image order.

    out_dir: when given, every image's rows are appended to
        ``out_dir/results.csv`` (and flushed) as soon as the image is done,
        and the settings go to ``out_dir/eval-settings.json``; a later call
        with the same settings skips the images already there (an interrupted
        run resumes), unless restart. Other settings raise SystemExit.
    jobs: local worker processes (1: this process; 0: one per core).
    scheduler: a Dask scheduler address or ``distributed.Client``: the images
        are evaluated on its workers (jobs is then ignored).
    progress: a progress bar (True/False; None: when stderr is a terminal).
    """
    paths = find_images(folder)
    if config.limit:
        paths = paths[: config.limit]
    if not paths:
        raise SystemExit(f"no PNG/JPEG images in {folder}")

    model_specs = []
    model_ids = []
    if config.use_cdc:
        import pycdc

        specs = config.models or pycdc.models()
        if not specs:
            raise SystemExit(
                "this libcdc has no built-in model: pass --model PATH (or --no-cdc for the "
                "baselines only)"
            )
        loaded = [_io.cached_model(spec) for spec in specs]
        labels = [m.name for m in loaded]
        if len(set(labels)) != len(labels):  # e.g. two files of one model name
            labels = [os.path.basename(_spec_text(s)) for s in specs]
        model_specs = list(zip(labels, [s if isinstance(s, pycdc.Model) else _spec_text(s)
                                        for s in specs]))
        model_ids = [m.id for m in loaded]
    baselines = []
    for codec in config.baselines:
        if baseline_available(codec):
            baselines.append(codec)
        else:
            log(f"warning: {'/'.join(_TOOLS[codec])} not found (Debian: {_PACKAGES[codec]}); "
                f"skipping {codec}")
    params = {"jpeg": config.jpeg_qualities, "webp": config.webp_qualities,
              "avif": config.avif_quantizers, "jxl": config.jxl_distances}
    per_image = (len(model_specs) * len(config.residuals) * len(config.efforts)
                 * len(config.steps) * len(config.gammas)
                 + sum(len(params[c]) for c in baselines))

    names = [os.path.basename(p) for p in paths]
    order = {name: i for i, name in enumerate(names)}
    done = {}  # image name -> its rows
    writer = None
    results_file = None
    if out_dir is not None:
        settings = {
            "models": [[label, _spec_text(spec), mid]
                       for (label, spec), mid in zip(model_specs, model_ids)],
            "steps": list(config.steps), "gammas": list(config.gammas), "seed": config.seed,
            "efforts": list(config.efforts),
            **({"residuals": list(config.residuals)} if config.residuals != [0] else {}),
            "baselines": {c: list(params[c]) for c in baselines}, "crop": config.crop,
        }
        os.makedirs(out_dir, exist_ok=True)
        results_path = os.path.join(out_dir, "results.csv")
        settings_path = os.path.join(out_dir, "eval-settings.json")
        if not restart and os.path.exists(results_path) and os.path.exists(settings_path):
            with open(settings_path) as f:
                try:
                    before = json.load(f)
                except ValueError:
                    before = None
            if before != settings:
                raise SystemExit(
                    f"{out_dir} holds results of other settings ({settings_path}); pass "
                    f"--restart to discard them, or choose another --out")
            groups = {}
            for row in _read_complete_rows(results_path):
                groups.setdefault(row.image, []).append(row)
            done = {n: rs for n, rs in groups.items() if n in order and len(rs) == per_image}
        _write_rows(results_path, [r for n in names if n in done for r in done[n]])
        with open(settings_path, "w") as f:
            json.dump(settings, f, indent=1)
            f.write("\n")
        results_file = open(results_path, "a", newline="")
        writer = csv.DictWriter(results_file, fieldnames=_ROW_FIELDS)
        if done:
            log(f"resuming: {len(done)} of {len(paths)} image(s) already in {results_path}")

    todo = [p for p in paths if os.path.basename(p) not in done]
    bar = _parallel.Progress(len(paths), initial=len(paths) - len(todo), desc="eval",
                             enabled=progress)
    failures = []

    def load(path):
        with open(path, "rb") as f:
            return os.path.basename(path), f.read()

    def on_result(path, rows, error):
        name = os.path.basename(path)
        if error is not None:
            failures.append((name, error))
            bar.write(f"{name}: failed: {type(error).__name__}: {error}", log)
            bar.update()
            return
        done[name] = rows
        if writer is not None:
            for r in rows:
                writer.writerow({k: _csv_value(v) for k, v in vars(r).items()})
            results_file.flush()
        w, h = (rows[0].width, rows[0].height) if rows else (0, 0)
        lines = [f"[{len(done)}/{len(paths)}] {name} ({w}x{h})"]
        for r in rows:
            lines.append(f"    {r.codec:5s} {r.setting:28s} {r.point:>16s}: {r.bpp:7.4f} bpp "
                         f"{r.psnr:6.2f} dB  MS-SSIM {r.ms_ssim:.4f}  enc {r.encode_s:6.2f}s "
                         f"dec {r.decode_s:6.2f}s")
        bar.write("\n".join(lines), log)
        bar.update()

    try:
        _parallel.run(evaluate_image, todo, load=load,
                      common=(model_specs, baselines, config), on_result=on_result,
                      jobs=jobs, scheduler=scheduler, portable=_portable_common)
    finally:
        bar.close()
        if results_file is not None:
            results_file.close()
    rows = [r for n in sorted(done, key=order.get) for r in done[n]]
    if out_dir is not None:
        _write_rows(results_path, rows)  # in image order, as a serial run writes it
        rows = read_results(results_path)  # the same precision, resumed or not
    if failures:
        name, error = failures[0]
        raise EvalFailed(f"{len(failures)} image(s) failed, e.g. {name}: "
                         f"{type(error).__name__}: {error}", rows)
    return rows


class EvalFailed(RuntimeError):
    """Some images failed; ``rows`` holds the results of the others."""

    def __init__(self, message, rows):
        super().__init__(message)
        self.rows = rows


def _portable_common(common):
    model_specs, baselines, config = common
    return ([(label, _io.portable_model_spec(spec)) for label, spec in model_specs],
            baselines, config)


def _read_complete_rows(path):
    """The rows of a results.csv, without a last line cut short by an interruption."""
    with open(path, newline="") as f:
        text = f.read()
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    rows = []
    for record in csv.DictReader(io.StringIO(text, newline="")):
        try:
            rows.append(_row_from_csv(record))
        except (KeyError, TypeError, ValueError):
            continue
    return rows


def _write_rows(path, rows):
    """Writes results.csv through a temporary file (never a half-written file)."""
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=_ROW_FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _csv_value(v) for k, v in vars(r).items()})
    os.replace(tmp, path)


def summarize(rows):
    """Averages over the images: {(curve, point): dict}, in first-seen order."""
    groups = {}
    for r in rows:
        groups.setdefault((r.curve, r.codec, r.setting, r.point), []).append(r)
    summary = []
    for (curve, codec, setting, point), rs in groups.items():
        def mean(attr):
            vals = [getattr(r, attr) for r in rs]
            vals = [v for v in vals if np.isfinite(v)]
            return float(np.mean(vals)) if vals else math.nan

        msssim = mean("ms_ssim")
        summary.append({
            "curve": curve, "codec": codec, "setting": setting, "point": point,
            "images": len(rs), "bpp": mean("bpp"), "psnr": mean("psnr"),
            "ms_ssim": msssim, "ms_ssim_db": ms_ssim_db(msssim),
            "encode_s": mean("encode_s"), "decode_s": mean("decode_s"),
        })
    return summary


def _curves(summary):
    curves = {}
    for s in summary:
        curves.setdefault(s["curve"], []).append(s)
    for pts in curves.values():
        pts.sort(key=lambda s: s["bpp"])
    return curves


def bd_table(summary, method="pchip"):
    """BD-rates of every cdc curve against every baseline curve."""
    curves = _curves(summary)
    table = []
    for test, tpts in curves.items():
        if not test.startswith("cdc"):
            continue
        for anchor, apts in curves.items():
            if anchor.startswith("cdc"):
                continue
            row = {"test": test, "anchor": anchor, "test_points": len(tpts),
                   "anchor_points": len(apts)}
            for key, label in (("psnr", "bd_rate_psnr"), ("ms_ssim_db", "bd_rate_ms_ssim")):
                row[label] = metrics.bd_rate([p["bpp"] for p in apts], [p[key] for p in apts],
                                             [p["bpp"] for p in tpts], [p[key] for p in tpts],
                                             method=method)
            row["bd_psnr_db"] = metrics.bd_psnr([p["bpp"] for p in apts], [p["psnr"] for p in apts],
                                                [p["bpp"] for p in tpts], [p["psnr"] for p in tpts],
                                                method=method)
            table.append(row)
    return table


def write_csv(path, dict_rows, fields=None):
    if fields is None:
        fields = list(dict_rows[0].keys()) if dict_rows else []
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for r in dict_rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def plot_rd(summary, path, title=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = _curves(summary)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for curve, pts in curves.items():
        style = "o-" if curve.startswith("cdc") else ".--"
        bpp = [p["bpp"] for p in pts]
        axes[0].plot(bpp, [p["psnr"] for p in pts], style, label=curve)
        axes[1].plot(bpp, [p["ms_ssim_db"] for p in pts], style, label=curve)
    axes[0].set_ylabel("PSNR (dB)")
    axes[1].set_ylabel("MS-SSIM (dB, -10 log10(1 - MS-SSIM))")
    for ax in axes:
        ax.set_xlabel("bits per pixel")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _parse_list(text, kind):
    try:
        return [kind(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of {kind.__name__}: {text!r}")


def _optional_int(text):
    return None if text.lower() in ("default", "none") else int(text)


def _optional_float(text):
    return None if text.lower() in ("default", "none") else float(text)


def build_parser():
    p = argparse.ArgumentParser(
        prog="python3 -m pycdc.eval",
        description="Rate-distortion evaluation of libcdc against JPEG, WebP, AVIF and JPEG XL.",
    )
    p.add_argument("folder", help="folder of PNG/JPEG images")
    p.add_argument("--model", action="append", default=[], metavar="NAME_OR_PATH",
                   help="a libcdc model (a rate point); repeat for several (default: every "
                        "built-in model)")
    p.add_argument("--steps", nargs="+", type=_optional_int, default=[None], metavar="N",
                   help="decoding steps, one curve each ('default' = the model's)")
    p.add_argument("--gamma", nargs="+", type=_optional_float, default=[None], metavar="G",
                   help="gamma values, one curve each ('default' = the model's)")
    p.add_argument("--effort", nargs="+", type=int, default=[0], metavar="E",
                   help="encoder effort levels (0-4), one curve each")
    p.add_argument("--residual", nargs="+", type=float, default=[0], metavar="STEP",
                   help="residual layer steps (0 = none), a point each with every model "
                        "(labelled MODEL+rSTEP)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="libcdc threads (0 = all cores)")
    p.add_argument("--codecs", default=",".join(BASELINES),
                   help="baselines, comma-separated, from jpeg,webp,avif,jxl; 'none' for none")
    p.add_argument("--jpeg-qualities", type=lambda t: _parse_list(t, int),
                   default=list(DEFAULT_JPEG_QUALITIES))
    p.add_argument("--webp-qualities", type=lambda t: _parse_list(t, int),
                   default=list(DEFAULT_WEBP_QUALITIES))
    p.add_argument("--avif-quantizers", type=lambda t: _parse_list(t, int),
                   default=list(DEFAULT_AVIF_QUANTIZERS), help="0 (best) .. 63")
    p.add_argument("--jxl-distances", type=lambda t: _parse_list(t, float),
                   default=list(DEFAULT_JXL_DISTANCES),
                   help="cjxl butteraugli distances: 0 (lossless) .. 25, lower = better")
    p.add_argument("--no-cdc", action="store_true", help="evaluate the baselines only")
    p.add_argument("--crop", type=int, default=0, metavar="N",
                   help="center-crop every image to at most NxN (quick runs)")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="use the first N images")
    p.add_argument("--bd-method", choices=("pchip", "cubic"), default="pchip")
    p.add_argument("--out", default="cdc-eval", metavar="OUTDIR")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="local worker processes, one image each at a time (0: one per core; "
                        "default 1: this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a Dask scheduler (e.g. tcp://host:8786): evaluate on its workers")
    p.add_argument("--restart", action="store_true",
                   help="discard the results in OUTDIR (default: resume, skipping the images "
                        "already in OUTDIR/results.csv)")
    p.add_argument("--quiet", action="store_true")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    codecs = [] if args.codecs.strip().lower() == "none" else _parse_list(args.codecs, str)
    for c in codecs:
        if c not in BASELINES:
            raise SystemExit(f"unknown codec {c!r}; choose from {', '.join(BASELINES)}")
    config = EvalConfig(
        models=args.model, steps=args.steps, gammas=args.gamma, efforts=args.effort,
        residuals=args.residual, seed=args.seed,
        threads=args.threads, baselines=codecs, jpeg_qualities=args.jpeg_qualities,
        webp_qualities=args.webp_qualities, avif_quantizers=args.avif_quantizers,
        jxl_distances=args.jxl_distances, crop=args.crop, limit=args.limit, use_cdc=not args.no_cdc,
    )
    log = (lambda *a, **k: None) if args.quiet else print
    failed = None
    try:
        rows = evaluate(args.folder, config, log=log, out_dir=args.out, jobs=args.jobs,
                        scheduler=args.scheduler, restart=args.restart)
    except EvalFailed as e:
        failed, rows = str(e), e.rows
    if not rows:
        raise SystemExit(f"error: {failed}")
    summary = summarize(rows)
    write_csv(os.path.join(args.out, "summary.csv"), summary)
    table = bd_table(summary, method=args.bd_method)
    write_csv(os.path.join(args.out, "bd_rates.csv"), table,
              fields=["test", "anchor", "test_points", "anchor_points", "bd_rate_psnr",
                      "bd_rate_ms_ssim", "bd_psnr_db"])
    plot_rd(summary, os.path.join(args.out, "rd.png"),
            title=f"{len(set(r.image for r in rows))} image(s) of {os.path.basename(os.path.abspath(args.folder))}")

    print("\nAverage over images:")
    print(f"  {'curve':34s} {'point':>16s} {'bpp':>8s} {'PSNR':>7s} {'MS-SSIM':>8s}")
    for s in summary:
        print(f"  {s['curve']:34s} {s['point']:>16s} {s['bpp']:8.4f} {s['psnr']:7.2f} "
              f"{s['ms_ssim']:8.4f}")
    if table:
        print(f"\nBD-rate ({args.bd_method}; negative = libcdc saves bits):")
        for t in table:
            print(f"  {t['test']:34s} vs {t['anchor']:5s}: PSNR {t['bd_rate_psnr']:+7.2f}%  "
                  f"MS-SSIM {t['bd_rate_ms_ssim']:+7.2f}%")
        if any(t["test_points"] < 2 for t in table):
            print("  (nan: a libcdc curve needs at least 2 models, i.e. 2 rate points)")
        elif any(math.isnan(t["bd_rate_psnr"]) or math.isnan(t["bd_rate_ms_ssim"]) for t in table):
            print("  (nan: the quality ranges of the two curves do not overlap, or MS-SSIM is "
                  "missing: images under 161 pixels a side)")
    print(f"\nWrote {args.out}/results.csv, summary.csv, bd_rates.csv, rd.png")
    if failed:
        print(f"error: {failed}; rerun to retry them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
