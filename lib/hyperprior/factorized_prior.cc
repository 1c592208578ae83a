#include "hyperprior/factorized_prior.h"

#include <cmath>

#include "common/error.h"

namespace cdc {

FactorizedPriorImpl::FactorizedPriorImpl(int64_t channels, std::vector<int64_t> filters)
    : channels_(channels) {
  std::vector<int64_t> dims{1};
  dims.insert(dims.end(), filters.begin(), filters.end());
  dims.push_back(1);
  auto affine = std::make_shared<torch::nn::ModuleListImpl>();
  auto a = std::make_shared<torch::nn::Module>();
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    auto layer = std::make_shared<torch::nn::Module>();
    weights_.push_back(
        layer->register_parameter("weight", torch::zeros({channels, 1, 1, dims[i], dims[i + 1]})));
    biases_.push_back(
        layer->register_parameter("bias", torch::zeros({channels, 1, 1, 1, dims[i + 1]})));
    affine->push_back(layer);
    if (i + 2 < dims.size())
      factors_.push_back(a->register_parameter(std::to_string(i),
                                               torch::zeros({channels, 1, 1, 1, dims[i + 1]})));
  }
  register_module("affine", affine);
  register_module("a", a);
  medians_param = register_parameter("_medians", torch::zeros({1, channels, 1, 1}));
}

torch::Tensor FactorizedPriorImpl::cdf_logit(const torch::Tensor& x_in) const {
  // (1, C, h, w) -> (C, 1, h, w, 1): one batch of scalars per channel.
  torch::Tensor x = x_in.transpose(0, 1).unsqueeze(-1);
  const size_t n = weights_.size();
  for (size_t i = 0; i < n; ++i) {
    x = torch::matmul(x, torch::softplus(weights_[i])) + biases_[i];
    if (i + 1 < n) x = x + torch::tanh(factors_[i]) * torch::tanh(x);
  }
  return x.squeeze(-1).transpose(0, 1);
}

torch::Tensor FactorizedPriorImpl::likelihood(const torch::Tensor& x) const {
  torch::Tensor lower = cdf_logit(x - 0.5);
  torch::Tensor upper = cdf_logit(x + 0.5);
  torch::Tensor sign = -torch::sign(lower + upper);
  torch::Tensor p = torch::abs(torch::sigmoid(upper * sign) - torch::sigmoid(lower * sign));
  return p.clamp_min(1e-9);
}

torch::Tensor FactorizedPriorImpl::median_loss() const {
  torch::Tensor x = medians_param.transpose(0, 1).unsqueeze(-1);
  const size_t n = weights_.size();
  for (size_t i = 0; i < n; ++i) {
    x = torch::matmul(x, torch::softplus(weights_[i].detach())) + biases_[i].detach();
    if (i + 1 < n) x = x + torch::tanh(factors_[i].detach()) * torch::tanh(x);
  }
  return x.abs().sum();
}

void FactorizedPriorImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  const double scale = std::pow(10.0, 1.0 / static_cast<double>(weights_.size()));
  for (size_t i = 0; i < weights_.size(); ++i) {
    const double width = static_cast<double>(weights_[i].size(-1));
    weights_[i].fill_(std::log(std::expm1(1.0 / scale / width)));
    biases_[i].uniform_(-0.5, 0.5);
  }
  for (auto& f : factors_) f.zero_();
  medians_param.zero_();
}

torch::Tensor FactorizedPriorImpl::medians() const {
  return medians_param.detach().reshape({channels_});
}

std::vector<double> FactorizedPriorImpl::cdf_logit_double(int channel,
                                                          const std::vector<double>& points) const {
  CDC_CHECK(channel >= 0 && channel < channels_);
  torch::NoGradGuard no_grad;
  // (N, 1) rows through per-channel (in x out) matrices.
  torch::Tensor x = torch::tensor(points, torch::kFloat64).reshape({-1, 1});
  const size_t n = weights_.size();
  for (size_t i = 0; i < n; ++i) {
    torch::Tensor w = weights_[i][channel][0][0].to(torch::kFloat64);  // in x out
    torch::Tensor b = biases_[i][channel][0][0].to(torch::kFloat64);   // 1 x out
    x = torch::matmul(x, torch::softplus(w)) + b;
    if (i + 1 < n)
      x = x + torch::tanh(factors_[i][channel][0][0].to(torch::kFloat64)) * torch::tanh(x);
  }
  x = x.reshape({-1}).contiguous();
  return std::vector<double>(x.data_ptr<double>(), x.data_ptr<double>() + x.numel());
}

}  // namespace cdc
