// The analysis transform (reference: context_fn.enc): image x (1x3xHxW in
// [-1, 1]) -> latent y (1 x 4d x H/16 x W/16 for the paper layout).
// Stage i: ResnetBlock(in, out, large filter at stage 0) then Downsample;
// parameters "<i>.0.*" and "<i>.1.conv.*" (x-param) or "<i>.2.conv.*"
// (epsilon-param's BigCompressor, whose slot 1 is a parameterless Identity).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "nn/layers.h"

namespace cdc {

class AnalysisTransformImpl : public torch::nn::Module {
 public:
  // in_channels: the image's (3); widths: the output channels of each stage
  // (the last is the latent's); identity_slot: the epsilon-param layout.
  AnalysisTransformImpl(int64_t in_channels, const std::vector<int64_t>& widths,
                        bool identity_slot);
  torch::Tensor forward(torch::Tensor x);

 private:
  std::vector<nn::ResnetBlock> resnets_;
  std::vector<nn::Downsample> downs_;
};
TORCH_MODULE(AnalysisTransform);

}  // namespace cdc
