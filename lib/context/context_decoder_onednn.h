// The context decoder's forward pass (inference only) on the oneDNN path of
// lib/onednn, from the same parameters as ContextDecoderImpl (read by their
// reference names): y_hat -> the multi-scale context features, finest first,
// as NHWC activations (what the oneDNN U-Net reads). It needs no libtorch.
#pragma once

#include <memory>
#include <vector>

#include "onednn/resnet_block.h"
#include "onednn/upsample.h"

namespace cdc {

class ContextDecoderOneDnn {
 public:
  // params: the decoder's tensors by their reference names (without the
  // "context_fn.dec." prefix); shared, not copied.
  explicit ContextDecoderOneDnn(const onednn::ParamMap& params);
  // y_hat: NHWC. Each feature map is a buffer of its own (not from a pool).
  std::vector<onednn::Activation> forward(const onednn::Activation& y_hat) const;
  // Jobs that create the convolution plans of forward() for a latent of
  // h x w (onednn::run_plan_jobs).
  void plan_jobs(int64_t h, int64_t w, onednn::PlanJobs& jobs) const;

 private:
  std::vector<std::unique_ptr<onednn::ResnetBlock>> resnets_;
  std::vector<std::unique_ptr<onednn::Upsample2x>> ups_;
};

}  // namespace cdc
