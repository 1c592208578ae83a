// The ResnetBlock of lib/nn on NHWC activations:
//   h = ReLU(LN(conv1(x))) [+ mlp(t)], out = ReLU(LN(conv2(h))) + res_conv(x) (or + x),
// with the norms fused with their ReLU, time term and residual, and the
// 1x1 residual convolution summed into the output by oneDNN.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/float_tensor.h"
#include "onednn/convolution.h"

namespace cdc::onednn {

// Parameters by their reference state-dict names.
using ParamMap = std::map<std::string, FloatTensor>;

class ResnetBlock {
 public:
  // params: the block's tensors by their reference names under prefix
  // ("block1.block.0.weight", ..., "res_conv.*" and "mlp.1.*" where present).
  // split_channels > 0: the block's input is the concatenation [x, c] of an x
  // of that many channels and a context c that stays the same over a decode
  // (the U-Net's first block), and run_split() may be used: conv1 and the
  // residual convolution are linear, so c's share of each (with the biases)
  // is computed once by context_terms() instead of at every step.
  ResnetBlock(const ParamMap& params, const std::string& prefix,
              bool large_filter, int64_t split_channels = 0);
  // time: B x time_dim (the U-Net's embedding); undefined for blocks without.
  Activation run(const Activation& x, const FloatTensor& time, BufferPool& pool) const;

  // The context's share of conv1 and of the residual convolution.
  struct ContextTerms {
    Activation conv1, residual;
  };
  bool splits() const { return conv1_x_ != nullptr; }
  ContextTerms context_terms(const Activation& context, BufferPool& pool) const;
  // run() of [x, c] for the c of `terms` (splits() must hold).
  Activation run_split(const Activation& x, const ContextTerms& terms, const FloatTensor& time,
                       BufferPool& pool) const;
  // Jobs that create the plans of run() (split: of context_terms() and
  // run_split()) for an input of n x h x w (run_plan_jobs).
  void plan_jobs(int64_t n, int64_t h, int64_t w, bool split, PlanJobs& jobs) const;

 private:
  // The block's two norms and its time term around conv2, given h = conv1(x)
  // (consumed) and what is added after the second norm.
  Activation finish(Activation h, const FloatTensor& time, const float* residual,
                    BufferPool& pool) const;

  std::unique_ptr<Convolution> conv1_, conv2_, res_;
  // The split (split_channels > 0): x's and the context's parts of conv1 and
  // of the residual convolution; the biases are the context parts'.
  std::unique_ptr<Convolution> conv1_x_, conv1_c_, res_x_, res_c_;
  FloatTensor g1_, b1_, g2_, b2_, mlp_w_, mlp_b_;
};

// A named tensor of params, else an INTERNAL_ERROR naming it.
const FloatTensor& named_param(const ParamMap& params, const std::string& name);

// out[b][o] = bias[o] + sum_k weight[o][k] * act(in[b][k]) for B rows of in
// (a linear layer on one thread, sums in a fixed order), where act is the
// identity, a LeakyReLU(0.2) or a GELU (erf form).
enum class LinearInput { kIdentity, kLeakyRelu, kGelu };
std::vector<float> linear_rows(const float* in, int64_t rows, const FloatTensor& weight,
                               const FloatTensor& bias, LinearInput act);

}  // namespace cdc::onednn
