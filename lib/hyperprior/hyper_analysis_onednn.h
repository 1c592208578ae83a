// The hyper analysis (context_fn.hyper_enc: y -> z) on the oneDNN path, from
// the same parameters as HyperAnalysisImpl: a 3x3 convolution, then 5x5
// stride-2 ones, each but the last followed by a LeakyReLU(0.2) fused into
// it. No libtorch.
#pragma once

#include <memory>
#include <vector>

#include "onednn/resnet_block.h"

namespace cdc {

class HyperAnalysisOneDnn {
 public:
  // params: "<i>.0.weight" / "<i>.0.bias" of every layer.
  explicit HyperAnalysisOneDnn(const onednn::ParamMap& params);
  onednn::Activation forward(const onednn::Activation& y, onednn::BufferPool& pool) const;
  // Jobs that create the convolution plans of forward() for a latent of
  // h x w (onednn::run_plan_jobs).
  void plan_jobs(int64_t h, int64_t w, onednn::PlanJobs& jobs) const;

 private:
  std::vector<std::unique_ptr<onednn::Convolution>> convs_;
};

}  // namespace cdc
