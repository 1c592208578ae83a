"""pycdc: encoding and decoding with a real model (skipped without one)."""

import os
import threading
import time

import numpy as np
import pytest

import pycdc
from conftest import make_image


@pytest.fixture(scope="module")
def rgb():
    return make_image(48, 64, 3, seed=1)


@pytest.fixture(scope="module")
def stream(model, rgb):
    return pycdc.encode(rgb, model, threads=1)


def test_model_facts(model, model_path):
    assert len(model.id) == 32 and int(model.id, 16) >= 0
    assert model.default_steps >= 1
    assert model.num_timesteps >= model.default_steps
    assert model.size_multiple >= 1
    assert model.parameter_count > 0
    assert isinstance(model.config, dict)
    info = model.info()
    assert info["id"] == model.id and isinstance(info["config"], dict)
    assert pycdc.Model.from_bytes(open(model_path, "rb").read()) == model
    assert pycdc.Model.from_file(model_path).id == model.id
    assert repr(model).startswith("<pycdc.Model")


def test_info(model, rgb, stream):
    info = pycdc.info(stream)
    assert (info["width"], info["height"], info["channels"]) == (64, 48, 3)
    assert info["model_id"] == model.id
    assert info["stream_size"] == len(stream)
    assert info["header_size"] + info["payload_size"] == len(stream)
    assert info["format_version"] == 1  # no metadata: version 1 (pycdc.format_version is the newest)
    assert pycdc.format_version >= 2
    assert info["metadata_size"] == 0 and info["metadata"] == {}
    assert info["bpp"] == pytest.approx(8 * len(stream) / (64 * 48))
    assert pycdc.info(bytearray(stream)) == info
    assert pycdc.info(memoryview(stream)) == info


def test_round_trip_rgb(model, rgb, stream, steps):
    out = pycdc.decode(stream, model, steps=steps, gamma=0.0, threads=1)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert out.flags.c_contiguous and out.flags.writeable
    # Deterministic decoding (gamma 0) gives the same image twice.
    again = pycdc.decode(stream, model, steps=steps, gamma=0.0, threads=1)
    assert np.array_equal(out, again)
    print(f"\n  round trip 64x48: {pycdc.info(stream)['bpp']:.3f} bpp, "
          f"PSNR {pycdc.metrics.psnr(rgb, out):.2f} dB (steps={steps})")


@pytest.mark.parametrize("shape, expected", [
    ((40, 56), (40, 56)),
    ((40, 56, 1), (40, 56)),
    ((40, 56, 3), (40, 56, 3)),
    ((40, 56, 4), (40, 56, 4)),
    ((1, 1, 3), (1, 1, 3)),
    ((7, 33, 3), (7, 33, 3)),
])
def test_round_trip_layouts(model, steps, shape, expected):
    c = None if len(shape) == 2 else shape[2]
    img = make_image(shape[0], shape[1], c, seed=2)
    data = pycdc.encode(img, model, threads=1)
    info = pycdc.info(data)
    assert (info["height"], info["width"]) == shape[:2]
    assert info["channels"] == (1 if c in (None, 1) else c)
    out = pycdc.decode(data, model, steps=steps, gamma=0.0, threads=1)
    assert out.shape == expected
    if c == 4:
        assert np.array_equal(out[..., 3], img[..., 3]), "alpha must be lossless"


def test_decode_formats(model, stream, steps):
    ctx = pycdc.Context(steps=steps, gamma=0.0, threads=1)
    rgb = ctx.decode(stream, model)
    gray = ctx.decode(stream, model, format="gray")
    rgba = ctx.decode(stream, model, format="RGBA")
    assert gray.shape == rgb.shape[:2]
    assert rgba.shape == rgb.shape[:2] + (4,)
    assert np.all(rgba[..., 3] == 255)
    assert np.array_equal(rgba[..., :3], rgb)
    assert np.array_equal(ctx.decode(stream, model, format=3), rgb)
    with pytest.raises(ValueError):
        ctx.decode(stream, model, format="cmyk")


def test_non_contiguous_inputs_match_contiguous(model):
    big = make_image(64, 80, 4, seed=3)
    views = {
        "crop": big[8:40, 16:64, :3][:, :, :],  # channel slice of RGBA: copied
        "row crop": np.ascontiguousarray(big[..., :3])[8:40, 16:64],  # strided rows: no copy
        "flipped": np.ascontiguousarray(big[..., :3])[::-1][8:40, 16:64],
        "transposed": np.ascontiguousarray(big[..., :3]).transpose(1, 0, 2)[16:64, 8:40],
    }
    for name, view in views.items():
        assert not view.flags.c_contiguous, name
        a = pycdc.encode(view, model, threads=1)
        b = pycdc.encode(np.ascontiguousarray(view), model, threads=1)
        assert a == b, f"{name}: strided and contiguous inputs give different streams"


def test_seeded_noise(model, stream, steps):
    a = pycdc.decode(stream, model, steps=steps, gamma=0.8, seed=5, threads=1)
    b = pycdc.decode(stream, model, steps=steps, gamma=0.8, seed=5, threads=1)
    assert np.array_equal(a, b), "the same seed must give the same image"


def test_reusable_context(model, rgb, steps):
    ctx = pycdc.Context(threads=1, steps=steps, gamma=0.0)
    first = ctx.encode(rgb, model)
    for _ in range(3):
        assert ctx.encode(rgb, model) == first
        assert ctx.decode(first, model).shape == rgb.shape


# --- progress and cancellation ------------------------------------------------------


def test_progress_reports_stages(model, rgb, steps):
    seen = []
    data = pycdc.encode(rgb, model, threads=1, progress=seen.append)
    enc_stages = [p.stage for p in seen]
    assert "analysis" in enc_stages or "entropy_encode" in enc_stages
    assert all(isinstance(p, pycdc.Progress) for p in seen)
    seen.clear()
    pycdc.decode(data, model, steps=steps, gamma=0.0, threads=1, progress=seen.append)
    diffusion = [p for p in seen if p.stage == "diffusion"]
    assert diffusion, f"no diffusion progress in {[p.stage for p in seen]}"
    assert diffusion[-1].done == diffusion[-1].total
    for p in seen:
        assert 0 <= p.done <= p.total
    previews = [p.preview for p in diffusion if p.preview is not None]
    for preview in previews:
        assert preview.dtype == np.uint8 and preview.ndim == 3 and preview.shape[2] == 3


def test_progress_false_cancels(model, stream, steps):
    calls = []

    def stop(p):
        calls.append(p)
        return False

    ctx = pycdc.Context(threads=1, steps=steps)
    with pytest.raises(pycdc.CancelledError) as info:
        ctx.decode(stream, model, progress=stop)
    assert info.value.status == pycdc.Status.CANCELLED
    assert len(calls) == 1
    with pytest.raises(pycdc.CancelledError):
        pycdc.encode(make_image(16, 16), model, progress=stop)


class Boom(Exception):
    pass


def test_exception_in_callback_is_reraised(model, rgb, stream, steps):
    calls = []

    def explode(p):
        calls.append(p.stage)
        raise Boom("from the callback")

    ctx = pycdc.Context(threads=1, steps=steps, gamma=0.0)
    with pytest.raises(Boom, match="from the callback"):
        ctx.decode(stream, model, progress=explode)
    assert len(calls) == 1, "the call must stop at the first exception"
    with pytest.raises(Boom):
        ctx.encode(rgb, model, progress=explode)
    # The context still works afterwards, with its own (absent) callback.
    assert ctx.progress is None
    assert ctx.decode(stream, model).shape == rgb.shape


def test_cancel_from_another_thread(model, stream):
    ctx = pycdc.Context(threads=1, steps=max(1, model.default_steps))
    started = threading.Event()

    def progress(p):
        started.set()
        time.sleep(0.01)

    errors = []

    def run():
        try:
            ctx.decode(stream, model, progress=progress)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    assert started.wait(30)
    ctx.cancel()
    t.join(60)
    # Either cancelled, or it had already finished (a very fast model).
    assert not errors or isinstance(errors[0], pycdc.CancelledError), errors


def test_context_refuses_concurrent_use(model, stream):
    ctx = pycdc.Context(threads=1, steps=2)
    inner = []

    def reenter(p):
        if not inner:
            try:
                ctx.steps = 3
            except RuntimeError as e:
                inner.append(e)
            else:
                inner.append(None)

    ctx.decode(stream, model, progress=reenter)
    assert isinstance(inner[0], RuntimeError)


# --- corrupt streams -------------------------------------------------------------------


def test_truncated_streams(model, stream):
    for size in (0, 1, 4, 16, len(stream) // 2, len(stream) - 1):
        with pytest.raises(pycdc.StreamError):
            pycdc.decode(stream[:size], model, steps=1)


def test_corrupt_header(model, stream):
    bad = bytearray(stream)
    bad[0] ^= 0xFF
    with pytest.raises(pycdc.CorruptStreamError) as info:
        pycdc.decode(bytes(bad), model, steps=1)
    assert info.value.message
    with pytest.raises(pycdc.CorruptStreamError):
        pycdc.info(bytes(bad))


def test_random_corruption_never_crashes(model, stream):
    rng = np.random.default_rng(7)
    info = pycdc.info(stream)
    header = info["header_size"]
    outcomes = {"error": 0, "decoded": 0}
    for _ in range(12):
        bad = bytearray(stream)
        for pos in rng.integers(0, len(bad), size=3):
            bad[pos] ^= int(rng.integers(1, 256))
        try:
            out = pycdc.decode(bytes(bad), model, steps=1, threads=1)
        except pycdc.CdcError as e:
            assert e.message
            outcomes["error"] += 1
        else:
            assert out.shape[:2] == (info["height"], info["width"])
            outcomes["decoded"] += 1
    # A flipped header byte is always caught.
    bad = bytearray(stream)
    bad[header - 1] ^= 0x55
    with pytest.raises(pycdc.CdcError):
        pycdc.decode(bytes(bad), model, steps=1)


def test_model_mismatch(model, stream, tmp_path):
    others = [pycdc.Model(n) for n in pycdc.models()]
    others = [m for m in others if m.id != model.id]
    if not others:
        # Make a second model: the reference checkpoint with one weight changed.
        from conftest import GOLDEN_CHECKPOINT

        torch = pytest.importorskip("torch")
        if not os.path.isfile(GOLDEN_CHECKPOINT):
            pytest.skip("needs a second model (built-in, or from the golden checkpoint)")
        ckpt = torch.load(GOLDEN_CHECKPOINT, map_location="cpu")
        key = next(k for k, v in ckpt["ema"].items()
                   if k.startswith("ema_model.denoise_fn.") and k.endswith(".weight"))
        ckpt["ema"][key] = ckpt["ema"][key] + 0.5
        torch.save(ckpt, tmp_path / "other.pt")
        pycdc.convert_checkpoint(tmp_path / "other.pt", tmp_path / "other.cdcm")
        others = [pycdc.Model(tmp_path / "other.cdcm")]
    assert others[0].id != model.id
    with pytest.raises(pycdc.ModelMismatchError) as info:
        pycdc.decode(stream, others[0], steps=1)
    assert info.value.status == pycdc.Status.MODEL_MISMATCH and info.value.message


def test_max_pixels(model, stream):
    with pytest.raises(pycdc.LimitExceededError):
        pycdc.decode(stream, model, max_pixels=100)
    with pytest.raises(pycdc.LimitExceededError):
        pycdc.encode(make_image(20, 20), model, max_pixels=100)


# --- threads and memory -------------------------------------------------------------------


def test_two_threads_in_parallel(model, steps):
    images = [make_image(64, 64, 3, seed=s) for s in (10, 11)]

    def job(img):
        data = pycdc.encode(img, model, threads=1)
        return data, pycdc.decode(data, model, threads=1, steps=steps, gamma=0.0)

    job(images[0])  # warm up
    t0 = time.perf_counter()
    serial = [job(img) for img in images]
    t_serial = time.perf_counter() - t0

    results = [None, None]

    def worker(i):
        results[i] = job(images[i])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_parallel = time.perf_counter() - t0

    for (d1, o1), (d2, o2) in zip(serial, results):
        assert d1 == d2
        assert np.array_equal(o1, o2)
    print(f"\n  2 jobs (encode+decode 64x64, threads=1 each): serial {t_serial:.3f}s, "
          f"2 Python threads {t_parallel:.3f}s, speed-up {t_serial / t_parallel:.2f}x")


def test_gil_is_released_while_decoding(model):
    # If the GIL were held during cdc_decode, this thread could not run at all
    # until the decode ends: the longest pause of the loop below would be the
    # whole decode. Released, pauses stay near the interpreter's switch interval.
    img = make_image(80, 80, 3, seed=8)
    data = pycdc.encode(img, model, threads=1)
    t0 = time.perf_counter()
    pycdc.decode(data, model, threads=1, steps=16, gamma=0.0)
    full = time.perf_counter() - t0
    if full < 0.3:
        pytest.skip(f"decoding is too fast ({full:.2f}s) to measure")
    done = threading.Event()

    def run():
        pycdc.decode(data, model, threads=1, steps=16, gamma=0.0)
        done.set()

    worker = threading.Thread(target=run)
    worker.start()
    last = start = time.perf_counter()
    longest = 0.0
    while not done.is_set():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
        time.sleep(0.002)  # needs the GIL back to return; leaves the CPU to the decode
    worker.join()
    took = time.perf_counter() - start
    print(f"\n  decode {took:.2f}s in a thread; longest pause of the main thread {longest * 1000:.0f} ms")
    assert longest < 0.5 * took


def _rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_no_memory_growth_over_1000_calls(model, stream):
    img = make_image(8, 8, 3, seed=4)
    ctx = pycdc.Context(threads=1, steps=1, gamma=0.0)

    # 1000 encode calls of a tiny image when the model is fast enough, else 1000
    # info() calls plus as many encodes as fit in ~10 s.
    t0 = time.perf_counter()
    for _ in range(20):
        ctx.encode(img, model)
        pycdc.info(stream)
    per_call = (time.perf_counter() - t0) / 20
    encodes = 1000 if per_call * 1000 < 15 else max(50, int(10 / per_call))

    def work(n_encode, n_info):
        for i in range(max(n_encode, n_info)):
            if i < n_encode:
                ctx.encode(img, model)
            if i < n_info:
                pycdc.info(stream)

    work(min(100, encodes), 200)
    before = _rss_kib()
    work(encodes, 1000)
    growth = _rss_kib() - before
    print(f"\n  RSS growth over {encodes} encodes + 1000 info(): {growth} KiB")
    assert growth < 8192, f"RSS grew by {growth} KiB"


def test_ctrl_c_cancels_a_long_call(model):
    import signal

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    img = make_image(80, 80, 3, seed=6)
    data = pycdc.encode(img, model, threads=1)
    ctx = pycdc.Context(threads=1, steps=16, gamma=0.0)
    t0 = time.perf_counter()
    ctx.decode(data, model)
    full = time.perf_counter() - t0
    if full < 0.3:
        pytest.skip(f"decoding is too fast ({full:.2f}s) to interrupt reliably")
    timer = threading.Timer(full / 4, os.kill, args=(os.getpid(), signal.SIGINT))
    finished = False
    t0 = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            ctx.decode(data, model)
            finished = True
            time.sleep(full)  # the signal may still come, if the machine is slow
    finally:
        timer.cancel()
    assert not finished, "Ctrl-C did not stop the decode"
    assert ctx.decode(data, model).shape == img.shape  # the context still works


def test_thread_count_reproducibility(model):
    """Same image -> same stream, and same stream -> same pixels, whatever the
    thread count (docs/limits.md, "Reproducibility")."""
    img = make_image(256, 320, 3, seed=7)
    streams = [pycdc.encode(img, model, threads=t) for t in (1, 2)]
    assert streams[0] == streams[1]
    for gamma, seed in ((0.0, 0), (0.8, 3)):
        a, b = (pycdc.decode(streams[0], model, steps=2, gamma=gamma, seed=seed, threads=t)
                for t in (1, 2))
        assert np.array_equal(a, b)


def test_convert_float16_weights(tmp_path):
    from conftest import GOLDEN_CHECKPOINT

    if not os.path.isfile(GOLDEN_CHECKPOINT):
        pytest.skip("needs the golden checkpoint")
    full, half = tmp_path / "full.cdcm", tmp_path / "half.cdcm"
    pycdc.convert_checkpoint(GOLDEN_CHECKPOINT, full)
    pycdc.convert_checkpoint(full, half, weights="f16")
    assert os.path.getsize(half) < 0.6 * os.path.getsize(full)
    with open(half, "rb") as f:
        assert f.read(12)[8] == 2  # model format version 2
    a, b = pycdc.Model(full), pycdc.Model(half)
    assert a.id != b.id
    image = make_image(64, 96)
    out_a = pycdc.decode(pycdc.encode(image, a), a, steps=2)
    out_b = pycdc.decode(pycdc.encode(image, b), b, steps=2)
    mse = np.mean((out_a.astype(np.float64) - out_b.astype(np.float64)) ** 2)
    assert mse == 0 or 10 * np.log10(255 ** 2 / mse) > 35
    with pytest.raises(ValueError):
        pycdc.convert_checkpoint(full, tmp_path / "x.cdcm", weights="f8")
