#include "hyperprior/hyper_analysis_onednn.h"

#include <string>

namespace cdc {

HyperAnalysisOneDnn::HyperAnalysisOneDnn(const onednn::ParamMap& p) {
  for (size_t i = 0;; ++i) {
    const std::string prefix = std::to_string(i) + ".0.";
    if (!p.count(prefix + "weight")) break;
    convs_.push_back(std::make_unique<onednn::Convolution>(
        onednn::named_param(p, prefix + "weight"), onednn::named_param(p, prefix + "bias"),
        i == 0 ? 1 : 2, i == 0 ? 1 : 2));
  }
}

onednn::Activation HyperAnalysisOneDnn::forward(const onednn::Activation& y,
                                                onednn::BufferPool& pool) const {
  onednn::Activation h = y;
  for (size_t i = 0; i < convs_.size(); ++i) {
    const onednn::Convolution& conv = *convs_[i];
    onednn::Activation out = onednn::Activation::make(pool, h.n, conv.output_height(h.h),
                                                      conv.output_width(h.w), conv.out_channels());
    const bool last = i + 1 == convs_.size();
    conv.run(h, out, pool, /*accumulate=*/false, /*relu=*/!last, /*negative_slope=*/0.2f);
    h = out;
  }
  return h;
}

}  // namespace cdc
