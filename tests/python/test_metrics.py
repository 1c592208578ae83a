"""pycdc.metrics: bpp, PSNR, (MS-)SSIM and Bjontegaard deltas."""

import math

import numpy as np
import pytest

from pycdc import metrics
from conftest import make_image


def test_bpp():
    assert metrics.bpp(1000, (100, 80)) == pytest.approx(1.0)
    assert metrics.bpp(b"x" * 1000, np.zeros((100, 80, 3))) == pytest.approx(1.0)
    assert metrics.bpp(500, 4000) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        metrics.bpp(10, (0, 5))


def test_psnr():
    a = np.zeros((10, 10, 3), np.uint8)
    b = a.copy()
    assert metrics.psnr(a, b) == math.inf
    b[...] = 10
    assert metrics.psnr(a, b) == pytest.approx(20 * math.log10(255 / 10))
    assert metrics.mse(a, b) == pytest.approx(100.0)
    with pytest.raises(ValueError):
        metrics.psnr(a, b[:5])


def _reference_ssim_terms(a, b, k1=0.01, k2=0.03, L=255.0):
    """SSIM terms through scipy.ndimage (an independent filtering path)."""
    ndimage = pytest.importorskip("scipy.ndimage")
    r = 5  # 11 taps

    def filt(x):
        y = ndimage.gaussian_filter(x, 1.5, truncate=r / 1.5, mode="constant")
        return y[r:-r, r:-r]

    mu_a, mu_b = filt(a), filt(b)
    va = filt(a * a) - mu_a**2
    vb = filt(b * b) - mu_b**2
    cov = filt(a * b) - mu_a * mu_b
    c1, c2 = (k1 * L) ** 2, (k2 * L) ** 2
    cs = (2 * cov + c2) / (va + vb + c2)
    lum = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
    return float(np.mean(lum * cs)), float(np.mean(cs))


def test_ssim_matches_independent_filtering():
    a = make_image(64, 72, None, seed=1).astype(np.float64)
    rng = np.random.default_rng(0)
    b = np.clip(a + rng.normal(0, 12, a.shape), 0, 255)
    ref, _ = _reference_ssim_terms(a, b)
    assert metrics.ssim(a, b) == pytest.approx(ref, rel=1e-9)


def _half(x):
    """imfilter(x, ones(2)/4, 'symmetric') then x(1:2:end, 1:2:end), in MATLAB terms."""
    ndimage = pytest.importorskip("scipy.ndimage")
    # origin -1 puts the 2x2 window on (i, i+1); 'nearest' at the far edge is its mirror.
    y = ndimage.uniform_filter(x, size=2, mode="nearest", origin=(-1, -1))
    return y[0::2, 0::2]


def test_ms_ssim_matches_independent_computation():
    a = make_image(161, 203, None, seed=2).astype(np.float64)
    rng = np.random.default_rng(1)
    b = np.clip(a + rng.normal(0, 15, a.shape), 0, 255)
    value = 1.0
    x, y = a, b
    for level, w in enumerate(metrics.MS_SSIM_WEIGHTS):
        s, cs = _reference_ssim_terms(x, y)
        value *= (s if level == 4 else cs) ** w
        x = _half(x)
        y = _half(y)
    assert metrics.ms_ssim(a, b) == pytest.approx(value, rel=1e-9)


def test_ms_ssim_properties():
    a = make_image(170, 180, 3, seed=3)
    assert metrics.ms_ssim(a, a) == pytest.approx(1.0)
    rng = np.random.default_rng(2)
    values = []
    for sigma in (2, 8, 25):
        b = np.clip(a + rng.normal(0, sigma, a.shape), 0, 255).astype(np.uint8)
        values.append(metrics.ms_ssim(a, b))
    assert 1.0 > values[0] > values[1] > values[2] > 0.0
    # Channels are averaged: the same plane three times gives the gray value.
    g = a[..., 0]
    h = np.clip(g.astype(int) + 9, 0, 255).astype(np.uint8)
    assert metrics.ms_ssim(np.dstack([g] * 3), np.dstack([h] * 3)) == pytest.approx(
        metrics.ms_ssim(g, h))
    with pytest.raises(ValueError, match="161"):
        metrics.ms_ssim(a[:100], a[:100])


def _curve(rates, psnrs):
    return np.asarray(rates, float), np.asarray(psnrs, float)


@pytest.mark.parametrize("method", ["pchip", "cubic"])
def test_bd_rate_of_scaled_curve(method):
    r, q = _curve([0.1, 0.2, 0.4, 0.8, 1.6], [28.0, 30.5, 33.0, 35.2, 37.0])
    assert metrics.bd_rate(r, q, r, q, method=method) == pytest.approx(0.0, abs=1e-9)
    # The same quality at 10 % fewer bits everywhere: -10 %.
    assert metrics.bd_rate(r, q, 0.9 * r, q, method=method) == pytest.approx(-10.0, abs=1e-9)
    assert metrics.bd_rate(r, q, 1.25 * r, q, method=method) == pytest.approx(25.0, abs=1e-9)
    # A curve 1 dB better everywhere: BD-PSNR +1 dB.
    assert metrics.bd_psnr(r, q, r, q + 1.0, method=method) == pytest.approx(1.0, abs=1e-9)


def test_bd_rate_pchip_matches_scipy():
    interpolate = pytest.importorskip("scipy.interpolate")
    ra, qa = _curve([0.12, 0.25, 0.5, 0.9, 1.7], [27.1, 29.9, 32.8, 35.0, 37.4])
    rt, qt = _curve([0.1, 0.22, 0.41, 0.85], [27.8, 30.9, 33.1, 36.2])
    lo, hi = max(qa.min(), qt.min()), min(qa.max(), qt.max())
    ia = interpolate.PchipInterpolator(qa, np.log(ra)).integrate(lo, hi)
    it = interpolate.PchipInterpolator(qt, np.log(rt)).integrate(lo, hi)
    expected = (math.exp((it - ia) / (hi - lo)) - 1) * 100
    assert metrics.bd_rate(ra, qa, rt, qt) == pytest.approx(expected, rel=1e-9)


def test_bd_rate_cubic_matches_polyfit():
    ra, qa = _curve([0.12, 0.25, 0.5, 0.9], [27.1, 29.9, 32.8, 35.0])
    rt, qt = _curve([0.1, 0.22, 0.41, 0.85], [27.8, 30.9, 33.1, 36.2])
    lo, hi = max(qa.min(), qt.min()), min(qa.max(), qt.max())
    pa = np.polyint(np.polyfit(qa, np.log(ra), 3))
    pt = np.polyint(np.polyfit(qt, np.log(rt), 3))
    avg = ((np.polyval(pt, hi) - np.polyval(pt, lo)) - (np.polyval(pa, hi) - np.polyval(pa, lo))) / (hi - lo)
    assert metrics.bd_rate(ra, qa, rt, qt, method="cubic") == pytest.approx(
        (math.exp(avg) - 1) * 100, rel=1e-9)


def test_bd_rate_degenerate_cases():
    r, q = _curve([0.1, 0.2], [30.0, 32.0])
    assert math.isnan(metrics.bd_rate(r, q, [0.5], [31.0]))  # one point
    assert math.isnan(metrics.bd_rate(r, q, [0.1, 0.2], [40.0, 42.0]))  # no overlap
    with pytest.raises(ValueError):
        metrics.bd_rate(r, q, r, q, method="linear")
    # Unsorted input and a non-finite point are handled.
    assert metrics.bd_rate([0.4, 0.1, 0.2, np.nan], [33, 28, 30, 31], [0.36, 0.09, 0.18],
                           [33, 28, 30]) == pytest.approx(-10.0, abs=1e-9)
