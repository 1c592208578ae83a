#include "hyperprior/gaussian_conditional.h"

#include <cmath>

namespace cdc {

namespace {
// Standard normal CDF as 0.5 * erfc(-x / sqrt(2)).
torch::Tensor std_cdf(const torch::Tensor& x) {
  return 0.5 * torch::erfc(x * static_cast<float>(-std::pow(2.0, -0.5)));
}
}  // namespace

torch::Tensor gaussian_likelihood(const torch::Tensor& x, const torch::Tensor& mean,
                                  const torch::Tensor& scale) {
  torch::Tensor d = torch::abs(x - mean);
  torch::Tensor upper = std_cdf((0.5 - d) / scale);
  torch::Tensor lower = std_cdf((-0.5 - d) / scale);
  return (upper - lower).clamp_min(1e-9);
}

torch::Tensor quantize_with_offset(const torch::Tensor& x, const torch::Tensor& offset) {
  return torch::round(x - offset) + offset;
}

double rate_bits(const torch::Tensor& likelihood) {
  return -likelihood.to(torch::kFloat64).clamp_min(1e-9).log2().sum().item<double>();
}

}  // namespace cdc
