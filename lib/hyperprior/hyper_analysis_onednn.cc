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

void HyperAnalysisOneDnn::plan_jobs(int64_t h, int64_t w, onednn::PlanJobs& jobs) const {
  for (size_t i = 0; i < convs_.size(); ++i) {
    const onednn::Convolution* conv = convs_[i].get();
    const bool relu = i + 1 < convs_.size();
    jobs.push_back([=] { conv->prepare(1, h, w, /*accumulate=*/false, relu, 0.2f); });
    const int64_t next_h = conv->output_height(h), next_w = conv->output_width(w);
    h = next_h;
    w = next_w;
  }
}

}  // namespace cdc
