"""The Pillow plugin (PIL.Image.open / save of .cdc) and pycdc.imread / imwrite."""

import io
import os

import numpy as np
import pytest

from conftest import make_image

Image = pytest.importorskip("PIL.Image", reason="the Pillow plugin needs Pillow (python3-pil)")

import pycdc  # noqa: E402
import pycdc.pillow  # noqa: E402


@pytest.fixture(scope="module")
def builtins():
    names = pycdc.models()
    if not {"default-low", "default-mid"} <= set(names):
        pytest.skip("this libcdc lacks the built-in models default-low / default-mid")
    return names


@pytest.fixture(autouse=True)
def _clean_defaults():
    # One compute thread: the images are tiny, and the machine may be shared.
    pycdc.pillow.decode_options["threads"] = 1
    pycdc.pillow.encode_options["threads"] = 1
    yield
    pycdc.pillow.decode_options.clear()
    pycdc.pillow.encode_options.clear()


def test_registered():
    assert Image.registered_extensions()[".cdc"] == "CDC"
    assert "CDC" in Image.OPEN and "CDC" in Image.SAVE
    assert Image.MIME["CDC"] == "image/x-cdc"
    pycdc.pillow.register()  # a second call is harmless


@pytest.mark.parametrize("c, mode", [(None, "L"), (3, "RGB"), (4, "RGBA")])
def test_round_trip_matches_pycdc(tmp_path, builtins, c, mode):
    array = make_image(40, 72, c, seed=3)
    path = tmp_path / "x.cdc"
    Image.fromarray(array).save(path, threads=1)
    data = path.read_bytes()
    assert data == pycdc.encode(array, threads=1)  # the default model, same stream
    with Image.open(path) as im:
        assert im.format == "CDC" and im.mode == mode and im.size == (72, 40)
        assert im.info["model_id"] == pycdc.default_model().id
        assert im.info["bpp"] == pytest.approx(pycdc.info(data)["bpp"])
        decoded = np.asarray(im)
    assert np.array_equal(decoded, pycdc.decode(data, steps=1, threads=1))


def test_open_file_object_and_formats(builtins):
    array = make_image(32, 48, 3, seed=4)
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="CDC")
    buf.seek(0)
    with Image.open(buf, formats=["CDC"]) as im:
        im.load()
        assert im.size == (48, 32)
    assert buf.getvalue()[:8] == b"\x89CDC\r\n\x1a\n"


def test_quality_picks_a_builtin_model_and_residual_step(tmp_path, builtins):
    array = make_image(32, 48, 3, seed=5)
    ladder = pycdc._io.QUALITY_MODELS
    assert len(ladder) >= 1 and ladder[0][0] == 0 and ladder[-1][1] == 100
    for (_, high, _), (low, _, _) in zip(ladder, ladder[1:]):
        assert low == high + 1  # every quality picks exactly one model
    sizes = []
    for quality in (0, 10, 11, 50, 100):
        name, step = pycdc._io.quality_settings(quality)
        model = pycdc.Model(name)
        path = tmp_path / f"q{quality}.cdc"
        Image.fromarray(array).save(path, quality=quality)
        info = pycdc.info(path.read_bytes())
        assert info["model_id"] == model.id
        assert info["residual_step"] == step and (step == 0) == (quality <= 10)
        sizes.append(len(path.read_bytes()))
        with Image.open(path) as im:  # the stream's built-in model is found
            assert np.array_equal(np.asarray(im), pycdc.decode(path.read_bytes(), model, threads=1))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    with pytest.raises(ValueError, match="0..100"):
        Image.fromarray(array).save(tmp_path / "bad.cdc", quality=101)
    with pytest.raises(ValueError, match="not both"):
        Image.fromarray(array).save(tmp_path / "bad.cdc", quality=50, model="default-low")


def test_model_file_and_decode_options(tmp_path, model_path):
    array = make_image(64, 64, 3, seed=6)
    path = tmp_path / "m.cdc"
    Image.fromarray(array).save(path, model=model_path, threads=1)
    data = path.read_bytes()
    assert pycdc.info(data)["model_id"] == pycdc.Model(model_path).id
    expected = pycdc.decode(data, model_path, steps=2, threads=1)

    with Image.open(path) as im:  # not a built-in model: the default does not fit
        with pytest.raises(pycdc.ModelMismatchError):
            im.load()

    stages = []
    with Image.open(path) as im:
        im.cdc_options.update(model=model_path, steps=2, threads=1,
                              progress=lambda p: stages.append((p.stage, p.total)))
        assert np.array_equal(np.asarray(im), expected)
    assert ("diffusion", 2) in stages

    pycdc.pillow.decode_options.update(model=pycdc.Model(model_path), steps=2)
    pycdc.pillow.decode_options.pop("threads")
    with Image.open(path) as im:
        assert im.cdc_options["steps"] == 2
        assert np.array_equal(np.asarray(im.convert("RGB")), expected)


def test_encode_defaults_and_progress(tmp_path, builtins):
    array = make_image(32, 40, 3, seed=7)
    pycdc.pillow.encode_options["model"] = "default-low"
    seen = []
    Image.fromarray(array).save(tmp_path / "a.cdc", progress=lambda p: seen.append(p.stage),
                                steps=3, gamma=0.5, seed=2)  # decoding options: no effect
    data = (tmp_path / "a.cdc").read_bytes()
    assert pycdc.info(data)["model_id"] == pycdc.Model("default-low").id
    assert data == pycdc.encode(array, "default-low", threads=1)
    assert "analysis" in seen


def test_modes_converted_on_save(tmp_path, builtins):
    rgb = make_image(24, 32, 3, seed=8)
    pal = Image.fromarray(rgb).convert("P")
    pal.info["transparency"] = 0
    pal.save(tmp_path / "p.cdc")
    with Image.open(tmp_path / "p.cdc") as im:
        assert im.mode == "RGBA"
    Image.fromarray(rgb).convert("1").save(tmp_path / "b.cdc")
    with Image.open(tmp_path / "b.cdc") as im:
        assert im.mode == "L"
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "c.cdc")
    with Image.open(tmp_path / "c.cdc") as im:
        assert im.mode == "RGB"
    with pytest.raises(OSError, match="cannot write mode I"):
        Image.fromarray(rgb).convert("I").save(tmp_path / "i.cdc")


def test_damaged_and_foreign_files(tmp_path, builtins):
    data = pycdc.encode(make_image(24, 32, 3), threads=1)
    (tmp_path / "t.cdc").write_bytes(data[:-7])
    with pytest.raises(pycdc.StreamError):
        Image.open(tmp_path / "t.cdc")
    Image.fromarray(make_image(8, 8, 3)).save(tmp_path / "x.png")
    with Image.open(tmp_path / "x.png") as im:
        assert im.format == "PNG"


# --- imread / imwrite ------------------------------------------------------------


def test_imread_imwrite_cdc(tmp_path, builtins):
    gray = make_image(40, 48, None, seed=9)
    path = tmp_path / "g.cdc"
    pycdc.imwrite(path, gray, quality=10, threads=1)
    expected = pycdc._io.model_for_quality(10)
    assert pycdc.info(path.read_bytes())["model_id"] == pycdc.Model(expected).id
    out = pycdc.imread(path, steps=1, threads=1)
    assert out.shape == (40, 48) and out.dtype == np.uint8
    assert np.array_equal(out, pycdc.decode(path.read_bytes(), expected, threads=1))
    assert pycdc.imread(str(path), format="rgb", threads=1).shape == (40, 48, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["g.cdc"]  # no temporary left
    pycdc.imwrite(tmp_path / "UPPER.CDC", gray, model="default-mid", threads=1)
    assert (tmp_path / "UPPER.CDC").read_bytes()[:8] == b"\x89CDC\r\n\x1a\n"


def test_imread_imwrite_through_pillow(tmp_path):
    rgba = make_image(20, 30, 4, seed=10)
    pycdc.imwrite(tmp_path / "a.png", rgba)
    assert np.array_equal(pycdc.imread(tmp_path / "a.png"), rgba)
    assert pycdc.imread(tmp_path / "a.png", format="rgb").shape == (20, 30, 3)
    pycdc.imwrite(tmp_path / "a.jpg", rgba[..., :3], quality=90)
    jpg = pycdc.imread(tmp_path / "a.jpg")
    assert jpg.shape == (20, 30, 3) and pycdc.metrics.psnr(rgba[..., :3], jpg) > 25
    with pytest.raises(TypeError, match=".cdc files only"):
        pycdc.imread(tmp_path / "a.png", steps=2)
    with pytest.raises(TypeError, match=".cdc files only"):
        pycdc.imwrite(tmp_path / "b.png", rgba, model="default-mid")
    assert not os.path.exists(tmp_path / "b.png")


def test_effort_refines_with_a_builtin_model(builtins):
    """effort= (CDC_OPTION_EFFORT): the built-in models know their rate weight, so
    effort > 0 works and gives an ordinary stream; out-of-range levels are refused."""
    model = pycdc.Model("default-mid")
    assert model.rate_lambda > 0
    array = make_image(64, 96, 3, seed=12)
    base = pycdc.encode(array, model, threads=1)
    refined = pycdc.encode(array, model, threads=1, effort=1)
    assert pycdc.info(refined)["model_id"] == model.id
    assert pycdc.decode(refined, model, threads=1).shape == array.shape
    assert len(refined) == pytest.approx(len(base), rel=0.5)
    with pytest.raises(ValueError):
        pycdc.Context(effort=5)
