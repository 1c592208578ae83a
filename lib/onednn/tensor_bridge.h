// The oneDNN path's types to and from torch tensors (for the libtorch side
// of the library: its Model, the tests and the benchmarks).
#pragma once

#include <torch/torch.h>

#include "common/float_tensor.h"
#include "onednn/resnet_block.h"
#include "onednn/runtime.h"

namespace cdc::onednn {

// An activation over a dense float32 N x H x W x C tensor's data; the tensor
// stays alive as long as the activation's buffer.
Activation wrap_nhwc(const torch::Tensor& nhwc);

// An N x C x H x W float32 tensor (channels-last strides) over an
// activation's buffer, which it keeps alive.
torch::Tensor as_tensor(const Activation& a);

// A dense NHWC activation from any float tensor N x C x H x W: shares its data
// when it is channels-last float32 already, else a copy.
Activation from_nchw(const torch::Tensor& x);

// A FloatTensor of a float32 CPU tensor's values: shares its data when it is
// contiguous (keeping the tensor alive), else a contiguous copy.
FloatTensor float_tensor(const torch::Tensor& t);

// A module's parameters by name, shared as above.
ParamMap module_params(const torch::nn::Module& module);

}  // namespace cdc::onednn
