#include "analysis/analysis_onednn.h"

#include <string>

namespace cdc {

AnalysisOneDnn::AnalysisOneDnn(const onednn::ParamMap& p) {
  for (size_t i = 0;; ++i) {
    const std::string prefix = std::to_string(i) + ".";
    if (!p.count(prefix + "0.block1.block.0.weight")) break;
    resnets_.push_back(std::make_unique<onednn::ResnetBlock>(p, prefix + "0.", i == 0));
    const std::string down = p.count(prefix + "1.conv.weight") ? prefix + "1." : prefix + "2.";
    downs_.push_back(std::make_unique<onednn::Convolution>(
        onednn::named_param(p, down + "conv.weight"), onednn::named_param(p, down + "conv.bias"),
        2, 1));
  }
}

onednn::Activation AnalysisOneDnn::forward(const onednn::Activation& x,
                                           onednn::BufferPool& pool) const {
  onednn::Activation h = x;
  for (size_t i = 0; i < resnets_.size(); ++i)
    h = (*downs_[i])(resnets_[i]->run(h, FloatTensor(), pool), pool);
  return h;
}

}  // namespace cdc
