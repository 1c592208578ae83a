// Hyper analysis (context_fn.hyper_enc: y -> z) and hyper synthesis
// (context_fn.hyper_dec: z_hat -> mean, scale of y).
//   hyper_enc: Conv3x3 s1 + LeakyReLU(0.2), then Conv5x5 s2 (+ LeakyReLU but
//              after the last), parameters "<i>.0.*".
//   hyper_dec: ConvTranspose5x5 s2 (output_padding 1) + LeakyReLU(0.2), ...,
//              Conv3x3 s1 last, parameters "<i>.0.*"; the output's first half
//              of channels is the mean, the second the scale (>= 0.1).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "entropy/cdf.h"

namespace cdc {

class HyperAnalysisImpl : public torch::nn::Module {
 public:
  // latent_channels: y's channels; widths: each layer's output channels
  // (the last is z's).
  HyperAnalysisImpl(int64_t latent_channels, const std::vector<int64_t>& widths);
  torch::Tensor forward(torch::Tensor y);

 private:
  std::vector<torch::nn::Conv2d> convs_;
};
TORCH_MODULE(HyperAnalysis);

class HyperSynthesisImpl : public torch::nn::Module {
 public:
  // The mirror of HyperAnalysis(latent_channels, widths): from z's channels
  // (widths.back()) up to 2 * latent_channels (mean and scale).
  HyperSynthesisImpl(int64_t latent_channels, const std::vector<int64_t>& widths);
  // Returns the raw output (1 x 2C x h x w); split with split_mean_scale().
  torch::Tensor forward(torch::Tensor z_hat);

  // The same computation in float64 with the given weights (cast copies of
  // this module's parameters, see double_weights()).
  torch::Tensor forward_double(torch::Tensor z_hat, const std::vector<torch::Tensor>& weights) const;
  // (weight, bias) of every layer, in order, as float64.
  std::vector<torch::Tensor> double_weights() const;

 private:
  std::vector<torch::nn::ConvTranspose2d> deconvs_;
  torch::nn::Conv2d last_{nullptr};
};
TORCH_MODULE(HyperSynthesis);

// Splits the hyper synthesis output into mean and scale (clamped at the
// scale floor entropy::kScaleMin, the lowest scale the coder has a table for).
std::pair<torch::Tensor, torch::Tensor> split_mean_scale(const torch::Tensor& out);

}  // namespace cdc
