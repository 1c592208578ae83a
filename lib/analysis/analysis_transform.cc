#include "analysis/analysis_transform.h"

namespace cdc {

AnalysisTransformImpl::AnalysisTransformImpl(int64_t in_channels,
                                             const std::vector<int64_t>& widths,
                                             bool identity_slot) {
  int64_t dim_in = in_channels;
  for (size_t i = 0; i < widths.size(); ++i) {
    const int64_t dim_out = widths[i];
    resnets_.emplace_back(dim_in, dim_out, /*time_dim=*/0, /*large_filter=*/i == 0);
    downs_.emplace_back(dim_out, dim_out);
    auto stage = std::make_shared<torch::nn::ModuleListImpl>();
    stage->push_back(resnets_.back());
    // epsilon-param (BigCompressor) has an unused slot between the two.
    if (identity_slot) stage->push_back(torch::nn::Identity());
    stage->push_back(downs_.back());
    register_module(std::to_string(i), stage);
    dim_in = dim_out;
  }
}

torch::Tensor AnalysisTransformImpl::forward(torch::Tensor x) {
  for (size_t i = 0; i < resnets_.size(); ++i) x = downs_[i]->forward(resnets_[i]->forward(x));
  return x;
}

}  // namespace cdc
