// The ResnetBlock of lib/nn on NHWC activations:
//   h = ReLU(LN(conv1(x))) [+ mlp(t)], out = ReLU(LN(conv2(h))) + res_conv(x) (or + x),
// with the norms fused with their ReLU, time term and residual, and the
// 1x1 residual convolution summed into the output by oneDNN.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "onednn/convolution.h"

namespace cdc::onednn {

class ResnetBlock {
 public:
  // params: the block's tensors by their reference names under prefix
  // ("block1.block.0.weight", ..., "res_conv.*" and "mlp.1.*" where present).
  // split_channels > 0: the block's input is the concatenation [x, c] of an x
  // of that many channels and a context c that stays the same over a decode
  // (the U-Net's first block), and run_split() may be used: conv1 and the
  // residual convolution are linear, so c's share of each (with the biases)
  // is computed once by context_terms() instead of at every step.
  ResnetBlock(const std::map<std::string, torch::Tensor>& params, const std::string& prefix,
              bool large_filter, int64_t split_channels = 0);
  // time: B x time_dim (the U-Net's embedding); undefined for blocks without.
  Activation run(const Activation& x, const torch::Tensor& time, BufferPool& pool) const;

  // The context's share of conv1 and of the residual convolution.
  struct ContextTerms {
    Activation conv1, residual;
  };
  bool splits() const { return conv1_x_ != nullptr; }
  ContextTerms context_terms(const Activation& context, BufferPool& pool) const;
  // run() of [x, c] for the c of `terms` (splits() must hold).
  Activation run_split(const Activation& x, const ContextTerms& terms, const torch::Tensor& time,
                       BufferPool& pool) const;

 private:
  // The block's two norms and its time term around conv2, given h = conv1(x)
  // (consumed) and what is added after the second norm.
  Activation finish(Activation h, const torch::Tensor& time, const float* residual,
                    BufferPool& pool) const;

  std::unique_ptr<Convolution> conv1_, conv2_, res_;
  // The split (split_channels > 0): x's and the context's parts of conv1 and
  // of the residual convolution; the biases are the context parts'.
  std::unique_ptr<Convolution> conv1_x_, conv1_c_, res_x_, res_c_;
  torch::Tensor g1_, b1_, g2_, b2_, mlp_w_, mlp_b_;
};

// A named float32 CPU tensor of params, else an INTERNAL_ERROR naming it.
const torch::Tensor& named_param(const std::map<std::string, torch::Tensor>& params,
                                 const std::string& name);

}  // namespace cdc::onednn
