#include "onednn/row_ops.h"

#include <cmath>
#include <cstring>

#include "common/error.h"

namespace cdc::onednn {

namespace {

constexpr int64_t kRowChunk = 256;

CDC_VECTOR_CLONES
void norm_rows(const float* x, float* y, int64_t rows, int64_t c, const float* g, const float* b,
               float eps, bool relu, const float* add, const float* residual) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < c; ++j) sum += xr[j];
    const float mean = sum / static_cast<float>(c);
    float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
    for (int64_t j = 0; j < c; ++j) {
      const float d = xr[j] - mean;
      sq += d * d;
    }
    const float inv = 1.0f / std::sqrt(sq / static_cast<float>(c) + eps);
    const float* res = residual != nullptr ? residual + r * c : nullptr;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) {
      float v = (xr[j] - mean) * inv * g[j] + b[j];
      if (relu) v = v > 0.0f ? v : 0.0f;
      if (add != nullptr) v += add[j];
      if (res != nullptr) v += res[j];
      yr[j] = v;
    }
  }
}

}  // namespace

void layer_norm(const Activation& x, const Activation& y, const float* g, const float* b,
                float eps, const NormEpilogue& e) {
  if (x.n != y.n || x.h != y.h || x.w != y.w || x.c != y.c)
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::layer_norm: shape mismatch");
  ProfileScope profile("layer_norm", x);
  const int64_t per_image = x.h * x.w, c = x.c;
  parallel_chunks(x.rows(), kRowChunk, [&](int64_t, int64_t begin, int64_t end) {
    // A chunk may straddle two images: split it where the image changes.
    while (begin < end) {
      const int64_t image = begin / per_image;
      const int64_t stop = std::min(end, (image + 1) * per_image);
      norm_rows(x.data() + begin * c, y.data() + begin * c, stop - begin, c, g, b, eps, e.relu,
                e.add_per_image != nullptr ? e.add_per_image + image * c : nullptr,
                e.residual != nullptr ? e.residual + begin * c : nullptr);
      begin = stop;
    }
  });
}

Activation concat_channels(const Activation& a, const Activation& b, BufferPool& pool) {
  if (a.n != b.n || a.h != b.h || a.w != b.w)
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::concat_channels: shape mismatch");
  ProfileScope profile("concat", a);
  Activation out = Activation::make(pool, a.n, a.h, a.w, a.c + b.c);
  parallel_chunks(a.rows(), kRowChunk, [&](int64_t, int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      std::memcpy(out.data() + r * out.c, a.data() + r * a.c, sizeof(float) * a.c);
      std::memcpy(out.data() + r * out.c + a.c, b.data() + r * b.c, sizeof(float) * b.c);
    }
  });
  return out;
}

namespace {
CDC_VECTOR_CLONES
void add_rows(float* a, const float* b, int64_t count) {
#pragma omp simd
  for (int64_t i = 0; i < count; ++i) a[i] += b[i];
}
}  // namespace

void add_in_place(const Activation& a, const Activation& b) {
  if (a.numel() != b.numel()) fail(CDC_STATUS_INTERNAL_ERROR, "onednn::add_in_place: shape mismatch");
  parallel_chunks(a.rows(), kRowChunk, [&](int64_t, int64_t begin, int64_t end) {
    add_rows(a.data() + begin * a.c, b.data() + begin * a.c, (end - begin) * a.c);
  });
}

}  // namespace cdc::onednn
