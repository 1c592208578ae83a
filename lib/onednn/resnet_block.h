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
  ResnetBlock(const std::map<std::string, torch::Tensor>& params, const std::string& prefix,
              bool large_filter);
  // time: B x time_dim (the U-Net's embedding); undefined for blocks without.
  Activation run(const Activation& x, const torch::Tensor& time, BufferPool& pool) const;

 private:
  std::unique_ptr<Convolution> conv1_, conv2_, res_;
  torch::Tensor g1_, b1_, g2_, b2_, mlp_w_, mlp_b_;
};

// A named float32 CPU tensor of params, else an INTERNAL_ERROR naming it.
const torch::Tensor& named_param(const std::map<std::string, torch::Tensor>& params,
                                 const std::string& name);

}  // namespace cdc::onednn
