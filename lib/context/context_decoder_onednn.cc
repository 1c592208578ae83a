#include "context/context_decoder_onednn.h"

#include <algorithm>
#include <map>
#include <string>

#include "onednn/tensor_bridge.h"

namespace cdc {

ContextDecoderOneDnn::ContextDecoderOneDnn(const ContextDecoderImpl& decoder) {
  std::map<std::string, torch::Tensor> p;
  for (const auto& item : decoder.named_parameters(true)) p[item.key()] = item.value();
  for (size_t i = 0;; ++i) {
    const std::string prefix = std::to_string(i) + ".";
    if (!p.count(prefix + "0.block1.block.0.weight")) break;
    resnets_.push_back(std::make_unique<onednn::ResnetBlock>(p, prefix + "0.", false));
    // Slot 1 is a parameterless Identity in the epsilon-param layout.
    const std::string up = p.count(prefix + "1.conv.weight") ? prefix + "1." : prefix + "2.";
    ups_.push_back(std::make_unique<onednn::Upsample2x>(onednn::named_param(p, up + "conv.weight"),
                                                        onednn::named_param(p, up + "conv.bias")));
  }
}

std::vector<torch::Tensor> ContextDecoderOneDnn::forward(const torch::Tensor& y_hat) const {
  // No pool: each feature map is handed out, and the decoder runs once per
  // decode (or tile).
  onednn::BufferPool pool;
  onednn::Activation x = onednn::from_nchw(y_hat);
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < resnets_.size(); ++i) {
    x = (*ups_[i])(resnets_[i]->run(x, torch::Tensor(), pool), pool);
    out.push_back(onednn::as_tensor(x));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace cdc
