// The analysis transform (context_fn.enc: image -> latent y) on the oneDNN
// path of lib/onednn, from the same parameters as AnalysisTransformImpl:
// per stage a ResnetBlock (7x7 first convolution at stage 0), then a 3x3
// stride-2 convolution. No libtorch.
#pragma once

#include <memory>
#include <vector>

#include "onednn/resnet_block.h"

namespace cdc {

class AnalysisOneDnn {
 public:
  // params: "<i>.0.*" (the block) and "<i>.1.conv.*" or, in the
  // epsilon-param layout, "<i>.2.conv.*" (the downsampling).
  explicit AnalysisOneDnn(const onednn::ParamMap& params);
  // x: NHWC image in [-1, 1]; returns y (NHWC).
  onednn::Activation forward(const onednn::Activation& x, onednn::BufferPool& pool) const;
  // Jobs that create the convolution plans of forward() for an h x w image
  // (onednn::run_plan_jobs).
  void plan_jobs(int64_t h, int64_t w, onednn::PlanJobs& jobs) const;

 private:
  std::vector<std::unique_ptr<onednn::ResnetBlock>> resnets_;
  std::vector<std::unique_ptr<onednn::Convolution>> downs_;
};

}  // namespace cdc
