#include "nn/layers.h"

#include <cmath>

namespace cdc::nn {

namespace F = torch::nn::functional;

std::shared_ptr<torch::nn::Module> make_container() {
  return std::make_shared<torch::nn::Module>();
}

// --- LayerNorm ---------------------------------------------------------------

LayerNormImpl::LayerNormImpl(int64_t dim, double eps) : eps_(eps) {
  g = register_parameter("g", torch::ones({1, dim, 1, 1}));
  b = register_parameter("b", torch::zeros({1, dim, 1, 1}));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  // Normalizing the channels of NCHW is a row-wise layer norm of NHWC: one
  // fused kernel, no copy when x is channels-last.
  const int64_t c = x.size(1);
  // Norms run in float32 (a bfloat16 input comes from autocast decoding).
  torch::Tensor nhwc = x.to(torch::kFloat32).permute({0, 2, 3, 1});
  torch::Tensor y = at::layer_norm(nhwc, {c}, g.reshape({c}), b.reshape({c}), eps_);
  return y.permute({0, 3, 1, 2}).contiguous(x.suggest_memory_format());
}

// --- Block -------------------------------------------------------------------

BlockImpl::BlockImpl(int64_t dim_in, int64_t dim_out, bool large_filter) {
  const int64_t k = large_filter ? 7 : 3;
  conv_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(dim_in, dim_out, k).padding(k / 2));
  norm_ = LayerNorm(dim_out);
  auto block = std::make_shared<torch::nn::ModuleListImpl>();
  block->push_back(conv_);
  block->push_back(norm_);
  register_module("block", block);
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = norm_->forward(conv_->forward(x));
  return h.relu_();
}

// --- ResnetBlock -------------------------------------------------------------

ResnetBlockImpl::ResnetBlockImpl(int64_t dim_in, int64_t dim_out, int64_t time_dim,
                                 bool large_filter) {
  if (time_dim > 0) {
    mlp_linear_ = torch::nn::Linear(time_dim, dim_out);
    auto mlp = std::make_shared<torch::nn::ModuleListImpl>();
    mlp->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
    mlp->push_back(mlp_linear_);
    register_module("mlp", mlp);
  }
  block1_ = register_module("block1", Block(dim_in, dim_out, large_filter));
  block2_ = register_module("block2", Block(dim_out, dim_out, false));
  if (dim_in != dim_out)
    res_conv_ = register_module("res_conv",
                                torch::nn::Conv2d(torch::nn::Conv2dOptions(dim_in, dim_out, 1)));
}

torch::Tensor ResnetBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& t) {
  torch::Tensor h = block1_->forward(x);
  if (t.defined() && !mlp_linear_.is_empty()) {
    torch::Tensor e = mlp_linear_->forward(F::leaky_relu(t, F::LeakyReLUFuncOptions().negative_slope(0.2)));
    h = h + e.unsqueeze(-1).unsqueeze(-1);
  }
  h = block2_->forward(h);
  return res_conv_.is_empty() ? h + x : h + res_conv_->forward(x);
}

// --- Down / Upsample ---------------------------------------------------------

DownsampleImpl::DownsampleImpl(int64_t dim_in, int64_t dim_out) {
  conv_ = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim_in, dim_out, 3).stride(2).padding(1)));
}

torch::Tensor DownsampleImpl::forward(const torch::Tensor& x) { return conv_->forward(x); }

UpsampleImpl::UpsampleImpl(int64_t dim_in, int64_t dim_out) {
  conv_ = register_module(
      "conv", torch::nn::ConvTranspose2d(
                  torch::nn::ConvTranspose2dOptions(dim_in, dim_out, 4).stride(2).padding(1)));
}

torch::Tensor UpsampleImpl::forward(const torch::Tensor& x) {
  // libtorch's transposed convolution returns NCHW whatever its input; the
  // next convolution must see the input's layout again: a convolution of an
  // NCHW input with channels-last weights takes a path whose result depends on
  // the thread count (the codec promises the same pixels with any count).
  return conv_->forward(x).contiguous(x.suggest_memory_format());
}

// --- LinearAttention ---------------------------------------------------------

LinearAttentionImpl::LinearAttentionImpl(int64_t dim) : dim_(dim) {
  to_qkv_ = register_module(
      "to_qkv", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, 3 * dim, 1).bias(false)));
  to_out_ = register_module("to_out", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, dim, 1)));
}

torch::Tensor LinearAttentionImpl::forward(const torch::Tensor& x) {
  // Per image, with X the n x C matrix of positions (NHWC rows):
  //   [Q K V] = X Wqkv^T, Q *= C^-1/2, K = softmax over positions,
  //   ctx = K^T V (C x C), out = Q ctx, result = out Wout^T + b.
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t n = h * w;
  TORCH_CHECK(c == dim_, "LinearAttention: channel mismatch");
  torch::Tensor rows = x.permute({0, 2, 3, 1}).reshape({b, n, c});
  torch::Tensor wqkv = to_qkv_->weight.reshape({3 * c, c});
  torch::Tensor qkv = torch::matmul(rows, wqkv.t());  // b x n x 3C
  torch::Tensor q = qkv.narrow(2, 0, c) * (1.0 / std::sqrt(static_cast<double>(c)));
  // The softmax over positions runs on rows (b x C x n, the last dimension):
  // libtorch's kernel for a non-last dimension splits the work by the thread
  // count and mixes vector and scalar exp at the seams, so its result would
  // depend on the number of threads.
  torch::Tensor k_rows = torch::softmax(qkv.narrow(2, c, c).transpose(1, 2).contiguous(), -1);
  torch::Tensor v = qkv.narrow(2, 2 * c, c);
  torch::Tensor ctx = torch::matmul(k_rows, v);  // b x C(d) x C(e)
  torch::Tensor out = torch::matmul(q, ctx);                // b x n x C
  torch::Tensor wout = to_out_->weight.reshape({c, c});
  torch::Tensor y = torch::addmm(to_out_->bias, out.reshape({b * n, c}), wout.t());
  return y.reshape({b, h, w, c}).permute({0, 3, 1, 2}).contiguous(x.suggest_memory_format());
}

// --- AttentionBlock ----------------------------------------------------------

AttentionBlockImpl::AttentionBlockImpl(int64_t dim) {
  norm_ = LayerNorm(dim);
  attn_ = LinearAttention(dim);
  auto pre = make_container();
  pre->register_module("fn", attn_);
  pre->register_module("norm", norm_);
  register_module("fn", pre);
}

torch::Tensor AttentionBlockImpl::forward(const torch::Tensor& x) {
  return attn_->forward(norm_->forward(x)) + x;
}

}  // namespace cdc::nn
