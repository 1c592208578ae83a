// The conditional U-Net's forward pass (inference only) on the oneDNN path of
// lib/onednn: NHWC activations from a buffer pool, weights reordered once,
// norms fused with their ReLU, time embedding and residual. It computes what
// UNetImpl::forward computes, from the same parameters (read by their
// reference names), within float32 rounding; its result does not depend on
// the thread count. It needs no libtorch.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "diffusion/unet_params.h"
#include "onednn/linear_attention.h"
#include "onednn/resnet_block.h"

namespace cdc::onednn {
class NarrowConvolution;
class Upsample2x;
}  // namespace cdc::onednn

namespace cdc {

class UNetOneDnn {
 public:
  // params: the U-Net's tensors by their reference names (without the
  // "denoise_fn." prefix); they are shared, not copied.
  UNetOneDnn(const UNetParams& shape, const onednn::ParamMap& params);
  ~UNetOneDnn();

  const UNetParams& params() const { return params_; }

  // What a decode's steps share: the context features as NHWC activations
  // and, where the first block takes [x, context 0], that context's share of
  // the block's linear layers (so the step does not convolve the 64-channel
  // context at full resolution again: about a sixth of the paper U-Net's
  // work). It does not hold context 0 itself, which the caller may free.
  struct Prepared;
  std::shared_ptr<const Prepared> prepare(const std::vector<onednn::Activation>& context,
                                          onednn::BufferPool& pool) const;

  // X_theta(x, t) for the context of `prepared`: x is n x h x w x channels
  // (NHWC), t the step's time (index / T) for every image. Writes the result
  // (same shape as x) to out, which may wrap caller memory. Buffers come from
  // pool and return to it: pass the same pool to every step of a decode.
  void forward(const onednn::Activation& x, float t, const Prepared& prepared,
               onednn::BufferPool& pool, const onednn::Activation& out) const;

  // Jobs that create the convolution plans of prepare() and forward() for
  // n images of h x w (onednn::run_plan_jobs), so that a decode at a new
  // size builds them in parallel instead of one by one as the first step
  // meets them. The narrow final convolution (wide U-Nets) is left to its
  // first use.
  void plan_jobs(int64_t n, int64_t h, int64_t w, onednn::PlanJobs& jobs) const;

 private:
  struct Level;

  UNetParams params_;
  FloatTensor time_w1_, time_b1_, time_w2_, time_b2_;
  std::vector<Level> downs_, ups_;
  std::unique_ptr<onednn::ResnetBlock> mid1_, mid2_;
  std::unique_ptr<onednn::LinearAttentionBlock> mid_attn_;
  FloatTensor final_g_, final_b_;
  std::unique_ptr<onednn::NarrowConvolution> final_conv_;  // or, for narrow inputs:
  std::unique_ptr<onednn::Convolution> final_direct_;
};

}  // namespace cdc
