"""Image quality and rate metrics for codec evaluation, in numpy.

- :func:`bpp`: bits per pixel of a compressed size.
- :func:`mse`, :func:`psnr`: peak signal-to-noise ratio (8-bit peak 255).
- :func:`ssim`, :func:`ms_ssim`: (multi-scale) structural similarity, the
  standard definition of Wang, Simoncelli & Bovik (2003): 5 scales, Gaussian
  window of 11 taps with sigma 1.5, K1 = 0.01, K2 = 0.03, weights
  (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), 2x2 averaging and subsampling
  between scales (odd edges mirrored, as the reference MATLAB code), 'valid'
  filtering, computed per channel and averaged.
- :func:`bd_rate`, :func:`bd_psnr`: Bjontegaard deltas between two RD curves,
  with the log-rate interpolated by a piecewise cubic (PCHIP, the default, as
  in the current VCEG/JVET tools) or by one cubic polynomial (the original
  VCEG-M33 method).

All functions take numpy arrays of shape HxW or HxWxC (any numeric dtype;
values on the 0..255 scale unless ``data_range`` says otherwise).
"""

import math

import numpy as np

__all__ = [
    "bpp",
    "mse",
    "psnr",
    "ssim",
    "ms_ssim",
    "MS_SSIM_WEIGHTS",
    "bd_rate",
    "bd_psnr",
]

#: Weights of the five MS-SSIM scales (Wang et al. 2003).
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def bpp(num_bytes, shape_or_pixels):
    """Bits per pixel: 8 * num_bytes / pixels.

    shape_or_pixels: the image's number of pixels, its shape (H, W[, C]) or
    the image array itself. num_bytes may be a bytes object.
    """
    if isinstance(num_bytes, (bytes, bytearray, memoryview)):
        num_bytes = len(num_bytes)
    if isinstance(shape_or_pixels, np.ndarray):
        shape_or_pixels = shape_or_pixels.shape
    if isinstance(shape_or_pixels, (tuple, list)):
        pixels = int(shape_or_pixels[0]) * int(shape_or_pixels[1])
    else:
        pixels = int(shape_or_pixels)
    if pixels <= 0:
        raise ValueError("the image has no pixels")
    return 8.0 * float(num_bytes) / pixels


def _pair(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"the images differ in shape: {a.shape} vs {b.shape}")
    if a.ndim not in (2, 3):
        raise ValueError(f"images must be HxW or HxWxC, not shape {a.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def mse(a, b):
    """Mean squared error over all pixels and channels."""
    a, b = _pair(a, b)
    return float(np.mean((a - b) ** 2))


def psnr(a, b, data_range=255.0):
    """PSNR in dB over all pixels and channels; inf for identical images."""
    err = mse(a, b)
    if err == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range * data_range / err)


def _gaussian_window(size=11, sigma=1.5):
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return g / g.sum()


def _filter_valid(x, w):
    """Separable 'valid' correlation of the 2-D planes x[..., H, W] with w (1-D)."""
    n = w.size
    h, wd = x.shape[-2], x.shape[-1]
    rows = sum(w[k] * x[..., k : h - n + 1 + k, :] for k in range(n))
    return sum(w[k] * rows[..., :, k : wd - n + 1 + k] for k in range(n))


def _ssim_maps(a, b, data_range, window, k1, k2):
    """Mean SSIM and mean contrast-structure term per plane; a, b: [P, H, W] float64."""
    c1 = (k1 * data_range) ** 2
    c2 = (k2 * data_range) ** 2
    mu_a = _filter_valid(a, window)
    mu_b = _filter_valid(b, window)
    aa = _filter_valid(a * a, window) - mu_a * mu_a
    bb = _filter_valid(b * b, window) - mu_b * mu_b
    ab = _filter_valid(a * b, window) - mu_a * mu_b
    cs_map = (2.0 * ab + c2) / (aa + bb + c2)
    lum_map = (2.0 * mu_a * mu_b + c1) / (mu_a * mu_a + mu_b * mu_b + c1)
    ssim = np.mean(lum_map * cs_map, axis=(-2, -1))
    cs = np.mean(cs_map, axis=(-2, -1))
    return ssim, cs


def _planes(a):
    """HxW or HxWxC -> [C, H, W]."""
    return a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)


def ssim(a, b, data_range=255.0, win_size=11, sigma=1.5, k1=0.01, k2=0.03):
    """Single-scale SSIM (Gaussian window, 'valid' filtering), averaged over channels."""
    a, b = _pair(a, b)
    pa, pb = _planes(a), _planes(b)
    if min(pa.shape[-2:]) < win_size:
        raise ValueError(f"SSIM needs images of at least {win_size}x{win_size} pixels")
    s, _ = _ssim_maps(pa, pb, data_range, _gaussian_window(win_size, sigma), k1, k2)
    return float(np.mean(s))


def _downsample2(x):
    """2x2 average and subsampling of [P, H, W], as the reference MATLAB code
    (imfilter with ones(2)/4, 'symmetric', then every other pixel): an odd
    last row/column is averaged with its mirror, i.e. kept; size ceil(N/2)."""
    if x.shape[-2] % 2:
        x = np.concatenate([x, x[..., -1:, :]], axis=-2)
    if x.shape[-1] % 2:
        x = np.concatenate([x, x[..., :, -1:]], axis=-1)
    return 0.25 * (x[..., 0::2, 0::2] + x[..., 1::2, 0::2] + x[..., 0::2, 1::2] + x[..., 1::2, 1::2])


def ms_ssim(a, b, data_range=255.0, weights=MS_SSIM_WEIGHTS, win_size=11, sigma=1.5,
            k1=0.01, k2=0.03):
    """Multi-scale SSIM (Wang et al. 2003), averaged over channels.

    The contrast-structure terms of scales 1..M-1 and the full SSIM of the
    coarsest scale M are raised to the weights and multiplied; negative
    terms are clipped to 0 (as common implementations do). With the standard
    5 scales both sides must be at least (win_size - 1) * 16 + 1 = 161
    pixels; smaller images raise ValueError.
    """
    a, b = _pair(a, b)
    weights = np.asarray(weights, dtype=np.float64)
    scales = weights.size
    min_side = (win_size - 1) * 2 ** (scales - 1) + 1  # ceil(N / 2**(scales-1)) >= win_size
    if min(a.shape[:2]) < min_side:
        raise ValueError(
            f"MS-SSIM with {scales} scales needs images of at least {min_side}x{min_side} "
            f"pixels, not {a.shape[1]}x{a.shape[0]}"
        )
    window = _gaussian_window(win_size, sigma)
    pa, pb = _planes(a), _planes(b)
    values = []
    for level in range(scales):
        s, cs = _ssim_maps(pa, pb, data_range, window, k1, k2)
        values.append(s if level == scales - 1 else cs)
        if level < scales - 1:
            pa, pb = _downsample2(pa), _downsample2(pb)
    values = np.maximum(np.stack(values), 0.0)  # [scales, planes]
    per_plane = np.prod(values ** weights[:, None], axis=0)
    return float(np.mean(per_plane))


# --- Bjontegaard deltas ------------------------------------------------------


def _rd_points(rate, quality):
    rate = np.asarray(rate, dtype=np.float64).ravel()
    quality = np.asarray(quality, dtype=np.float64).ravel()
    if rate.size != quality.size:
        raise ValueError("rate and quality must have the same length")
    keep = np.isfinite(rate) & np.isfinite(quality) & (rate > 0)
    rate, quality = rate[keep], quality[keep]
    order = np.argsort(quality, kind="stable")
    rate, quality = rate[order], quality[order]
    # Equal qualities: keep one point (the smallest rate).
    unique_q = np.unique(quality)
    if unique_q.size != quality.size:
        rate = np.array([rate[quality == q].min() for q in unique_q])
        quality = unique_q
    return np.log(rate), quality


def _pchip_slopes(x, y):
    """Fritsch-Carlson monotone slopes (as in PCHIP) at the knots."""
    h = np.diff(x)
    delta = np.diff(y) / h
    n = x.size
    d = np.zeros(n)
    if n == 2:
        d[:] = delta[0]
        return d
    for k in range(1, n - 1):
        if delta[k - 1] * delta[k] > 0:
            w1 = 2 * h[k] + h[k - 1]
            w2 = h[k] + 2 * h[k - 1]
            d[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k])
    # One-sided three-point ends, kept shape-preserving.
    def end(h0, h1, del0, del1):
        s = ((2 * h0 + h1) * del0 - h0 * del1) / (h0 + h1)
        if np.sign(s) != np.sign(del0):
            s = 0.0
        elif np.sign(del0) != np.sign(del1) and abs(s) > abs(3 * del0):
            s = 3 * del0
        return s

    d[0] = end(h[0], h[1], delta[0], delta[1])
    d[-1] = end(h[-1], h[-2], delta[-1], delta[-2])
    return d


def _pchip_integral(x, y, lo, hi):
    """Integral over [lo, hi] of the PCHIP interpolant through (x, y)."""
    d = _pchip_slopes(x, y)

    def integrate_piece(k, a, b):
        # Hermite cubic on [x_k, x_k+1], integrated from a to b (exactly).
        h = x[k + 1] - x[k]
        t0, t1 = (a - x[k]) / h, (b - x[k]) / h

        def antiderivative(t):
            h00 = t**4 / 2 - t**3 + t
            h10 = t**4 / 4 - 2 * t**3 / 3 + t**2 / 2
            h01 = -(t**4) / 2 + t**3
            h11 = t**4 / 4 - t**3 / 3
            return h * (h00 * y[k] + h10 * h * d[k] + h01 * y[k + 1] + h11 * h * d[k + 1])

        return antiderivative(t1) - antiderivative(t0)

    total = 0.0
    for k in range(x.size - 1):
        a, b = max(lo, x[k]), min(hi, x[k + 1])
        if b > a:
            total += integrate_piece(k, a, b)
    return total


def _poly_integral(x, y, lo, hi):
    degree = min(3, x.size - 1)
    p = np.polyint(np.polyfit(x, y, degree))
    return np.polyval(p, hi) - np.polyval(p, lo)


def _bd(x1, y1, x2, y2, method):
    lo = max(x1.min(), x2.min())
    hi = min(x1.max(), x2.max())
    if not hi > lo:
        return math.nan
    if method == "pchip":
        i1 = _pchip_integral(x1, y1, lo, hi)
        i2 = _pchip_integral(x2, y2, lo, hi)
    elif method in ("cubic", "polynomial", "poly"):
        i1 = _poly_integral(x1, y1, lo, hi)
        i2 = _poly_integral(x2, y2, lo, hi)
    else:
        raise ValueError(f"method must be 'pchip' or 'cubic', not {method!r}")
    return (i2 - i1) / (hi - lo)


def bd_rate(rate_anchor, quality_anchor, rate_test, quality_test, method="pchip"):
    """Bjontegaard delta rate of a test curve against an anchor, in percent.

    Negative values mean the test codec needs fewer bits for the same quality
    (PSNR, MS-SSIM in dB, ...), averaged over the quality range where the two
    curves overlap. The log-rate is interpolated as a function of the quality
    by a piecewise cubic ("pchip", needs 2 points per curve; the default) or by
    one cubic polynomial ("cubic", the original VCEG-M33 method; needs 4
    points per curve, fewer points give a lower degree). Returns nan when the
    curves do not overlap or have fewer than 2 distinct points.
    """
    x1r, q1 = _rd_points(rate_anchor, quality_anchor)
    x2r, q2 = _rd_points(rate_test, quality_test)
    if q1.size < 2 or q2.size < 2:
        return math.nan
    avg_log_diff = _bd(q1, x1r, q2, x2r, method)
    if math.isnan(avg_log_diff):
        return math.nan
    return (math.exp(avg_log_diff) - 1.0) * 100.0


def bd_psnr(rate_anchor, quality_anchor, rate_test, quality_test, method="pchip"):
    """Bjontegaard delta quality (e.g. dB of PSNR) of a test curve against an
    anchor, averaged over the log-rate range where they overlap; positive
    means the test codec is better."""
    x1r, q1 = _rd_points(rate_anchor, quality_anchor)
    x2r, q2 = _rd_points(rate_test, quality_test)
    if q1.size < 2 or q2.size < 2:
        return math.nan
    # Interpolate quality as a function of log-rate: sort by log-rate.
    o1, o2 = np.argsort(x1r), np.argsort(x2r)
    x1r, q1, x2r, q2 = x1r[o1], q1[o1], x2r[o2], q2[o2]
    if np.unique(x1r).size != x1r.size or np.unique(x2r).size != x2r.size:
        return math.nan
    return _bd(x1r, q1, x2r, q2, method)
