"""python3 -m pycdc.batch: folders on a local process pool and on a Dask
LocalCluster (2 worker processes, loopback only) give the serial results; an
interrupted run resumes without redoing finished images."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import make_image

Image = pytest.importorskip("PIL.Image", reason="pycdc.batch reads images with Pillow (python3-pil)")

import pycdc  # noqa: E402
from pycdc import batch  # noqa: E402

OPTIONS = {"threads": 1}
DECODE = {"threads": 1, "steps": 1, "gamma": 0.0, "seed": 0}


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch-in")
    for i in range(6):
        c = (3, None, 4)[i % 3]
        Image.fromarray(make_image(24 + 8 * (i % 2), 40, c, seed=i)).save(d / f"img{i}.png")
    (d / "notes.txt").write_text("not an image")
    return d


@pytest.fixture(scope="module")
def serial(image_dir, tmp_path_factory, model_path):
    out = tmp_path_factory.mktemp("serial")
    batch.run_batch("compress", image_dir, out / "c", model=model_path, options=OPTIONS,
                    log=lambda *a: None, progress=False)
    batch.run_batch("decompress", out / "c", out / "d", model=model_path, options=DECODE,
                    log=lambda *a: None, progress=False)
    return out


def _files(folder, suffix):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name.endswith(suffix)}


def _records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_serial_outputs(serial, image_dir, model_path):
    cdc = _files(serial / "c", ".cdc")
    assert sorted(cdc) == [f"img{i}.cdc" for i in range(6)]
    model = pycdc.Model(model_path)
    for name, data in cdc.items():
        assert pycdc.info(data)["model_id"] == model.id
        png = (serial / "d" / name.replace(".cdc", ".png")).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        original = pycdc.imread(image_dir / name.replace(".cdc", ".png"))
        assert pycdc.imread(serial / "d" / name.replace(".cdc", ".png")).shape == original.shape
    records = _records(serial / "c" / "compress.jsonl")
    assert [r["input"] for r in records] == [f"img{i}.png" for i in range(6)]
    assert all(r["status"] == "ok" and r["model_id"] == model.id for r in records)
    assert records[0]["bpp"] == pytest.approx(8 * len(cdc["img0.cdc"]) / (24 * 40))


def test_process_pool_equals_serial(serial, image_dir, tmp_path, model_path):
    counts = batch.run_batch("compress", image_dir, tmp_path / "c", model=model_path,
                             options=OPTIONS, jobs=2, log=lambda *a: None, progress=False)
    assert counts == {"done": 6, "skipped": 0, "failed": 0}
    assert _files(tmp_path / "c", ".cdc") == _files(serial / "c", ".cdc")
    batch.run_batch("decompress", tmp_path / "c", tmp_path / "d", model=model_path,
                    options=DECODE, jobs=2, log=lambda *a: None, progress=False)
    assert _files(tmp_path / "d", ".png") == _files(serial / "d", ".png")


def test_dask_cluster_equals_serial(dask_cluster, serial, image_dir, tmp_path, model_path):
    t0 = time.perf_counter()
    # A model file travels to the workers as bytes (read here, sent once).
    counts = batch.run_batch("compress", image_dir, tmp_path / "c", model=model_path,
                             options=OPTIONS, scheduler=dask_cluster.scheduler_address,
                             log=lambda *a: None, progress=False)
    assert counts == {"done": 6, "skipped": 0, "failed": 0}
    assert _files(tmp_path / "c", ".cdc") == _files(serial / "c", ".cdc")
    batch.run_batch("decompress", tmp_path / "c", tmp_path / "d", model=model_path,
                    options=DECODE, scheduler=dask_cluster.scheduler_address,
                    log=lambda *a: None, progress=False)
    assert _files(tmp_path / "d", ".png") == _files(serial / "d", ".png")
    workers = {r["worker"] for r in _records(tmp_path / "c" / "compress.jsonl")}
    assert workers and os.getpid() not in {int(w.rsplit(":", 1)[1]) for w in workers}
    print(f"LocalCluster compress + decompress of 6 images: {time.perf_counter() - t0:.2f} s")


def test_interrupted_run_resumes(dask_cluster, serial, image_dir, tmp_path, model_path):
    out = tmp_path / "c"
    shutil.copytree(serial / "c", out)
    log_path = out / "compress.jsonl"
    lines = log_path.read_text().splitlines(keepends=True)
    # An interruption: 3 lines written, a 4th cut short, the 5th image's output
    # written without its line; the 6th not started.
    log_path.write_text("".join(lines[:3]) + lines[3][:25])
    (out / "img5.cdc").unlink()
    stamps = {n: os.stat(out / f"img{n}.cdc").st_mtime_ns for n in range(3)}
    messages = []
    counts = batch.run_batch("compress", image_dir, out, model=model_path, options=OPTIONS,
                             scheduler=dask_cluster.scheduler_address, log=messages.append,
                             progress=False)
    assert counts == {"done": 3, "skipped": 3, "failed": 0}
    assert any("3 of 6 file(s) already done" in m for m in messages)
    assert {n: os.stat(out / f"img{n}.cdc").st_mtime_ns for n in range(3)} == stamps
    records = _read_jsonl_lenient(log_path)  # the cut line is closed off, then skipped
    assert sorted(r["input"] for r in records) == [f"img{i}.png" for i in range(6)]
    assert _files(out, ".cdc") == _files(serial / "c", ".cdc")
    # Nothing left: a third run does nothing; other settings redo everything.
    again = batch.run_batch("compress", image_dir, out, model=model_path, options=OPTIONS,
                            log=lambda *a: None, progress=False)
    assert again == {"done": 0, "skipped": 6, "failed": 0}
    other = batch.run_batch("compress", image_dir, out, model=model_path, options=OPTIONS,
                            restart=True, log=lambda *a: None, progress=False)
    assert other == {"done": 6, "skipped": 0, "failed": 0}


def _read_jsonl_lenient(path):
    out = []
    for line in open(path):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def test_failures_recorded_and_retried(tmp_path):
    if not pycdc.models():
        pytest.skip("no built-in model")
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(make_image(16, 16, 3)).save(src / "good.png")
    (src / "bad.png").write_bytes(b"not a png")
    counts = batch.run_batch("compress", src, tmp_path / "out", options=OPTIONS,
                             log=lambda *a: None, progress=False)
    assert counts == {"done": 1, "skipped": 0, "failed": 1}
    records = _read_jsonl_lenient(tmp_path / "out" / "compress.jsonl")
    bad = [r for r in records if r["input"] == "bad.png"][0]
    assert bad["status"] == "error" and "UnidentifiedImageError" in bad["error"]
    counts = batch.run_batch("compress", src, tmp_path / "out", options=OPTIONS,
                             log=lambda *a: None, progress=False)
    assert counts == {"done": 0, "skipped": 1, "failed": 1}


def _cli(*args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([sys.executable, "-m", "pycdc.batch", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli(dask_cluster, image_dir, tmp_path, serial, model_path):
    r = _cli("compress", image_dir, tmp_path / "c", "--model", model_path, "--threads", "1",
             "--scheduler", dask_cluster.scheduler_address)
    assert r.returncode == 0, r.stderr
    assert "6 done, 0 skipped" in r.stdout
    assert _files(tmp_path / "c", ".cdc") == _files(serial / "c", ".cdc")
    r = _cli("compress", image_dir, tmp_path / "c", "--model", model_path, "--jobs", "2")
    assert r.returncode == 0 and "0 done, 6 skipped" in r.stdout, r.stderr
    r = _cli("decompress", tmp_path / "c", tmp_path / "d", "--model", model_path, "--steps", "1",
             "--gamma", "0", "--threads", "1", "--format", "ppm", "--quiet")
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert sorted(_files(tmp_path / "d", ".ppm")) == [f"img{i}.ppm" for i in range(6)]
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _cli("compress", empty, tmp_path / "x")
    assert r.returncode != 0 and "no input files" in r.stderr
    r = _cli("compress", image_dir, tmp_path / "x", "--quality", "150")
    assert r.returncode != 0 and "0..100" in r.stderr
