"""Compresses or decompresses a folder of images, on a local process pool or a
Dask cluster.

Usage::

    python3 -m pycdc.batch compress IN_DIR OUT_DIR [--model NAME_OR_PATH | --quality Q]
                                    [--jobs N | --scheduler ADDRESS] [--threads N]
    python3 -m pycdc.batch decompress IN_DIR OUT_DIR [--model NAME_OR_PATH] [--steps N]
                                      [--gamma G] [--seed S] [--format png]
                                      [--jobs N | --scheduler ADDRESS] [--threads N]

``compress`` turns every image Pillow reads (PNG, JPEG, BMP, PPM, TIFF, WebP;
``--recursive`` for subfolders) into ``OUT_DIR/<name>.cdc`` (the suffix
replaced; subfolders kept); ``decompress`` turns every ``.cdc`` file into
``OUT_DIR/<name>.png`` (``--format``). Without ``--model``, decompress uses
the built-in model each stream was made with.

Where it runs:

- ``--jobs N`` (default 1): N local worker processes (0: one per core). With
  several jobs, ``--threads 1`` (libcdc threads per image) avoids
  oversubscribing the cores.
- ``--scheduler tcp://HOST:8786``: the workers of a Dask cluster
  (Debian: python3-distributed). Start one with ``dask-scheduler`` on one
  machine and ``dask-worker tcp://HOST:8786 --nprocs 4 --nthreads 1`` on
  each worker machine; every worker needs pycdc importable (the same
  version) and, for PNG/JPEG, Pillow. This process reads the inputs and
  writes the outputs and sends the images' bytes to the workers (a shared
  filesystem is not needed); a model file given by path is read here and sent
  to every worker once. Each worker process loads each model once.

Results: one JSON line per image is appended to ``OUT_DIR/compress.jsonl``
(or ``decompress.jsonl``; ``--results FILE``) as each image finishes, and
flushed: input, output, status ("ok" or "error" with the message), size,
channels, bytes in and out, bits per pixel, seconds, the worker, and the
settings. Outputs are written atomically before their line. A rerun skips
every image with an "ok" line of the same settings whose output exists, so an
interrupted run resumes where it stopped; ``--restart`` redoes everything.
When stderr is a terminal a progress bar shows the rate and the ETA.

The exit status is 0 when every image succeeded, 1 when some failed.
"""

import argparse
import io
import json
import os
import socket
import sys
import time

from . import _io, _parallel

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")
OUTPUT_FORMATS = {"png": ".png", "tiff": ".tiff", "bmp": ".bmp", "ppm": ".ppm"}


# --- workers (run in worker processes; models are cached per process) ------------


def _worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def compress_one(payload, model_spec, options):
    """Worker: (relative name, image file bytes) -> (record, .cdc bytes)."""
    import pycdc
    from PIL import Image

    name, data = payload
    with Image.open(io.BytesIO(data)) as im:
        array = _io.pil_to_array(im)
    model = _io.cached_model(model_spec)
    t0 = time.perf_counter()
    stream = pycdc.encode(array, model, **options)
    seconds = time.perf_counter() - t0
    h, w = array.shape[:2]
    record = {
        "width": w, "height": h, "channels": 1 if array.ndim == 2 else array.shape[2],
        "input_bytes": len(data), "output_bytes": len(stream),
        "bpp": 8.0 * len(stream) / (w * h), "seconds": round(seconds, 6),
        "model": model.name, "model_id": model.id, "worker": _worker_name(),
    }
    return record, stream


def decompress_one(payload, model_spec, options, image_format):
    """Worker: (relative name, .cdc bytes) -> (record, image file bytes)."""
    import pycdc
    from PIL import Image

    name, data = payload
    model = _io.model_for_stream(data, model_spec)
    t0 = time.perf_counter()
    array = pycdc.decode(data, model, **options)
    seconds = time.perf_counter() - t0
    out = io.BytesIO()
    Image.fromarray(array).save(out, format=image_format)
    h, w = array.shape[:2]
    record = {
        "width": w, "height": h, "channels": 1 if array.ndim == 2 else array.shape[2],
        "input_bytes": len(data), "output_bytes": out.tell(),
        "bpp": 8.0 * len(data) / (w * h), "seconds": round(seconds, 6),
        "model": model.name, "model_id": model.id, "worker": _worker_name(),
    }
    return record, out.getvalue()


# --- the results file --------------------------------------------------------------


class ResultsLog:
    """An append-only JSON-lines file: one record per line, flushed as written.
    A last line cut short by an interruption is ignored (and closed off with a
    newline before the next record)."""

    def __init__(self, path):
        self.path = os.fspath(path)

    def read(self):
        records = []
        try:
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    if not line.endswith("\n"):
                        break  # an interrupted write
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        continue
        except FileNotFoundError:
            pass
        return records

    def open(self, restart=False):
        if restart and os.path.exists(self.path):
            os.unlink(self.path)
        needs_newline = False
        if os.path.exists(self.path) and os.path.getsize(self.path):
            with open(self.path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                needs_newline = f.read(1) != b"\n"
        self.file = open(self.path, "a", encoding="utf-8")
        if needs_newline:
            self.file.write("\n")
        return self

    def append(self, record):
        self.file.write(json.dumps(record, sort_keys=True) + "\n")
        self.file.flush()

    def close(self):
        self.file.close()


# --- the coordinator ---------------------------------------------------------------


def find_inputs(folder, suffixes, recursive=False):
    """Relative paths (with "/") of the files under folder with these suffixes, sorted."""
    found = []
    if recursive:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for n in files:
                if n.lower().endswith(suffixes):
                    found.append(os.path.relpath(os.path.join(root, n), folder))
    else:
        found = [n for n in os.listdir(folder)
                 if n.lower().endswith(suffixes) and os.path.isfile(os.path.join(folder, n))]
    return sorted(p.replace(os.sep, "/") for p in found)


def _output_name(rel, suffix):
    return os.path.splitext(rel)[0] + suffix


def run_batch(mode, in_dir, out_dir, *, model=None, quality=None, options=None, jobs=1,
              scheduler=None, results=None, recursive=False, image_format="png",
              restart=False, log=print, progress=None):
    """Runs ``compress`` or ``decompress`` over a folder (see the module
    docstring); returns a dict of counts: done, skipped, failed."""
    options = dict(options or {})
    if mode == "compress":
        spec = _io.choose_model(model, quality)
        options = _io.quality_options(quality, options)
        suffixes, out_suffix = IMAGE_SUFFIXES, ".cdc"
        _io.cached_model(spec)  # fail early on a bad --model
        settings = {"model": _spec_label(spec), **options}
        func, extra = compress_one, (options,)
    elif mode == "decompress":
        if quality is not None:
            raise ValueError("quality applies to compress only")
        spec = model
        if spec is not None:
            _io.cached_model(spec)
        suffixes, out_suffix = (".cdc",), OUTPUT_FORMATS[image_format]
        settings = {"model": _spec_label(spec), "format": image_format, **options}
        func, extra = decompress_one, (options, image_format.upper())
    else:
        raise ValueError(f"mode must be compress or decompress, not {mode!r}")
    settings.pop("threads", None)  # results do not depend on the thread count
    settings.pop("progress", None)

    if not os.path.isdir(in_dir):
        raise SystemExit(f"{in_dir}: not a folder")
    inputs = find_inputs(in_dir, suffixes, recursive)
    if not inputs:
        raise SystemExit(f"no input files ({', '.join(suffixes)}) in {in_dir}")
    outputs = {rel: _output_name(rel, out_suffix) for rel in inputs}
    clashes = {}
    for rel, out in outputs.items():
        clashes.setdefault(out, []).append(rel)
    clashes = {o: r for o, r in clashes.items() if len(r) > 1}
    if clashes:
        out, rels = next(iter(clashes.items()))
        raise SystemExit(f"{len(clashes)} output name(s) would be written twice, e.g. {out} "
                         f"from {', '.join(rels)}; rename the inputs")
    os.makedirs(out_dir, exist_ok=True)
    log_path = results or os.path.join(out_dir, f"{mode}.jsonl")
    results_log = ResultsLog(log_path)

    done_before = set()
    if not restart:
        for r in results_log.read():
            if (r.get("status") == "ok" and r.get("settings") == settings
                    and os.path.isfile(os.path.join(out_dir, r.get("output", "")))):
                done_before.add(r.get("input"))
    todo = [rel for rel in inputs if rel not in done_before]
    counts = {"done": 0, "skipped": len(inputs) - len(todo), "failed": 0}
    if counts["skipped"]:
        log(f"{counts['skipped']} of {len(inputs)} file(s) already done (in {log_path}); "
            f"{len(todo)} to do")

    def load(rel):
        with open(os.path.join(in_dir, rel), "rb") as f:
            return rel, f.read()

    bar = _parallel.Progress(len(inputs), initial=counts["skipped"], desc=mode, enabled=progress)
    results_log.open(restart)

    def on_result(rel, result, error):
        record = {"input": rel, "output": outputs[rel], "settings": settings}
        if error is not None:
            record.update(status="error", error=f"{type(error).__name__}: {error}")
            counts["failed"] += 1
            bar.write(f"{rel}: failed: {record['error']}", log)
        else:
            info, data = result
            target = os.path.join(out_dir, outputs[rel])
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
            _io.atomic_write(target, data)
            record.update(status="ok", **info)
            counts["done"] += 1
        results_log.append(record)
        bar.update()

    try:
        _parallel.run(func, todo, load=load, common=(spec,) + extra, on_result=on_result,
                      jobs=jobs, scheduler=scheduler, portable=_portable)
    finally:
        bar.close()
        results_log.close()
    return counts


def _spec_label(spec):
    """How a model spec is recorded in the results (a Model by its id)."""
    import pycdc

    if spec is None:
        return None
    if isinstance(spec, pycdc.Model):
        return spec.id
    return os.fsdecode(os.fspath(spec))


def _portable(common):
    return (_io.portable_model_spec(common[0]),) + tuple(common[1:])


def _optional_float(text):
    return None if text.lower() in ("default", "none") else float(text)


def build_parser():
    p = argparse.ArgumentParser(
        prog="python3 -m pycdc.batch",
        description="Compress or decompress a folder of images with libcdc, on local processes "
                    "or a Dask cluster; resumable.")
    sub = p.add_subparsers(dest="mode", required=True)
    for mode in ("compress", "decompress"):
        s = sub.add_parser(mode, help=f"{mode} every file of IN_DIR into OUT_DIR")
        s.add_argument("in_dir", metavar="IN_DIR")
        s.add_argument("out_dir", metavar="OUT_DIR")
        s.add_argument("--model", metavar="NAME_OR_PATH",
                       help="a built-in model name or a model file (decompress: default the "
                            "built-in model of each stream)")
        if mode == "compress":
            s.add_argument("--quality", type=int, metavar="Q",
                           help="0..49: default-low, 50..100: default-mid (picks a built-in "
                                "model; libcdc has no rate parameter)")
        else:
            s.add_argument("--steps", type=int, default=0, help="decoding steps (0: the model's)")
            s.add_argument("--gamma", type=_optional_float, default=None,
                           help="decoding gamma (default: the model's)")
            s.add_argument("--seed", type=int, default=0)
            s.add_argument("--format", choices=sorted(OUTPUT_FORMATS), default="png")
        s.add_argument("--threads", type=int, default=0,
                       help="libcdc threads per image (0: all cores)")
        s.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="local worker processes (0: one per core; default 1)")
        s.add_argument("--scheduler", metavar="ADDRESS",
                       help="a Dask scheduler, e.g. tcp://host:8786: run on its workers")
        s.add_argument("--results", metavar="FILE",
                       help=f"the JSON-lines results file (default OUT_DIR/{mode}.jsonl)")
        s.add_argument("--recursive", action="store_true", help="include subfolders")
        s.add_argument("--restart", action="store_true",
                       help="redo every file (default: skip those done by an earlier run)")
        s.add_argument("--quiet", action="store_true")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    options = {"threads": args.threads}
    if args.mode == "decompress":
        options.update(steps=args.steps, gamma=args.gamma, seed=args.seed)
    log = (lambda *a, **k: None) if args.quiet else print
    try:
        counts = run_batch(
            args.mode, args.in_dir, args.out_dir, model=args.model,
            quality=getattr(args, "quality", None), options=options, jobs=args.jobs,
            scheduler=args.scheduler, results=args.results, recursive=args.recursive,
            image_format=getattr(args, "format", "png"), restart=args.restart, log=log)
    except (ValueError, TypeError, OSError) as e:
        raise SystemExit(f"error: {e}") from None
    except Exception as e:  # noqa: BLE001  (pycdc errors: a bad model, ...)
        import pycdc

        if isinstance(e, pycdc.CdcError):
            raise SystemExit(f"error: {e}") from None
        raise
    log(f"{args.mode}: {counts['done']} done, {counts['skipped']} skipped (done before), "
        f"{counts['failed']} failed")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
