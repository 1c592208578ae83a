// The U-Net's attention block, Residual(PreNorm(LinearAttention)), on NHWC
// activations: x += to_out(attention(LayerNorm(x))), where per image, with Q,
// K, V the n x C projections of the normalized rows, K is softmaxed over the
// positions and the result is Q (K^T V) / sqrt(C).
//
// Everything runs over fixed chunks of rows (positions): the projections,
// the softmax (each chunk relative to its own maximum, then rescaled) and
// K^T V, whose partial sums are combined in chunk order; every matrix product
// is computed by one thread per chunk. Only the normalized rows are held for
// the whole image, and the result does not depend on the thread count.
#pragma once

#include "onednn/convolution.h"

namespace cdc::onednn {

class LinearAttentionBlock {
 public:
  // norm_g, norm_b: the LayerNorm's 1xCx1x1 parameters; to_qkv: 3C x C x 1 x 1
  // (no bias); to_out: C x C x 1 x 1 with bias.
  LinearAttentionBlock(const FloatTensor& norm_g, const FloatTensor& norm_b,
                       const FloatTensor& to_qkv, const FloatTensor& to_out_weight,
                       const FloatTensor& to_out_bias);
  // x += attention(norm(x)), in place.
  void run(const Activation& x, BufferPool& pool) const;
  // Jobs that create the plans of run() for an n x h x w input.
  void plan_jobs(int64_t n, int64_t h, int64_t w, PlanJobs& jobs) const;

 private:
  int64_t c_;
  FloatTensor g_, b_;
  FloatTensor qkv_;  // 3C x C: Q, K, V rows
  Convolution out_;
};

// Row-major single-threaded C = op(A) op(B): op(A) m x k, op(B) k x n, C
// m x n with row strides lda, ldb, ldc (a transposed operand is stored the
// other way round). One thread whatever the caller's count: the order of the
// sums is fixed.
void gemm_one_thread(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                     int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc);

}  // namespace cdc::onednn
