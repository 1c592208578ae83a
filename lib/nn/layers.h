// Building blocks shared by the compressor and the U-Net, as torch::nn modules
// whose parameter names follow the reference state dict exactly
// (e.g. "block1.block.0.weight", "mlp.1.weight", "res_conv.weight",
// "fn.fn.to_qkv.weight", "fn.norm.g", "conv.weight"), so that weights load by
// name. Every forward works with NCHW and channels-last inputs alike.
#pragma once

#include <torch/torch.h>

namespace cdc::nn {

// LayerNorm over the channel dimension (biased variance, eps 1e-5) with
// parameters g and b of shape 1xCx1x1.
class LayerNormImpl : public torch::nn::Module {
 public:
  explicit LayerNormImpl(int64_t dim, double eps = 1e-5);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor g, b;

 private:
  double eps_;
};
TORCH_MODULE(LayerNorm);

// Conv (7x7 if large, else 3x3; same padding) -> LayerNorm -> ReLU.
// Parameters: block.0 (conv), block.1 (norm).
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(int64_t dim_in, int64_t dim_out, bool large_filter);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv_{nullptr};
  LayerNorm norm_{nullptr};
};
TORCH_MODULE(Block);

// h = block1(x) [+ mlp(t)] ; h = block2(h) ; h + res_conv(x).
// time_dim <= 0 means no time input (the compressor's blocks).
class ResnetBlockImpl : public torch::nn::Module {
 public:
  ResnetBlockImpl(int64_t dim_in, int64_t dim_out, int64_t time_dim, bool large_filter);
  // t: the time embedding (Bxtime_dim); undefined when the block has none.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t = {});

 private:
  torch::nn::Linear mlp_linear_{nullptr};
  Block block1_{nullptr}, block2_{nullptr};
  torch::nn::Conv2d res_conv_{nullptr};
};
TORCH_MODULE(ResnetBlock);

// Conv 3x3, stride 2, padding 1 (parameter "conv").
class DownsampleImpl : public torch::nn::Module {
 public:
  DownsampleImpl(int64_t dim_in, int64_t dim_out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(Downsample);

// Transposed conv 4x4, stride 2, padding 1 (parameter "conv").
class UpsampleImpl : public torch::nn::Module {
 public:
  UpsampleImpl(int64_t dim_in, int64_t dim_out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::ConvTranspose2d conv_{nullptr};
};
TORCH_MODULE(Upsample);

// Linear attention with one head of size C: q scaled by C^-1/2, k softmaxed
// over positions, out = (k v^T)^T q. Parameters to_qkv (no bias), to_out.
class LinearAttentionImpl : public torch::nn::Module {
 public:
  explicit LinearAttentionImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t dim_;
  torch::nn::Conv2d to_qkv_{nullptr}, to_out_{nullptr};
};
TORCH_MODULE(LinearAttention);

// Residual(PreNorm(dim, LinearAttention(dim))): x + attn(norm(x)).
// Parameters fn.norm.{g,b}, fn.fn.to_qkv.weight, fn.fn.to_out.{weight,bias}.
class AttentionBlockImpl : public torch::nn::Module {
 public:
  explicit AttentionBlockImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  LayerNorm norm_{nullptr};
  LinearAttention attn_{nullptr};
};
TORCH_MODULE(AttentionBlock);

// A parameterless container, used to reproduce the reference's nesting of
// names ("downs.0.3.conv", "fn.fn", ...).
std::shared_ptr<torch::nn::Module> make_container();

}  // namespace cdc::nn
