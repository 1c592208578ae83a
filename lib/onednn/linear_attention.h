// The U-Net's attention block, Residual(PreNorm(LinearAttention)), on NHWC
// activations: x += to_out(attention(LayerNorm(x))), where per image, with Q,
// K, V the n x C projections of the normalized rows, K is softmaxed over the
// positions and the result is Q (K^T V) / sqrt(C).
//
// The softmax and K^T V run over fixed chunks of rows whose partial sums are
// combined in chunk order; every matrix product is computed by one thread per
// chunk. The result does not depend on the thread count.
#pragma once

#include <torch/torch.h>

#include "onednn/convolution.h"

namespace cdc::onednn {

class LinearAttentionBlock {
 public:
  // norm_g, norm_b: the LayerNorm's 1xCx1x1 parameters; to_qkv: 3C x C x 1 x 1
  // (no bias); to_out: C x C x 1 x 1 with bias.
  LinearAttentionBlock(const torch::Tensor& norm_g, const torch::Tensor& norm_b,
                       const torch::Tensor& to_qkv, const torch::Tensor& to_out_weight,
                       const torch::Tensor& to_out_bias);
  // x += attention(norm(x)), in place.
  void run(const Activation& x, BufferPool& pool) const;

 private:
  int64_t c_;
  torch::Tensor g_, b_;
  Convolution qkv_, out_;
};

// Row-major single-threaded C = A B (+ C when accumulate) for A: m x k (row
// stride lda, transposed when trans_a: then k x m), B: k x n (stride ldb),
// C: m x n (stride ldc). One thread whatever the caller's count: the order of
// the sums is fixed.
void gemm_one_thread(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                     const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

}  // namespace cdc::onednn
