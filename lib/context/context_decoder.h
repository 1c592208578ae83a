// The context decoder (reference: context_fn.dec): y_hat -> multi-scale
// context features for the U-Net. Stage i: ResnetBlock then Upsample
// (parameters "<i>.0.*", "<i>.1.conv.*"; "<i>.2.conv.*" for epsilon-param's
// BigCompressor, whose slot 1 is a parameterless Identity); the last stage keeps its channels in
// the ResnetBlock and upsamples to out_channels. The features are returned
// finest first: [H: out_channels, H/2: d, H/4: 2d, H/8: 3d] for the paper.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "nn/layers.h"

namespace cdc {

class ContextDecoderImpl : public torch::nn::Module {
 public:
  // widths: the latent's channels, then each stage's output channels (the
  // last is the finest feature map's); identity_slot: the epsilon-param layout.
  ContextDecoderImpl(const std::vector<int64_t>& widths, bool identity_slot);
  std::vector<torch::Tensor> forward(torch::Tensor y_hat);

 private:
  std::vector<nn::ResnetBlock> resnets_;
  std::vector<nn::Upsample> ups_;
};
TORCH_MODULE(ContextDecoder);

}  // namespace cdc
