// The context decoder's forward pass (inference only) on the oneDNN path of
// lib/onednn, from the same parameters as ContextDecoderImpl (read by their
// reference names): y_hat -> the multi-scale context features, finest first,
// as NCHW float32 tensors with channels-last strides over NHWC buffers (what
// the oneDNN U-Net reads without a copy).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "context/context_decoder.h"
#include "onednn/resnet_block.h"
#include "onednn/upsample.h"

namespace cdc {

class ContextDecoderOneDnn {
 public:
  // Reads the float32 CPU parameters of decoder, which must outlive this.
  explicit ContextDecoderOneDnn(const ContextDecoderImpl& decoder);
  std::vector<torch::Tensor> forward(const torch::Tensor& y_hat) const;

 private:
  std::vector<std::unique_ptr<onednn::ResnetBlock>> resnets_;
  std::vector<std::unique_ptr<onednn::Upsample2x>> ups_;
};

}  // namespace cdc
