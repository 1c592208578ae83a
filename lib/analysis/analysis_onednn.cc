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

void AnalysisOneDnn::plan_jobs(int64_t h, int64_t w, onednn::PlanJobs& jobs) const {
  for (size_t i = 0; i < resnets_.size(); ++i) {
    resnets_[i]->plan_jobs(1, h, w, false, jobs);
    const onednn::Convolution* down = downs_[i].get();
    jobs.push_back([=] { down->prepare(1, h, w); });
    const int64_t next_h = down->output_height(h), next_w = down->output_width(w);
    h = next_h;
    w = next_w;
  }
}

}  // namespace cdc
