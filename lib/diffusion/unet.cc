#include "diffusion/unet.h"

#include "common/error.h"

namespace cdc {

UNetImpl::UNetImpl(const UNetParams& params) : params_(params) {
  const int64_t d = params.dim;
  const int64_t time_dim = d;

  auto time_mlp = std::make_shared<torch::nn::Module>();
  time_in_ = time_mlp->register_module("0", torch::nn::Linear(1, 4 * d));
  time_out_ = time_mlp->register_module("2", torch::nn::Linear(4 * d, d));
  register_module("time_mlp", time_mlp);

  std::vector<int64_t> dims{params.channels};
  for (int m : params.dim_mults) dims.push_back(d * m);
  std::vector<int64_t> ctx_dims{params.context_channels};
  for (int m : params.context_dim_mults) ctx_dims.push_back(d * m);
  const size_t levels = dims.size() - 1;

  auto downs = std::make_shared<torch::nn::ModuleListImpl>();
  for (size_t i = 0; i < levels; ++i) {
    const bool last = i + 1 == levels;
    const bool with_ctx = !last && i < ctx_dims.size() - 1;
    Level lv;
    lv.block1 = nn::ResnetBlock(dims[i] + (with_ctx ? ctx_dims[i] : 0), dims[i + 1], time_dim, i == 0);
    lv.block2 = nn::ResnetBlock(dims[i + 1], dims[i + 1], time_dim, false);
    lv.attn = nn::AttentionBlock(dims[i + 1]);
    auto stage = std::make_shared<torch::nn::ModuleListImpl>();
    stage->push_back(lv.block1);
    stage->push_back(lv.block2);
    stage->push_back(lv.attn);
    if (!last) {
      lv.down = nn::Downsample(dims[i + 1], dims[i + 1]);
      stage->push_back(lv.down);
    }
    downs->push_back(stage);
    downs_.push_back(lv);
  }
  register_module("downs", downs);

  const int64_t mid = dims.back();
  mid_block1_ = register_module("mid_block1", nn::ResnetBlock(mid, mid, time_dim, false));
  mid_attn_ = register_module("mid_attn", nn::AttentionBlock(mid));
  mid_block2_ = register_module("mid_block2", nn::ResnetBlock(mid, mid, time_dim, false));

  auto ups = std::make_shared<torch::nn::ModuleListImpl>();
  // Over reversed(in_out[1:]): (dim_in, dim_out) = (dims[j], dims[j + 1]).
  for (size_t j = levels - 1; j >= 1; --j) {
    const int64_t dim_in = dims[j], dim_out = dims[j + 1];
    Level lv;
    lv.block1 = nn::ResnetBlock(dim_out * 2, dim_in, time_dim, false);
    lv.block2 = nn::ResnetBlock(dim_in, dim_in, time_dim, false);
    lv.attn = nn::AttentionBlock(dim_in);
    lv.up = nn::Upsample(dim_in, dim_in);
    auto stage = std::make_shared<torch::nn::ModuleListImpl>();
    stage->push_back(lv.block1);
    stage->push_back(lv.block2);
    stage->push_back(lv.attn);
    stage->push_back(lv.up);
    ups->push_back(stage);
    ups_.push_back(lv);
  }
  register_module("ups", ups);

  auto final_conv = std::make_shared<torch::nn::Module>();
  final_norm_ = final_conv->register_module("0", nn::LayerNorm(d));
  final_conv_ = final_conv->register_module(
      "1", torch::nn::Conv2d(torch::nn::Conv2dOptions(d, params.channels, 7).padding(3)));
  register_module("final_conv", final_conv);
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x_in, const torch::Tensor& time,
                                const std::vector<torch::Tensor>& context) {
  torch::Tensor t = time_out_->forward(torch::gelu(time_in_->forward(time)));
  torch::Tensor x = x_in;
  std::vector<torch::Tensor> skips;
  for (size_t i = 0; i < downs_.size(); ++i) {
    if (i < context.size()) x = torch::cat({x, context[i]}, 1);
    x = downs_[i].block1->forward(x, t);
    x = downs_[i].block2->forward(x, t);
    x = downs_[i].attn->forward(x);
    skips.push_back(x);
    if (!downs_[i].down.is_empty()) x = downs_[i].down->forward(x);
  }
  x = mid_block1_->forward(x, t);
  x = mid_attn_->forward(x);
  x = mid_block2_->forward(x, t);
  for (auto& lv : ups_) {
    x = torch::cat({x, skips.back()}, 1);
    skips.pop_back();
    x = lv.block1->forward(x, t);
    x = lv.block2->forward(x, t);
    x = lv.attn->forward(x);
    x = lv.up->forward(x);
  }
  return final_conv_->forward(final_norm_->forward(x));
}

int64_t UNetImpl::macs(int64_t height, int64_t width) const {
  // A conv with weight (o, i, kh, kw) costs o*i*kh*kw per output pixel (a
  // transposed conv: per input pixel); computed by walking the levels.
  int64_t total = 0;
  const int64_t d = params_.dim;
  std::vector<int64_t> dims{params_.channels};
  for (int m : params_.dim_mults) dims.push_back(d * m);
  std::vector<int64_t> ctx_dims{params_.context_channels};
  for (int m : params_.context_dim_mults) ctx_dims.push_back(d * m);
  const size_t levels = dims.size() - 1;
  auto resnet = [](int64_t in, int64_t out, int64_t k, int64_t px) {
    int64_t m = out * in * k * k * px + out * out * 9 * px;
    if (in != out) m += out * in * px;
    return m;
  };
  auto attn = [](int64_t c, int64_t px) { return 3 * c * c * px + 2 * c * c * px + c * c * px; };
  int64_t h = height, w = width;
  std::vector<int64_t> level_px;
  for (size_t i = 0; i < levels; ++i) {
    const int64_t px = h * w;
    level_px.push_back(px);
    const bool last = i + 1 == levels;
    const bool with_ctx = !last && i < ctx_dims.size() - 1;
    const int64_t in = dims[i] + (with_ctx ? ctx_dims[i] : 0);
    total += resnet(in, dims[i + 1], i == 0 ? 7 : 3, px);
    total += resnet(dims[i + 1], dims[i + 1], 3, px);
    total += attn(dims[i + 1], px);
    if (!last) {
      h = (h + 1) / 2;
      w = (w + 1) / 2;
      total += dims[i + 1] * dims[i + 1] * 9 * h * w;
    }
  }
  const int64_t mid = dims.back();
  total += 2 * resnet(mid, mid, 3, h * w) + attn(mid, h * w);
  for (size_t j = levels - 1; j >= 1; --j) {
    const int64_t px = level_px[j];
    total += resnet(dims[j + 1] * 2, dims[j], 3, px) + resnet(dims[j], dims[j], 3, px) +
             attn(dims[j], px);
    total += dims[j] * dims[j] * 16 * px;  // transposed conv, per input pixel
  }
  total += d * params_.channels * 49 * level_px[0];
  return total;
}

}  // namespace cdc
