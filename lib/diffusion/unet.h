// The conditional U-Net X_theta(x, t, context) of the reference
// (denoise_fn), with linear attention at every level.
//   time_mlp: Linear(1, 4d) -> GELU -> Linear(4d, d) on t = index / T.
//   downs.<i>: [cat context i if any] ResnetBlock (large filter at level 0),
//              ResnetBlock, Residual(PreNorm(LinearAttention)), Downsample
//              except at the last level; the output after attention is skip i.
//   mid_block1, mid_attn, mid_block2.
//   ups.<i>: cat skip, ResnetBlock(2 out, in), ResnetBlock, attention,
//            Upsample. Skip 0 (full resolution) is never used.
//   final_conv: LayerNorm(d) -> Conv7x7 -> 3 channels.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "diffusion/unet_params.h"
#include "nn/layers.h"

namespace cdc {

class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(const UNetParams& params);

  // x: Bx3xHxW, t: Bx1 (index / T), context: finest first.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t,
                        const std::vector<torch::Tensor>& context);

  // Multiply-accumulates of one call at the given size (convs and linear
  // attention; elementwise work not counted).
  int64_t macs(int64_t height, int64_t width) const;

  const UNetParams& params() const { return params_; }

 private:
  struct Level {
    nn::ResnetBlock block1{nullptr}, block2{nullptr};
    nn::AttentionBlock attn{nullptr};
    nn::Downsample down{nullptr};  // downs: empty at the last level
    nn::Upsample up{nullptr};      // ups
  };

  UNetParams params_;
  torch::nn::Linear time_in_{nullptr}, time_out_{nullptr};
  std::vector<Level> downs_, ups_;
  nn::ResnetBlock mid_block1_{nullptr}, mid_block2_{nullptr};
  nn::AttentionBlock mid_attn_{nullptr};
  nn::LayerNorm final_norm_{nullptr};
  torch::nn::Conv2d final_conv_{nullptr};
};
TORCH_MODULE(UNet);

}  // namespace cdc
