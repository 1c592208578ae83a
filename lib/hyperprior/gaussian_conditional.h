// The Gaussian conditional of the latent: y_hat ~ N(mean, scale) integrated
// over [y_hat - 0.5, y_hat + 0.5], as the reference computes it.
#pragma once

#include <torch/torch.h>

namespace cdc {

// Probability mass of [x - 0.5, x + 0.5] under N(mean, scale), floored at
// 1e-9, computed symmetrically from |x - mean| (float32, the reference's way).
torch::Tensor gaussian_likelihood(const torch::Tensor& x, const torch::Tensor& mean,
                                  const torch::Tensor& scale);

// Quantization at test time: round(x - offset) + offset (round half to even).
torch::Tensor quantize_with_offset(const torch::Tensor& x, const torch::Tensor& offset);

// The rate in bits of a latent: sum of -log2(likelihood), each likelihood
// floored at 1e-9 as the reference does (the estimate stored in streams),
// summed in a fixed order so that it does not depend on the thread count.
double rate_bits(const torch::Tensor& likelihood);

}  // namespace cdc
