"""pycdc: the residual layer (residual=, target_bpp=, quality=) with a real
model (skipped without one)."""

import numpy as np
import pytest

import pycdc
from conftest import make_image


@pytest.fixture(scope="module")
def photo():
    return make_image(72, 96, 3, seed=5)


@pytest.fixture(scope="module")
def builtins():
    if "default-xlow" not in pycdc.models():
        pytest.skip("this libcdc lacks the built-in model default-xlow")


def psnr(a, b):
    return pycdc.metrics.psnr(a, b)


def test_residual_brings_the_image_closer_at_more_bits(model, photo):
    plain = pycdc.encode(photo, model, threads=1)
    base = pycdc.decode(plain, model, threads=1)
    results = []
    for step in (48, 12, 3):
        s = pycdc.encode(photo, model, threads=1, residual=step)
        info = pycdc.info(s)
        assert info["format_version"] == 3
        assert info["residual_size"] > 0 and info["residual_step"] == step
        assert info["residual_base_steps"] == model.default_steps
        assert info["header_size"] + info["payload_size"] + info["residual_size"] == len(s)
        # The model's part of the stream is the plain stream's.
        assert s[120:120 + info["payload_size"]] == plain[120:120 + info["payload_size"]]
        out = pycdc.decode(s, model, threads=1)
        results.append((len(s), psnr(photo, out)))
    sizes = [r[0] for r in results]
    dbs = [r[1] for r in results]
    assert len(plain) < sizes[0] < sizes[1] < sizes[2]
    assert psnr(photo, base) < dbs[0] < dbs[1] < dbs[2]
    assert dbs[2] > 37  # a step of 3 levels (chroma and high frequencies coarser): close to the original


def test_residual_streams_decode_with_their_own_steps(model, photo):
    s = pycdc.encode(photo, model, threads=1, residual=8)
    out = pycdc.decode(s, model, threads=1)
    # Decoding options that would change the base image do not apply.
    assert np.array_equal(out, pycdc.decode(s, model, threads=1, steps=model.default_steps + 1,
                                             gamma=0.7, seed=3))


def test_residual_layouts_and_formats(model):
    for c in (None, 3, 4):
        img = make_image(40, 50, c, seed=2)
        s = pycdc.encode(img, model, threads=1, residual=4)
        out = pycdc.decode(s, model, threads=1)
        assert out.shape == img.shape
        if c == 4:
            assert np.array_equal(out[..., 3], img[..., 3])
            assert psnr(img[..., :3], out[..., :3]) > 35
        else:
            assert psnr(img, out) > 35
        # Other output layouts: gray <-> colour conversions of the result.
        for fmt in ("gray", "rgb", "rgba"):
            assert pycdc.decode(s, model, format=fmt, threads=1).dtype == np.uint8


def test_target_bpp(model, photo):
    plain = pycdc.encode(photo, model, threads=1)
    plain_bpp = 8 * len(plain) / photo.shape[0] / photo.shape[1]
    for target in (plain_bpp * 2, plain_bpp * 5):
        s = pycdc.encode(photo, model, threads=1, target_bpp=target)
        bpp = pycdc.info(s)["bpp"]
        assert abs(np.log(bpp / target)) < 0.2, (bpp, target)
    # Below the model's own rate: the model's stream alone.
    assert pycdc.encode(photo, model, threads=1, target_bpp=plain_bpp / 3) == plain


def test_residual_stream_damage_is_an_error(model, photo):
    s = bytearray(pycdc.encode(photo, model, threads=1, residual=6))
    info = pycdc.info(bytes(s))
    start = info["header_size"] + info["payload_size"]
    for where in (start + 5, start + 20, len(s) - 2):
        bad = bytearray(s)
        bad[where] ^= 0x40
        with pytest.raises(pycdc.CorruptStreamError):
            pycdc.decode(bytes(bad), model, threads=1)
    with pytest.raises(pycdc.TruncatedStreamError):
        pycdc.decode(bytes(s[:-5]), model, threads=1)


def test_bad_residual_options(model, photo):
    with pytest.raises(pycdc.InvalidArgumentError):
        pycdc.encode(photo, model, residual=0.1)
    with pytest.raises(pycdc.InvalidArgumentError):
        pycdc.encode(photo, model, residual=300)
    with pytest.raises(TypeError):
        pycdc.encode(photo, model, residual="fine")


def test_residual_base_steps_must_be_the_models(model, photo):
    import struct
    import zlib

    s = bytearray(pycdc.encode(photo, model, threads=1, residual=6))
    info = pycdc.info(bytes(s))
    start = info["header_size"] + info["payload_size"]
    size = info["residual_size"]
    # A stream asking for more base steps than the model's default (a decoder
    # must not run what a hostile stream asks): rewritten with a valid CRC.
    struct.pack_into("<H", s, start + 8, model.default_steps + 1)
    struct.pack_into("<I", s, start + size - 4, zlib.crc32(bytes(s[start:start + size - 4])))
    with pytest.raises(pycdc.CorruptStreamError, match="steps"):
        pycdc.decode(bytes(s), model, threads=1)


def test_effort_keeps_the_residual_layer(photo, builtins):
    # Effort runs in the engine (libtorch): the residual options reach it too.
    plain = pycdc.encode(photo, "default-xlow", threads=2, effort=1)
    s = pycdc.encode(photo, "default-xlow", threads=2, effort=1, residual=8)
    info = pycdc.info(s)
    assert info["residual_size"] > 0 and info["residual_step"] == 8
    out = pycdc.decode(s, "default-xlow", threads=2)
    assert psnr(photo, out) > psnr(photo, pycdc.decode(plain, "default-xlow", threads=2)) + 3
    t = pycdc.encode(photo, "default-xlow", threads=2, effort=1, target_bpp=2.0)
    assert pycdc.info(t)["residual_size"] > 0
