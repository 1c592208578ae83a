#include "context/context_decoder_onednn.h"

#include <algorithm>
#include <string>

namespace cdc {

ContextDecoderOneDnn::ContextDecoderOneDnn(const onednn::ParamMap& p) {
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

std::vector<onednn::Activation> ContextDecoderOneDnn::forward(const onednn::Activation& y_hat) const {
  // No pool: each feature map is handed out, and the decoder runs once per
  // decode (or tile).
  onednn::BufferPool pool;
  onednn::Activation x = y_hat;
  std::vector<onednn::Activation> out;
  for (size_t i = 0; i < resnets_.size(); ++i) {
    x = (*ups_[i])(resnets_[i]->run(x, FloatTensor(), pool), pool);
    out.push_back(x);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void ContextDecoderOneDnn::plan_jobs(int64_t h, int64_t w, onednn::PlanJobs& jobs) const {
  for (size_t i = 0; i < resnets_.size(); ++i) {
    resnets_[i]->plan_jobs(1, h, w, false, jobs);
    ups_[i]->plan_jobs(1, h, w, jobs);
    h *= 2;
    w *= 2;
  }
}

}  // namespace cdc
