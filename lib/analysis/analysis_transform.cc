#include "analysis/analysis_transform.h"

namespace cdc {

AnalysisTransformImpl::AnalysisTransformImpl(const ModelConfig& config) {
  int64_t dim_in = config.channels;
  for (size_t i = 0; i < config.compressor_dim_mults.size(); ++i) {
    const int64_t dim_out = int64_t{config.compressor_dim} * config.compressor_dim_mults[i];
    resnets_.emplace_back(dim_in, dim_out, /*time_dim=*/0, /*large_filter=*/i == 0);
    downs_.emplace_back(dim_out, dim_out);
    auto stage = std::make_shared<torch::nn::ModuleListImpl>();
    stage->push_back(resnets_.back());
    // epsilon-param (BigCompressor) has an unused slot between the two.
    if (config.variant == ModelVariant::kEpsilonParam) stage->push_back(torch::nn::Identity());
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
