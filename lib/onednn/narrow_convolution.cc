#include "onednn/narrow_convolution.h"

#include <utility>
#include <vector>

#include "common/error.h"

namespace cdc::onednn {

NarrowConvolution::NarrowConvolution(const FloatTensor& weight, const FloatTensor& bias)
    : out_(weight.size(0)), kernel_(weight.size(2)) {
  if (weight.dim() != 4 || weight.size(3) != kernel_ || kernel_ % 2 == 0 || bias.numel() != out_)
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::NarrowConvolution: expected an odd square kernel");
  // Channel (ky * K + kx) * O + o of the 1x1 product is tap (ky, kx) of output o.
  const int64_t in = weight.size(1), k2 = kernel_ * kernel_;
  std::vector<float> taps(static_cast<size_t>(k2 * out_ * in));
  for (int64_t t = 0; t < k2; ++t)
    for (int64_t o = 0; o < out_; ++o)
      for (int64_t i = 0; i < in; ++i)
        taps[(t * out_ + o) * in + i] = weight.data()[(o * in + i) * k2 + t];
  bias_ = bias;
  taps_ = std::make_unique<Convolution>(
      FloatTensor::from_values({k2 * out_, in, 1, 1}, std::move(taps)), FloatTensor(), 1, 0);
}

namespace {

constexpr int64_t kBandRows = 32;  // output rows per band

CDC_VECTOR_CLONES
void add_taps(const float* taps, int64_t w, int64_t channels, int64_t out, int64_t kernel,
              int64_t row, int64_t h, const float* bias, float* dst_row) {
  const int64_t half = kernel / 2;
  for (int64_t x = 0; x < w; ++x)
    for (int64_t o = 0; o < out; ++o) dst_row[x * out + o] = 0.0f;
  for (int64_t ky = 0; ky < kernel; ++ky) {
    const int64_t sy = row + ky - half;
    if (sy < 0 || sy >= h) continue;
    const float* src_row = taps + sy * w * channels;
    for (int64_t kx = 0; kx < kernel; ++kx) {
      const int64_t tap = (ky * kernel + kx) * out;
      const int64_t x0 = std::max<int64_t>(0, half - kx);
      const int64_t x1 = std::min<int64_t>(w, w + half - kx);
      for (int64_t x = x0; x < x1; ++x) {
        const float* s = src_row + (x + kx - half) * channels + tap;
        float* d = dst_row + x * out;
        for (int64_t o = 0; o < out; ++o) d[o] += s[o];
      }
    }
  }
  for (int64_t x = 0; x < w; ++x)
    for (int64_t o = 0; o < out; ++o) dst_row[x * out + o] += bias[o];
}

}  // namespace

void NarrowConvolution::run(const Activation& src, const Activation& dst, BufferPool& pool) const {
  if (dst.c != out_ || dst.n != src.n || dst.h != src.h || dst.w != src.w)
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::NarrowConvolution: shape mismatch");
  // In bands of output rows, so that the K*K*O tap channels are held for a
  // band (plus its K-1 rows of margin) only, not for the whole image.
  const int64_t half = kernel_ / 2, channels = kernel_ * kernel_ * out_;
  const int64_t row_floats = src.w * src.c;
  for (int64_t image = 0; image < src.n; ++image)
    for (int64_t y0 = 0; y0 < src.h; y0 += kBandRows) {
      const int64_t y1 = std::min(src.h, y0 + kBandRows);
      const int64_t r0 = std::max<int64_t>(0, y0 - half), r1 = std::min(src.h, y1 + half);
      Activation band;
      band.n = 1;
      band.h = r1 - r0;
      band.w = src.w;
      band.c = src.c;
      band.buffer = std::shared_ptr<float>(src.buffer, src.data() + (image * src.h + r0) * row_floats);
      const Activation taps = (*taps_)(band, pool);
      ProfileScope profile("tap_sums", taps);
      parallel_chunks(y1 - y0, 4, [&](int64_t, int64_t begin, int64_t end) {
        for (int64_t y = y0 + begin; y < y0 + end; ++y)
          add_taps(taps.data(), src.w, channels, out_, kernel_, y - r0, band.h,
                   bias_.data(), dst.data() + ((image * src.h + y) * src.w) * out_);
      });
    }
}

}  // namespace cdc::onednn
