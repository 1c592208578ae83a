#include "hyperprior/hyper_transforms.h"

namespace cdc {

namespace F = torch::nn::functional;

namespace {
torch::Tensor leaky(const torch::Tensor& x) {
  return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2));
}
}  // namespace

HyperAnalysisImpl::HyperAnalysisImpl(int64_t latent_channels, const std::vector<int64_t>& widths) {
  int64_t dim_in = latent_channels;
  for (size_t i = 0; i < widths.size(); ++i) {
    const int64_t dim_out = widths[i];
    auto opts = i == 0 ? torch::nn::Conv2dOptions(dim_in, dim_out, 3).stride(1).padding(1)
                       : torch::nn::Conv2dOptions(dim_in, dim_out, 5).stride(2).padding(2);
    convs_.emplace_back(opts);
    auto stage = std::make_shared<torch::nn::ModuleListImpl>();
    stage->push_back(convs_.back());
    register_module(std::to_string(i), stage);
    dim_in = dim_out;
  }
}

torch::Tensor HyperAnalysisImpl::forward(torch::Tensor y) {
  for (size_t i = 0; i < convs_.size(); ++i) {
    y = convs_[i]->forward(y);
    if (i + 1 < convs_.size()) y = leaky(y);
  }
  return y;
}

HyperSynthesisImpl::HyperSynthesisImpl(int64_t latent_channels,
                                       const std::vector<int64_t>& widths) {
  // Channels: reversed([2 * latent, widths...]).
  std::vector<int64_t> dims{2 * latent_channels};
  dims.insert(dims.end(), widths.begin(), widths.end());
  std::reverse(dims.begin(), dims.end());
  const size_t n = dims.size() - 1;
  for (size_t i = 0; i < n; ++i) {
    auto stage = std::make_shared<torch::nn::ModuleListImpl>();
    if (i + 1 < n) {
      deconvs_.emplace_back(torch::nn::ConvTranspose2dOptions(dims[i], dims[i + 1], 5)
                                .stride(2)
                                .padding(2)
                                .output_padding(1));
      stage->push_back(deconvs_.back());
    } else {
      last_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(dims[i], dims[i + 1], 3).padding(1));
      stage->push_back(last_);
    }
    register_module(std::to_string(i), stage);
  }
}

torch::Tensor HyperSynthesisImpl::forward(torch::Tensor z) {
  for (auto& d : deconvs_) z = leaky(d->forward(z));
  return last_->forward(z);
}

std::vector<torch::Tensor> HyperSynthesisImpl::double_weights() const {
  std::vector<torch::Tensor> w;
  for (const auto& d : deconvs_) {
    w.push_back(d->weight.detach().to(torch::kFloat64).contiguous());
    w.push_back(d->bias.detach().to(torch::kFloat64).contiguous());
  }
  w.push_back(last_->weight.detach().to(torch::kFloat64).contiguous());
  w.push_back(last_->bias.detach().to(torch::kFloat64).contiguous());
  return w;
}

torch::Tensor HyperSynthesisImpl::forward_double(torch::Tensor z,
                                                 const std::vector<torch::Tensor>& w) const {
  z = z.to(torch::kFloat64).contiguous();
  size_t k = 0;
  for (size_t i = 0; i < deconvs_.size(); ++i, k += 2) {
    z = torch::conv_transpose2d(z, w[k], w[k + 1], /*stride=*/2, /*padding=*/2,
                                /*output_padding=*/1);
    z = leaky(z);
  }
  return torch::conv2d(z, w[k], w[k + 1], /*stride=*/1, /*padding=*/1);
}

std::pair<torch::Tensor, torch::Tensor> split_mean_scale(const torch::Tensor& out) {
  auto parts = out.chunk(2, 1);
  return {parts[0], parts[1].clamp_min(entropy::kScaleMin)};
}

}  // namespace cdc
