// The conditional U-Net's forward pass (inference only) on the oneDNN path of
// lib/onednn: NHWC activations from a buffer pool, weights reordered once,
// norms fused with their ReLU, time embedding and residual. It computes what
// UNetImpl::forward computes, from the same parameters (read by their
// reference names), within float32 rounding; its result does not depend on
// the thread count.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <vector>

#include "diffusion/unet.h"
#include "onednn/convolution.h"
#include "onednn/linear_attention.h"

namespace cdc::onednn {
class NarrowConvolution;
class ResnetBlock;
class Upsample2x;
}  // namespace cdc::onednn

namespace cdc {

class UNetOneDnn {
 public:
  // Reads the float32 CPU parameters of unet, which must outlive this object.
  explicit UNetOneDnn(const UNetImpl& unet);
  ~UNetOneDnn();

  // What a decode's steps share: the context features as NHWC activations
  // and, where the first block takes [x, context 0], that context's share of
  // the block's linear layers (so the step does not convolve the 64-channel
  // context at full resolution again: about a sixth of the paper U-Net's
  // work). It does not hold context 0 itself, which the caller may free.
  struct Prepared;
  std::shared_ptr<const Prepared> prepare(const std::vector<torch::Tensor>& context,
                                          onednn::BufferPool& pool) const;

  // As UNetImpl::forward: x Bx3xHxW, t Bx1, for the context of `prepared`.
  // Returns Bx3xHxW float32 (channels-last strides). Buffers come from pool
  // and return to it: pass the same pool to every step of a decode.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const Prepared& prepared,
                        onednn::BufferPool& pool) const;
  // The same with the context finest first (any layout), prepared for this
  // one call.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t,
                        const std::vector<torch::Tensor>& context, onednn::BufferPool& pool) const;

 private:
  struct Level;

  UNetParams params_;
  torch::Tensor time_w1_, time_b1_, time_w2_, time_b2_;
  std::vector<Level> downs_, ups_;
  std::unique_ptr<onednn::ResnetBlock> mid1_, mid2_;
  std::unique_ptr<onednn::LinearAttentionBlock> mid_attn_;
  torch::Tensor final_g_, final_b_;
  std::unique_ptr<onednn::NarrowConvolution> final_conv_;
};

}  // namespace cdc
