#include "onednn/linear_attention.h"

#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "onednn/row_ops.h"

namespace cdc::onednn {

namespace {

constexpr int64_t kChunk = 1024;  // rows per partial sum of the softmax and K^T V

// exp(x) for x <= 0 (values below -87 give 0): Cody-Waite reduction to
// r in [-ln2/2, ln2/2] and a degree-6 polynomial, written so that the
// compiler vectorizes it (relative error about 1.2e-7). Adding 1.5 * 2^23
// rounds x / ln2 to the integer n, which then sits in the low mantissa bits.
inline float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float shifted = x * 1.44269504088896341f + 12582912.0f;
  const float n = shifted - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (__builtin_bit_cast(int32_t, shifted) - 0x4B400000 + 127) << 23;
  return e * __builtin_bit_cast(float, bits);
}

CDC_VECTOR_CLONES
void column_max(const float* k, int64_t rows, int64_t c, int64_t stride, float* max) {
  for (int64_t j = 0; j < c; ++j) max[j] = -INFINITY;
  for (int64_t r = 0; r < rows; ++r) {
    const float* kr = k + r * stride;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) max[j] = kr[j] > max[j] ? kr[j] : max[j];
  }
}

// k <- exp(k - max) in place; sum[j] = the column sums (in row order).
CDC_VECTOR_CLONES
void exp_columns(float* k, int64_t rows, int64_t c, int64_t stride, const float* max,
                 float* sum) {
  for (int64_t j = 0; j < c; ++j) sum[j] = 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    float* kr = k + r * stride;
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) {
      const float e = exp_nonpositive(kr[j] - max[j]);
      kr[j] = e;
      sum[j] += e;
    }
  }
}

// Keeps oneDNN's GEMM on the calling thread while it lives.
class OneThread {
 public:
  OneThread() : saved_(omp_in_parallel() ? 0 : omp_get_max_threads()) {
    if (saved_ > 1) omp_set_num_threads(1);
  }
  ~OneThread() {
    if (saved_ > 1) omp_set_num_threads(saved_);
  }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  int saved_;
};

}  // namespace

void gemm_one_thread(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                     const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  OneThread one;
  const dnnl_status_t s = dnnl_sgemm(trans_a ? 'T' : 'N', 'N', m, n, k, 1.0f, a, lda, b, ldb,
                                     accumulate ? 1.0f : 0.0f, c, ldc);
  if (s != dnnl_success) fail(CDC_STATUS_INTERNAL_ERROR, "oneDNN sgemm failed ({})", int(s));
}

LinearAttentionBlock::LinearAttentionBlock(const torch::Tensor& norm_g, const torch::Tensor& norm_b,
                                           const torch::Tensor& to_qkv,
                                           const torch::Tensor& to_out_weight,
                                           const torch::Tensor& to_out_bias)
    : c_(to_out_weight.size(0)),
      g_(norm_g.reshape({-1}).contiguous()),
      b_(norm_b.reshape({-1}).contiguous()),
      qkv_(to_qkv, torch::Tensor(), 1, 0),
      out_(to_out_weight, to_out_bias, 1, 0) {
  if (qkv_.out_channels() != 3 * c_ || qkv_.in_channels() != c_ || g_.numel() != c_)
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::LinearAttentionBlock: inconsistent weights");
}

void LinearAttentionBlock::run(const Activation& x, BufferPool& pool) const {
  const int64_t c = c_, c3 = 3 * c_;
  Activation normed = Activation::make(pool, x.n, x.h, x.w, c);
  layer_norm(x, normed, g_.data_ptr<float>(), b_.data_ptr<float>(), 1e-5f);
  Activation qkv = qkv_(normed, pool);
  const float scale = 1.0f / std::sqrt(static_cast<float>(c));
  const int64_t positions = x.h * x.w;
  const int64_t chunks = (positions + kChunk - 1) / kChunk;
  std::vector<float> max_part(chunks * c), sum_part(chunks * c), ctx_part(chunks * c * c);
  std::vector<float> max(c), ctx(c * c);
  for (int64_t i = 0; i < x.n; ++i) {
    ProfileScope profile("attention_core", x);
    float* base = qkv.data() + i * positions * c3;
    float* k = base + c;
    const float* v = base + 2 * c;
    parallel_chunks(positions, kChunk, [&](int64_t idx, int64_t begin, int64_t end) {
      column_max(k + begin * c3, end - begin, c, c3, max_part.data() + idx * c);
    });
    for (int64_t j = 0; j < c; ++j) {
      float m = -INFINITY;
      for (int64_t p = 0; p < chunks; ++p) m = std::max(m, max_part[p * c + j]);
      max[j] = m;
    }
    parallel_chunks(positions, kChunk, [&](int64_t idx, int64_t begin, int64_t end) {
      exp_columns(k + begin * c3, end - begin, c, c3, max.data(), sum_part.data() + idx * c);
      // The chunk's K^T V (c x c), while its rows are in cache.
      gemm_one_thread(true, c, c, end - begin, k + begin * c3, c3, v + begin * c3, c3,
                      ctx_part.data() + idx * c * c, c, false);
    });
    // Combined in chunk order; the softmax's division and the query scale
    // are applied to the c x c context.
    std::fill(ctx.begin(), ctx.end(), 0.0f);
    std::vector<float> sum(c, 0.0f);
    for (int64_t p = 0; p < chunks; ++p) {
      for (int64_t j = 0; j < c; ++j) sum[j] += sum_part[p * c + j];
      const float* part = ctx_part.data() + p * c * c;
      for (int64_t j = 0; j < c * c; ++j) ctx[j] += part[j];
    }
    for (int64_t j = 0; j < c; ++j) {
      const float f = scale / sum[j];
      for (int64_t e = 0; e < c; ++e) ctx[j * c + e] *= f;
    }
    // out = Q ctx, into the normed buffer (no longer needed).
    float* out = normed.data() + i * positions * c;
    const float* q = base;
    parallel_chunks(positions, kChunk, [&](int64_t, int64_t begin, int64_t end) {
      gemm_one_thread(false, end - begin, c, c, q + begin * c3, c3, ctx.data(), c,
                      out + begin * c, c, false);
    });
  }
  out_.run(normed, x, pool, /*accumulate=*/true);
}

}  // namespace cdc::onednn
