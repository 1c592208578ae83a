#include "hyperprior/gaussian_conditional.h"

#include <algorithm>
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
  // One sequential sum in a fixed order: libtorch's parallel sum splits the
  // range by the thread count, and the estimate is written into every stream,
  // which must not depend on the number of threads.
  const torch::Tensor p = likelihood.to(torch::kFloat64).contiguous();
  const double* d = p.data_ptr<double>();
  double bits = 0.0;
  for (int64_t i = 0, n = p.numel(); i < n; ++i) bits -= std::log2(std::max(d[i], 1e-9));
  return bits;
}

}  // namespace cdc
