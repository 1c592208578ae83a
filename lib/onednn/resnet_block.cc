#include "onednn/resnet_block.h"

#include "common/error.h"
#include "onednn/row_ops.h"

namespace cdc::onednn {

const torch::Tensor& named_param(const std::map<std::string, torch::Tensor>& params,
                                 const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) fail(CDC_STATUS_INTERNAL_ERROR, "oneDNN path: no parameter '{}'", name);
  if (it->second.scalar_type() != torch::kFloat32 || !it->second.device().is_cpu())
    fail(CDC_STATUS_INTERNAL_ERROR, "oneDNN path: '{}' is not float32 on the CPU", name);
  return it->second;
}

namespace {
torch::Tensor flat(const torch::Tensor& t) { return t.reshape({-1}).contiguous(); }
}  // namespace

ResnetBlock::ResnetBlock(const std::map<std::string, torch::Tensor>& p, const std::string& prefix,
                         bool large_filter) {
  const int64_t k1 = large_filter ? 7 : 3;
  conv1_ = std::make_unique<Convolution>(named_param(p, prefix + "block1.block.0.weight"),
                                         named_param(p, prefix + "block1.block.0.bias"), 1, k1 / 2);
  conv2_ = std::make_unique<Convolution>(named_param(p, prefix + "block2.block.0.weight"),
                                         named_param(p, prefix + "block2.block.0.bias"), 1, 1);
  g1_ = flat(named_param(p, prefix + "block1.block.1.g"));
  b1_ = flat(named_param(p, prefix + "block1.block.1.b"));
  g2_ = flat(named_param(p, prefix + "block2.block.1.g"));
  b2_ = flat(named_param(p, prefix + "block2.block.1.b"));
  if (p.count(prefix + "res_conv.weight"))
    res_ = std::make_unique<Convolution>(named_param(p, prefix + "res_conv.weight"),
                                         named_param(p, prefix + "res_conv.bias"), 1, 0);
  if (p.count(prefix + "mlp.1.weight")) {
    mlp_w_ = named_param(p, prefix + "mlp.1.weight");
    mlp_b_ = named_param(p, prefix + "mlp.1.bias");
  }
}

Activation ResnetBlock::run(const Activation& x, const torch::Tensor& time,
                            BufferPool& pool) const {
  torch::Tensor e;
  if (time.defined() && mlp_w_.defined())
    e = at::linear(torch::leaky_relu(time, 0.2), mlp_w_, mlp_b_).contiguous();  // B x C
  Activation h = (*conv1_)(x, pool);
  NormEpilogue first;
  first.relu = true;
  if (e.defined()) first.add_per_image = e.data_ptr<float>();
  layer_norm(h, h, g1_.data_ptr<float>(), b1_.data_ptr<float>(), 1e-5f, first);
  Activation out = (*conv2_)(h, pool);
  h = Activation();  // back to the pool
  NormEpilogue second;
  second.relu = true;
  if (!res_) second.residual = x.data();
  layer_norm(out, out, g2_.data_ptr<float>(), b2_.data_ptr<float>(), 1e-5f, second);
  if (res_) res_->run(x, out, pool, /*accumulate=*/true);
  return out;
}

}  // namespace cdc::onednn
