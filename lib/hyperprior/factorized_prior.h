// The factorized ("flexible") prior of the hyper-latent (Balle et al. 2018,
// appendix 6.1), one univariate density per channel: a chain of per-channel
// affine maps 1 -> 3 -> 3 -> 3 -> 1 with weights softplus(W), each of the first
// three followed by x + tanh(a) * tanh(x). The output is the logit of the CDF.
// Parameters: _medians (1xCx1x1), affine.<i>.weight (Cx1x1xinxout),
// affine.<i>.bias (Cx1x1x1xout), a.<i> (Cx1x1x1xout).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace cdc {

class FactorizedPriorImpl : public torch::nn::Module {
 public:
  // filters: the inner widths (3, 3, 3 in the reference).
  explicit FactorizedPriorImpl(int64_t channels, std::vector<int64_t> filters = {3, 3, 3});

  // Logit of the CDF at x (1xCxhxw), float32, the reference's computation.
  torch::Tensor cdf_logit(const torch::Tensor& x) const;
  // Probability mass of [x - 0.5, x + 0.5], floored at 1e-9 (x = z_hat).
  torch::Tensor likelihood(const torch::Tensor& x) const;
  // Per-channel medians, shape C.
  torch::Tensor medians() const;

  // The auxiliary loss of training: sum over channels of |logit CDF(median)|,
  // zero when every median is its density's median. Its gradient reaches only
  // the medians (the density's parameters are detached).
  torch::Tensor median_loss() const;

  // The reference's initialisation: affine weights softplus^-1(1 / s / width)
  // with s = 10^(1 / layers), biases uniform in [-0.5, 0.5], factors and
  // medians zero. Deterministic under torch::manual_seed.
  void reset_parameters();

  // Logit of the CDF of one channel at the given points, in float64
  // (for building the entropy coder's tables).
  std::vector<double> cdf_logit_double(int channel, const std::vector<double>& points) const;

  int64_t channels() const { return channels_; }

  torch::Tensor medians_param;

 private:
  int64_t channels_;
  std::vector<torch::Tensor> weights_, biases_, factors_;
};
TORCH_MODULE(FactorizedPrior);

}  // namespace cdc
