"""python3 -m pycdc.eval: the folder evaluation (baselines always; libcdc with a model)."""

import csv
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import make_image
from pycdc import eval as cdc_eval


def _pil():
    return pytest.importorskip("PIL.Image", reason="pycdc.eval reads images with Pillow (python3-pil)")


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    Image = _pil()
    d = tmp_path_factory.mktemp("images")
    Image.fromarray(make_image(176, 184, 3, seed=1)).save(d / "a.png")
    Image.fromarray(make_image(64, 80, 3, seed=2)).save(d / "b.jpg", quality=95)
    Image.fromarray(make_image(64, 64, 4, seed=3)).save(d / "c.PNG")
    (d / "notes.txt").write_text("not an image")
    return d


def test_ppm_round_trip(tmp_path):
    img = make_image(9, 13, 3)
    cdc_eval.write_ppm(tmp_path / "x.ppm", img)
    assert np.array_equal(cdc_eval.read_ppm(tmp_path / "x.ppm"), img)


def test_find_and_load_images(image_dir):
    names = [os.path.basename(p) for p in cdc_eval.find_images(image_dir)]
    assert names == ["a.png", "b.jpg", "c.PNG"]
    rgba = cdc_eval.load_rgb(image_dir / "c.PNG")
    assert rgba.shape == (64, 64, 3) and rgba.dtype == np.uint8


@pytest.mark.parametrize("codec, param",
                         [("jpeg", 50), ("webp", 50), ("avif", 40), ("jxl", 1.0)])
def test_baseline(tmp_path, codec, param):
    if not cdc_eval.baseline_available(codec):
        pytest.skip(f"{codec} command line tools not installed")
    if codec == "avif":
        _pil()
    img = make_image(40, 56, 3, seed=5)
    size, decoded, enc_s, dec_s = cdc_eval.run_baseline(codec, param, img, str(tmp_path))
    assert size > 0 and decoded.shape == img.shape
    assert 20 < cdc_eval.metrics.psnr(img, decoded) < 60


def _run_eval(args, timeout=300):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["MPLBACKEND"] = "Agg"
    return subprocess.run([sys.executable, "-m", "pycdc.eval", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def _check_outputs(out_dir):
    for name in ("results.csv", "summary.csv", "bd_rates.csv", "rd.png"):
        assert (out_dir / name).is_file(), name
    with open(out_dir / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows and {"image", "codec", "bpp", "psnr", "ms_ssim"} <= set(rows[0])
    assert (out_dir / "rd.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return rows


def test_eval_baselines_only(image_dir, tmp_path):
    _pil()
    pytest.importorskip("matplotlib")
    codecs = [c for c in ("jpeg", "webp") if cdc_eval.baseline_available(c)]
    if not codecs:
        pytest.skip("neither cjpeg nor cwebp is installed")
    out = tmp_path / "out"
    r = _run_eval([str(image_dir), "--no-cdc", "--codecs", ",".join(codecs),
                   "--jpeg-qualities", "30,60,90", "--webp-qualities", "30,60,90",
                   "--out", str(out), "--quiet"])
    assert r.returncode == 0, r.stderr
    rows = _check_outputs(out)
    assert len(rows) == 3 * 3 * len(codecs)
    small = [row for row in rows if row["image"] != "a.png"]
    assert all(row["ms_ssim"] == "nan" for row in small)  # under 161 pixels a side
    assert all(float(row["psnr"]) > 20 for row in rows)


def test_eval_with_model(image_dir, tmp_path, model_path, steps):
    _pil()
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    # The same model twice gives two rate points of one curve (so BD-rates exist).
    copy = tmp_path / "copy.cdcm"
    shutil.copy(model_path, copy)
    args = [str(image_dir), "--model", model_path, "--model", str(copy), "--steps", str(steps),
            "--gamma", "0", "--threads", "1", "--crop", "64", "--codecs", "jpeg",
            "--jpeg-qualities", "20,50,80", "--out", str(out)]
    r = _run_eval(args)
    assert r.returncode == 0, r.stderr + r.stdout
    rows = _check_outputs(out)
    cdc_rows = [row for row in rows if row["codec"] == "cdc"]
    assert len(cdc_rows) == 3 * 2
    assert all(row["setting"] == f"steps={steps} gamma=0" for row in cdc_rows)
    with open(out / "bd_rates.csv") as f:
        bd = list(csv.DictReader(f))
    assert [(b["test"], b["anchor"]) for b in bd] == [(f"cdc steps={steps} gamma=0", "jpeg")]
    assert "BD-rate" in r.stdout


def test_eval_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _run_eval([str(empty), "--no-cdc"])
    assert r.returncode != 0 and "no PNG/JPEG images" in r.stderr
    r = _run_eval([str(empty), "--codecs", "gif"])
    assert r.returncode != 0 and "unknown codec" in r.stderr


# --- large datasets: a process pool, a Dask cluster, resuming ---------------------

_TIMES = ("encode_s", "decode_s")


def _read_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def _without_times(rows):
    return [{k: v for k, v in row.items() if k not in _TIMES} for row in rows]


def _eval_args(image_dir, model_path, steps, out):
    return [str(image_dir), "--model", model_path, "--steps", str(steps), "--gamma", "0",
            "--threads", "1", "--crop", "64", "--codecs", "jpeg", "--jpeg-qualities", "30,70",
            "--out", str(out), "--quiet"]


def _config(model_path, steps):
    return cdc_eval.EvalConfig(models=[model_path], steps=[steps], gammas=[0.0], threads=1,
                               baselines=["jpeg"], jpeg_qualities=[30, 70], crop=64)


@pytest.fixture(scope="module")
def serial_eval(image_dir, tmp_path_factory, model_path):
    _pil()
    out = tmp_path_factory.mktemp("eval-serial")
    rows = cdc_eval.evaluate(str(image_dir), _config(model_path, 2), log=lambda *a: None,
                             out_dir=str(out), progress=False)
    assert len(rows) == 3 * (1 + (2 if cdc_eval.baseline_available("jpeg") else 0))
    return out


def test_eval_pool_and_cluster_equal_serial(serial_eval, dask_cluster, image_dir, tmp_path,
                                            model_path):
    expected = _without_times(_read_rows(serial_eval / "results.csv"))
    pool = cdc_eval.evaluate(str(image_dir), _config(model_path, 2), log=lambda *a: None,
                             out_dir=str(tmp_path / "pool"), jobs=2, progress=False)
    assert _without_times(_read_rows(tmp_path / "pool" / "results.csv")) == expected
    assert [r.image for r in pool] == [row["image"] for row in expected]
    cluster = cdc_eval.evaluate(str(image_dir), _config(model_path, 2), log=lambda *a: None,
                                out_dir=str(tmp_path / "dask"), progress=False,
                                scheduler=dask_cluster.scheduler_address)
    assert _without_times(_read_rows(tmp_path / "dask" / "results.csv")) == expected
    assert len(cluster) == len(expected)


def test_eval_resumes_an_interrupted_run(serial_eval, image_dir, tmp_path, model_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    shutil.copytree(serial_eval, out)
    full = _read_rows(out / "results.csv")
    first = [row for row in full if row["image"] == "a.png"]
    lines = (out / "results.csv").read_text().splitlines(keepends=True)
    # Interrupted: the first image's rows, then b.jpg's first row cut short.
    n = 1 + len(first)
    (out / "results.csv").write_text("".join(lines[:n]) + lines[n][:20])
    r = _run_eval(_eval_args(image_dir, model_path, 2, out)[:-1])  # not --quiet
    assert r.returncode == 0, r.stderr + r.stdout
    assert "resuming: 1 of 3 image(s)" in r.stdout
    assert "a.png" not in r.stdout.split("resuming")[1].split("Average")[0]
    rows = _read_rows(out / "results.csv")
    assert _without_times(rows) == _without_times(full)
    # The first image was not redone: its times are the old ones.
    assert [row for row in rows if row["image"] == "a.png"] == first
    assert (out / "summary.csv").is_file() and (out / "rd.png").is_file()

    # Other settings: refused unless --restart.
    other = _eval_args(image_dir, model_path, 1, out)
    r = _run_eval(other)
    assert r.returncode != 0 and "--restart" in r.stderr
    r = _run_eval(other + ["--restart", "--jobs", "2"])
    assert r.returncode == 0, r.stderr
    assert {row["setting"] for row in _read_rows(out / "results.csv")
            if row["codec"] == "cdc"} == {"steps=1 gamma=0"}
