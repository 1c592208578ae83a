"""pycdc: the tile options (bounded-memory tiled encoding and decoding)."""

import numpy as np
import pytest

import pycdc
from conftest import make_image


def test_tile_options_and_bounds():
    ctx = pycdc.Context()
    assert (ctx.tile, ctx.tile_overlap) == (-1, -1)  # automatic
    ctx.tile, ctx.tile_overlap = 256, 128
    assert (ctx.tile, ctx.tile_overlap) == (256, 128)
    ctx.tile = None
    assert ctx.tile == -1
    assert pycdc.option_bounds("tile") == (-1, 65536, -1)
    with pytest.raises(pycdc.InvalidArgumentError):
        ctx.tile = 10  # a tile is at least 64 pixels
    with pytest.raises(TypeError):
        ctx.tile = 1.5


def test_tiled_round_trip(model):
    img = make_image(200, 260, 3, seed=4)
    whole = pycdc.encode(img, model, tile=0, threads=1)
    tiled = pycdc.encode(img, model, tile=128, tile_overlap=64, threads=1)
    ref = pycdc.decode(whole, model, tile=0, threads=1, steps=2)
    for stream in (whole, tiled):
        out = pycdc.decode(stream, model, tile=128, tile_overlap=64, threads=1, steps=2)
        assert out.shape == img.shape
        mse = np.mean((out.astype(float) - ref.astype(float)) ** 2)
        assert 10 * np.log10(255 ** 2 / max(mse, 1e-9)) > 30  # close to the whole-image decode
    seen = []
    pycdc.decode(whole, model, tile=128, threads=1, steps=2, progress=lambda p: seen.append((p.stage, p.total)) or True)
    # 200x260 pads to 256x320: 2 x 3 tiles of at most 128 pixels... rounded to the size multiple
    totals = {t for s, t in seen if s == "diffusion"}
    assert totals == {6 * 2}  # 2 x 3 tiles x 2 steps
    assert max(t for s, t in seen if s == "context") > 1  # several tiles
