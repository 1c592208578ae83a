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

void gemm_one_thread(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                     int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  OneThread one;
  const dnnl_status_t s = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a,
                                     lda, b, ldb, 0.0f, c, ldc);
  if (s != dnnl_success) fail(CDC_STATUS_INTERNAL_ERROR, "oneDNN sgemm failed ({})", int(s));
}

LinearAttentionBlock::LinearAttentionBlock(const FloatTensor& norm_g, const FloatTensor& norm_b,
                                           const FloatTensor& to_qkv,
                                           const FloatTensor& to_out_weight,
                                           const FloatTensor& to_out_bias)
    : c_(to_out_weight.size(0)),
      g_(norm_g.reshape({norm_g.numel()})),
      b_(norm_b.reshape({norm_b.numel()})),
      qkv_(to_qkv.reshape({to_qkv.size(0), to_qkv.numel() / to_qkv.size(0)})),
      out_(to_out_weight, to_out_bias, 1, 0) {
  if (qkv_.size(0) != 3 * c_ || qkv_.size(1) != c_ || g_.numel() != c_ || b_.numel() != c_)
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::LinearAttentionBlock: inconsistent weights");
}

void LinearAttentionBlock::run(const Activation& x, BufferPool& pool) const {
  const int64_t c = c_, c2 = 2 * c_;
  Activation normed = Activation::make(pool, x.n, x.h, x.w, c);
  layer_norm(x, normed, g_.data(), b_.data(), 1e-5f);
  const float* wq = qkv_.data();
  const float* wkv = wq + c * c;  // rows C..3C: K, then V
  const float scale = 1.0f / std::sqrt(static_cast<float>(c));
  const int64_t positions = x.h * x.w;
  const int64_t chunks = (positions + kChunk - 1) / kChunk;
  std::vector<float> max_part(chunks * c), sum_part(chunks * c), ctx_part(chunks * c * c);
  std::vector<float> ctx(c * c), sum(c), max(c);
  for (int64_t i = 0; i < x.n; ++i) {
    ProfileScope profile("attention_core", x);
    float* rows = normed.data() + i * positions * c;
    // Per chunk of positions: its K and V, the column maxima of K, the sums
    // of exp(K - max) and exp(K - max)^T V (a softmax computed piecewise:
    // no projection of the whole image is ever held).
    parallel_chunks(positions, kChunk, [&](int64_t idx, int64_t begin, int64_t end) {
      const int64_t len = end - begin;
      std::vector<float> kv(len * c2);
      gemm_one_thread(false, true, len, c2, c, rows + begin * c, c, wkv, c, kv.data(), c2);
      column_max(kv.data(), len, c, c2, max_part.data() + idx * c);
      exp_columns(kv.data(), len, c, c2, max_part.data() + idx * c, sum_part.data() + idx * c);
      gemm_one_thread(true, false, c, c, len, kv.data(), c2, kv.data() + c, c2,
                      ctx_part.data() + idx * c * c, c);
    });
    // Combined in chunk order, each chunk rescaled from its own maximum to
    // the global one; the softmax's division and the query scale are applied
    // to the c x c context.
    for (int64_t j = 0; j < c; ++j) {
      float m = -INFINITY;
      for (int64_t p = 0; p < chunks; ++p) m = std::max(m, max_part[p * c + j]);
      max[j] = m;
    }
    std::fill(ctx.begin(), ctx.end(), 0.0f);
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (int64_t p = 0; p < chunks; ++p)
      for (int64_t j = 0; j < c; ++j) {
        const float f = std::exp(max_part[p * c + j] - max[j]);
        sum[j] += sum_part[p * c + j] * f;
        const float* part = ctx_part.data() + (p * c + j) * c;
        for (int64_t e = 0; e < c; ++e) ctx[j * c + e] += part[e] * f;
      }
    for (int64_t j = 0; j < c; ++j) {
      const float f = scale / sum[j];
      for (int64_t e = 0; e < c; ++e) ctx[j * c + e] *= f;
    }
    // Per chunk: Q of its rows, then Q ctx written over those rows.
    parallel_chunks(positions, kChunk, [&](int64_t, int64_t begin, int64_t end) {
      const int64_t len = end - begin;
      std::vector<float> q(len * c);
      gemm_one_thread(false, true, len, c, c, rows + begin * c, c, wq, c, q.data(), c);
      gemm_one_thread(false, false, len, c, c, q.data(), c, ctx.data(), c, rows + begin * c, c);
    });
  }
  out_.run(normed, x, pool, /*accumulate=*/true);
}

void LinearAttentionBlock::plan_jobs(int64_t n, int64_t h, int64_t w, PlanJobs& jobs) const {
  const Convolution* out = &out_;
  jobs.push_back([=] { out->prepare(n, h, w, /*accumulate=*/true); });
}

}  // namespace cdc::onednn
