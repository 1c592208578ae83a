#include "onednn/tensor_bridge.h"

#include "common/error.h"

namespace cdc::onednn {

Activation wrap_nhwc(const torch::Tensor& nhwc) {
  Activation a;
  a.n = nhwc.size(0);
  a.h = nhwc.size(1);
  a.w = nhwc.size(2);
  a.c = nhwc.size(3);
  torch::Tensor keep = nhwc;
  a.buffer = std::shared_ptr<float>(nhwc.data_ptr<float>(), [keep](float*) {});
  return a;
}

torch::Tensor as_tensor(const Activation& a) {
  std::shared_ptr<float> keep = a.buffer;
  return torch::from_blob(
             a.data(), {a.n, a.h, a.w, a.c}, [keep](void*) {},
             torch::TensorOptions().dtype(torch::kFloat32))
      .permute({0, 3, 1, 2});
}

Activation from_nchw(const torch::Tensor& x) {
  return wrap_nhwc(x.to(torch::kFloat32).permute({0, 2, 3, 1}).contiguous());
}

}  // namespace cdc::onednn

namespace cdc::onednn {

FloatTensor float_tensor(const torch::Tensor& t) {
  if (t.scalar_type() != torch::kFloat32 || !t.device().is_cpu())
    fail(CDC_STATUS_INTERNAL_ERROR, "oneDNN path: a parameter is not float32 on the CPU");
  torch::Tensor keep = t.detach().contiguous();
  const float* p = keep.data_ptr<float>();
  return FloatTensor(keep.sizes().vec(), std::shared_ptr<const float>(p, [keep](const float*) {}));
}

ParamMap module_params(const torch::nn::Module& module) {
  ParamMap p;
  for (const auto& item : module.named_parameters(true)) p[item.key()] = float_tensor(item.value());
  return p;
}

}  // namespace cdc::onednn
