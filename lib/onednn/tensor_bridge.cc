#include "onednn/tensor_bridge.h"

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
