#include "context/context_decoder.h"

#include <algorithm>

namespace cdc {

ContextDecoderImpl::ContextDecoderImpl(const std::vector<int64_t>& widths, bool identity_slot) {
  const std::vector<int64_t>& dims = widths;
  const size_t n = dims.size() - 1;
  for (size_t i = 0; i < n; ++i) {
    const bool last = i + 1 == n;
    const int64_t mid = last ? dims[i] : dims[i + 1];
    resnets_.emplace_back(dims[i], mid, /*time_dim=*/0, /*large_filter=*/false);
    ups_.emplace_back(mid, dims[i + 1]);
    auto stage = std::make_shared<torch::nn::ModuleListImpl>();
    stage->push_back(resnets_.back());
    // epsilon-param (BigCompressor) has an unused slot between the two.
    if (identity_slot) stage->push_back(torch::nn::Identity());
    stage->push_back(ups_.back());
    register_module(std::to_string(i), stage);
  }
}

std::vector<torch::Tensor> ContextDecoderImpl::forward(torch::Tensor x) {
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < resnets_.size(); ++i) {
    x = ups_[i]->forward(resnets_[i]->forward(x));
    out.push_back(x);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace cdc
