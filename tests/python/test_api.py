"""pycdc: the module surface, errors, options and argument checks (no model needed)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import pycdc
from pycdc import _errors


def test_versions():
    assert isinstance(pycdc.__version__, str)
    parts = pycdc.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)
    assert pycdc.library_version == tuple(int(p) for p in parts)
    assert isinstance(pycdc.format_version, int) and pycdc.format_version >= 1


def test_models_lists_names():
    names = pycdc.models()
    assert isinstance(names, list)
    assert all(isinstance(n, str) and n for n in names)


def test_status_names_match_library():
    assert pycdc.Status.CORRUPT_STREAM == 5
    assert pycdc.CdcError("x", 5).status_name == "corrupt stream"
    for status in pycdc.Status:
        if status == pycdc.Status.OK:
            continue
        err = _errors.error_from_status(int(status), "message text")
        assert isinstance(err, pycdc.CdcError)
        assert err.status == status
        assert err.message == "message text"
        assert str(err) == "message text"
        assert err.status_name != "unknown status"
        assert type(err).STATUS == status
    unknown = _errors.error_from_status(1234, "odd")
    assert type(unknown) is pycdc.CdcError and unknown.status == 1234


def test_error_hierarchy():
    assert issubclass(pycdc.InvalidArgumentError, ValueError)
    assert issubclass(pycdc.IoError, OSError)
    assert issubclass(pycdc.NotFoundError, LookupError)
    assert issubclass(pycdc.OutOfMemoryError, MemoryError)
    assert issubclass(pycdc.CorruptStreamError, pycdc.StreamError)
    assert issubclass(pycdc.TruncatedStreamError, pycdc.StreamError)
    for cls in (pycdc.ModelMismatchError, pycdc.InvalidModelError, pycdc.CancelledError):
        assert issubclass(cls, pycdc.CdcError)


def test_error_pickles():
    import pickle

    err = pickle.loads(pickle.dumps(pycdc.TruncatedStreamError("cut", 6)))
    assert type(err) is pycdc.TruncatedStreamError and err.status == 6 and err.message == "cut"


# --- streams ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\x00", b"garbage" * 20, bytes(range(256)) * 4])
def test_info_rejects_garbage(data):
    with pytest.raises(pycdc.StreamError) as info:
        pycdc.info(data)
    assert info.value.message  # the library's message is carried
    assert info.value.status in (pycdc.Status.CORRUPT_STREAM, pycdc.Status.TRUNCATED_STREAM)


def test_info_accepts_buffers_and_rejects_str():
    with pytest.raises(pycdc.StreamError):
        pycdc.info(bytearray(b"garbage" * 20))
    with pytest.raises(pycdc.StreamError):
        pycdc.info(memoryview(b"garbage" * 20))
    with pytest.raises(pycdc.StreamError):
        pycdc.info(np.zeros(100, np.uint8))
    with pytest.raises(TypeError):
        pycdc.info("not bytes")


def test_decode_rejects_garbage_and_wrong_types(model):
    with pytest.raises(pycdc.StreamError):
        pycdc.Context().decode(b"garbage" * 20, model=model)
    with pytest.raises(TypeError, match="str"):
        pycdc.decode("text", model)
    with pytest.raises(TypeError, match="int"):
        pycdc.decode(12345, model)


def test_stream_type_checked_before_the_model():
    # Wrong types fail as TypeError even when no model could be loaded.
    with pytest.raises(TypeError):
        pycdc.decode("text", model="no-such-model")
    with pytest.raises(TypeError):
        pycdc.info(None)


# --- models ----------------------------------------------------------------------


def test_model_errors(tmp_path):
    with pytest.raises(pycdc.IoError) as info:
        pycdc.Model(str(tmp_path / "missing.cdcm"))
    assert info.value.status == pycdc.Status.IO_ERROR
    with pytest.raises(pycdc.NotFoundError):
        pycdc.Model("no-such-builtin-model")
    with pytest.raises(pycdc.NotFoundError):
        pycdc.Model.builtin("no-such-builtin-model")
    with pytest.raises(pycdc.InvalidModelError):
        pycdc.Model.from_bytes(b"this is not a model file" * 10)
    bad = tmp_path / "bad.cdcm"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(pycdc.InvalidModelError):
        pycdc.Model(bad)  # os.PathLike
    with pytest.raises(TypeError):
        pycdc.Model(123)
    with pytest.raises(TypeError):
        pycdc.Model(b"bytes are for from_bytes")


def test_default_model_matches_build():
    if pycdc.models():
        m = pycdc.Model()
        assert m.name == pycdc.models()[0]
        assert len(m.id) == 32
        assert pycdc.default_model() is pycdc.default_model()
    else:
        with pytest.raises(pycdc.NotFoundError):
            pycdc.Model()


# --- contexts and options -----------------------------------------------------


def test_context_options_round_trip():
    ctx = pycdc.Context(threads=2, steps=7, gamma=0.5, seed=11, max_pixels=1 << 20)
    assert ctx.threads == 2 and ctx.steps == 7 and ctx.gamma == 0.5 and ctx.seed == 11
    assert ctx.max_pixels == 1 << 20
    ctx.gamma = None
    assert ctx.gamma is None
    ctx.gamma = 0
    assert ctx.gamma == 0.0
    ctx.steps = None
    assert ctx.steps == 0
    opts = ctx.options()
    assert set(opts) == {"threads", "steps", "gamma", "seed", "max_pixels", "tile", "tile_overlap",
                         "effort", "precision", "device", "residual", "target_bpp"}
    assert opts["residual"] == 0.0 and opts["target_bpp"] == 0.0
    ctx.residual = 7.5
    assert ctx.residual == 7.5
    ctx.residual = None
    assert ctx.residual == 0.0
    assert opts["device"] == "cpu"
    assert "Context(" in repr(ctx)
    assert ctx.last_error == ""


def test_context_device():
    ctx = pycdc.Context()
    assert ctx.device == "cpu"
    with pytest.raises(ValueError):
        ctx.device = "tpu"
    try:
        ctx.device = "cuda"
    except pycdc.UnsupportedError as e:  # a libtorch without CUDA, or no GPU
        assert "CUDA" in e.message
        assert ctx.device == "cpu"  # unchanged
    else:
        assert ctx.device == "cuda"
    ctx.device = "cpu"
    assert ctx.device == "cpu"


def test_context_option_errors():
    ctx = pycdc.Context()
    with pytest.raises(pycdc.InvalidArgumentError) as info:
        ctx.gamma = 100.0
    assert info.value.message
    assert ctx.gamma is None  # unchanged
    with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError
        ctx.threads = -1
    with pytest.raises(TypeError):
        ctx.steps = 2.5
    with pytest.raises(TypeError):
        ctx.steps = True
    with pytest.raises(TypeError):
        ctx.gamma = "0.5"
    with pytest.raises(TypeError):
        ctx.set(colour="red")
    with pytest.raises(TypeError):
        pycdc.encode(np.zeros((8, 8, 3), np.uint8), speed=3)
    with pytest.raises(TypeError):
        ctx.progress = 42
    ctx.progress = print
    assert ctx.progress is print
    ctx.progress = None
    assert ctx.progress is None


def test_option_bounds():
    lo, hi, default = pycdc.option_bounds("gamma")
    assert lo <= default <= hi
    with pytest.raises(ValueError):
        pycdc.option_bounds("colour")


# --- image arrays -----------------------------------------------------------------


@pytest.mark.parametrize(
    "array, exc",
    [
        (np.zeros((8, 8, 3), np.float32), TypeError),
        (np.zeros((8, 8, 3), np.uint16), TypeError),
        (np.zeros((8, 8, 3), np.int8), TypeError),
        (np.zeros((8, 8, 3), bool), TypeError),
        ([[1, 2], [3, 4]], TypeError),
        ("image", TypeError),
        (np.zeros((8,), np.uint8), ValueError),
        (np.zeros((2, 8, 8, 3), np.uint8), ValueError),
        (np.zeros((8, 8, 2), np.uint8), ValueError),
        (np.zeros((8, 8, 5), np.uint8), ValueError),
        (np.zeros((0, 8, 3), np.uint8), ValueError),
        (np.zeros((8, 0), np.uint8), ValueError),
    ],
)
def test_encode_rejects_bad_arrays(array, exc):
    # Arrays are checked before any model is loaded.
    with pytest.raises(exc) as info:
        pycdc.encode(array, model="no-such-model-needed")
    assert "image" in str(info.value)


def test_pixel_layouts_copy_only_when_needed():
    from pycdc import _as_pixels

    base = np.zeros((20, 30, 4), np.uint8)
    rgb = base[..., :3]  # pixels 4 bytes apart: copied
    out = _as_pixels(rgb)
    assert out.flags.c_contiguous and np.shares_memory(out, base) is False
    crop = np.zeros((40, 50, 3), np.uint8)[5:25, 10:40]  # rows further apart: no copy
    assert _as_pixels(crop) is crop
    flipped = np.zeros((20, 30, 3), np.uint8)[::-1]  # negative row stride: copied
    assert _as_pixels(flipped).flags.c_contiguous
    mirrored = np.zeros((20, 30), np.uint8)[:, ::-1]
    assert _as_pixels(mirrored).flags.c_contiguous
    planar = np.zeros((3, 20, 30), np.uint8).transpose(1, 2, 0)
    assert _as_pixels(planar).flags.c_contiguous
    fortran = np.asfortranarray(np.zeros((20, 30), np.uint8))
    assert _as_pixels(fortran).flags.c_contiguous
    gray1 = np.zeros((20, 30, 1), np.uint8)
    assert _as_pixels(gray1) is gray1


# --- processes --------------------------------------------------------------------


def _run_python(code):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("order", ["torch first", "pycdc first"])
def test_import_with_torch(order):
    pytest.importorskip("torch")
    first, second = ("torch", "pycdc") if order == "torch first" else ("pycdc", "torch")
    code = (
        f"import {first}, {second}\n"
        "import numpy as np\n"
        "t = torch.ones(4, 4) @ torch.ones(4, 4)\n"
        "assert float(t.sum()) == 64.0\n"
        "try:\n"
        "    pycdc.info(b'not a stream' * 4)\n"
        "except pycdc.StreamError:\n"
        "    pass\n"
        "print('ok', pycdc.__version__, torch.__version__)\n"
    )
    result = _run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_no_memory_growth_on_errors_and_contexts():
    def rss_kib():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    bad = b"garbage" * 20

    def work(n):
        for _ in range(n):
            try:
                pycdc.info(bad)
            except pycdc.StreamError:
                pass
            ctx = pycdc.Context(steps=3, gamma=0.0)
            ctx.progress = lambda p: None
            try:
                ctx.gamma = 99.0
            except pycdc.InvalidArgumentError:
                pass
            del ctx

    work(200)  # warm up caches and allocator pools
    before = rss_kib()
    work(1000)
    growth = rss_kib() - before
    assert growth < 4096, f"RSS grew by {growth} KiB over 1000 calls"
