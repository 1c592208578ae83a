#include "diffusion/unet_onednn.h"

#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "common/error.h"
#include "onednn/narrow_convolution.h"
#include "onednn/resnet_block.h"
#include "onednn/row_ops.h"
#include "onednn/upsample.h"

namespace cdc {

using onednn::Activation;
using onednn::BufferPool;
using onednn::Convolution;
using onednn::LinearAttentionBlock;

namespace {

using onednn::ParamMap;

// Input channels from which the last convolution runs as a narrow one.
constexpr int64_t kNarrowMinInput = 32;

const FloatTensor& param(const ParamMap& p, const std::string& name) {
  return onednn::named_param(p, name);
}

FloatTensor flat(const FloatTensor& t) { return t.reshape({t.numel()}); }

}  // namespace

struct UNetOneDnn::Level {
  std::unique_ptr<onednn::ResnetBlock> block1, block2;
  std::unique_ptr<LinearAttentionBlock> attn;
  std::unique_ptr<Convolution> down;          // downs: stride-2 conv (not at the last)
  std::unique_ptr<onednn::Upsample2x> up;     // ups
};

namespace {

std::unique_ptr<LinearAttentionBlock> attention(const ParamMap& p, const std::string& prefix) {
  return std::make_unique<LinearAttentionBlock>(
      param(p, prefix + "fn.norm.g"), param(p, prefix + "fn.norm.b"),
      param(p, prefix + "fn.fn.to_qkv.weight"), param(p, prefix + "fn.fn.to_out.weight"),
      param(p, prefix + "fn.fn.to_out.bias"));
}

}  // namespace

UNetOneDnn::UNetOneDnn(const UNetParams& shape, const ParamMap& p) : params_(shape) {
  time_w1_ = param(p, "time_mlp.0.weight");
  time_b1_ = param(p, "time_mlp.0.bias");
  time_w2_ = param(p, "time_mlp.2.weight");
  time_b2_ = param(p, "time_mlp.2.bias");
  const size_t levels = params_.dim_mults.size();
  for (size_t i = 0; i < levels; ++i) {
    const std::string prefix = "downs." + std::to_string(i) + ".";
    Level lv;
    // The first block's input is [x, context 0]: split it there.
    lv.block1 = std::make_unique<onednn::ResnetBlock>(p, prefix + "0.", i == 0,
                                                      i == 0 ? params_.channels : 0);
    lv.block2 = std::make_unique<onednn::ResnetBlock>(p, prefix + "1.", false);
    lv.attn = attention(p, prefix + "2.");
    if (i + 1 < levels)
      lv.down = std::make_unique<Convolution>(param(p, prefix + "3.conv.weight"),
                                              param(p, prefix + "3.conv.bias"), 2, 1);
    downs_.push_back(std::move(lv));
  }
  mid1_ = std::make_unique<onednn::ResnetBlock>(p, "mid_block1.", false);
  mid_attn_ = attention(p, "mid_attn.");
  mid2_ = std::make_unique<onednn::ResnetBlock>(p, "mid_block2.", false);
  for (size_t j = 0; j + 1 < levels; ++j) {
    const std::string prefix = "ups." + std::to_string(j) + ".";
    Level lv;
    lv.block1 = std::make_unique<onednn::ResnetBlock>(p, prefix + "0.", false);
    lv.block2 = std::make_unique<onednn::ResnetBlock>(p, prefix + "1.", false);
    lv.attn = attention(p, prefix + "2.");
    lv.up = std::make_unique<onednn::Upsample2x>(param(p, prefix + "3.conv.weight"),
                                                 param(p, prefix + "3.conv.bias"));
    ups_.push_back(std::move(lv));
  }
  final_g_ = flat(param(p, "final_conv.0.g"));
  final_b_ = flat(param(p, "final_conv.0.b"));
  // The last convolution (dim -> 3 channels, 7x7): as a 1x1 product plus tap
  // sums where its input is wide (the paper's 64 channels, where oneDNN's
  // direct convolution fills its vectors poorly), directly where it is narrow
  // (the tap channels would cost more memory traffic than the product saves:
  // measured for 8 input channels, 109 ms against about 12 ms at 768x512).
  const FloatTensor& final_w = param(p, "final_conv.1.weight");
  const FloatTensor& final_bias = param(p, "final_conv.1.bias");
  if (final_w.size(1) >= kNarrowMinInput)
    final_conv_ = std::make_unique<onednn::NarrowConvolution>(final_w, final_bias);
  else
    final_direct_ = std::make_unique<Convolution>(final_w, final_bias, 1, final_w.size(2) / 2);
}

UNetOneDnn::~UNetOneDnn() = default;

struct UNetOneDnn::Prepared {
  // contexts[i] joins level i; contexts[0] stays empty where first_terms
  // stand for it.
  std::vector<Activation> contexts;
  std::optional<onednn::ResnetBlock::ContextTerms> first_terms;
};

namespace {

// CDC_CONTEXT_TERMS=0 in the environment convolves [x, context 0] at every
// step instead of computing context 0's terms once (for before/after
// measurements).
bool context_terms_enabled() {
  static const bool terms = [] {
    const char* v = std::getenv("CDC_CONTEXT_TERMS");
    return v == nullptr || std::string(v) != "0";
  }();
  return terms;
}

}  // namespace

std::shared_ptr<const UNetOneDnn::Prepared> UNetOneDnn::prepare(
    const std::vector<Activation>& context, BufferPool& pool) const {
  auto prepared = std::make_shared<Prepared>();
  prepared->contexts = context;
  const onednn::ResnetBlock& first = *downs_.front().block1;
  if (!prepared->contexts.empty() && first.splits() && context_terms_enabled()) {
    prepared->first_terms = first.context_terms(prepared->contexts.front(), pool);
    prepared->contexts.front() = Activation();
  }
  return prepared;
}

void UNetOneDnn::forward(const Activation& x_in, float t, const Prepared& prepared,
                         BufferPool& pool, const Activation& out) const {
  const int64_t n = x_in.n;
  if (x_in.c != params_.channels || out.n != n || out.h != x_in.h || out.w != x_in.w ||
      out.c != params_.channels)
    fail(CDC_STATUS_INTERNAL_ERROR, "UNetOneDnn: shape mismatch");
  // time_mlp: Linear(1, 4d) -> GELU -> Linear(4d, d), the same for every image.
  const std::vector<float> hidden =
      onednn::linear_rows(&t, 1, time_w1_, time_b1_, onednn::LinearInput::kIdentity);
  const std::vector<float> one =
      onednn::linear_rows(hidden.data(), 1, time_w2_, time_b2_, onednn::LinearInput::kGelu);
  std::vector<float> rows;
  for (int64_t i = 0; i < n; ++i) rows.insert(rows.end(), one.begin(), one.end());
  const FloatTensor time =
      FloatTensor::from_values({n, static_cast<int64_t>(one.size())}, std::move(rows));
  Activation x = x_in;
  std::vector<Activation> skips;
  const std::vector<Activation>& context = prepared.contexts;
  for (size_t i = 0; i < downs_.size(); ++i) {
    const Level& lv = downs_[i];
    if (i == 0 && prepared.first_terms) {
      x = lv.block1->run_split(x, *prepared.first_terms, time, pool);
    } else {
      if (i < context.size() && context[i].buffer) x = onednn::concat_channels(x, context[i], pool);
      x = lv.block1->run(x, time, pool);
    }
    x = lv.block2->run(x, time, pool);
    lv.attn->run(x, pool);
    // Skip 0 (full resolution) is never used: not kept.
    if (i > 0) skips.push_back(x);
    if (lv.down) x = (*lv.down)(x, pool);
  }
  x = mid1_->run(x, time, pool);
  mid_attn_->run(x, pool);
  x = mid2_->run(x, time, pool);
  for (const Level& lv : ups_) {
    x = onednn::concat_channels(x, skips.back(), pool);
    skips.pop_back();
    x = lv.block1->run(x, time, pool);
    x = lv.block2->run(x, time, pool);
    lv.attn->run(x, pool);
    x = (*lv.up)(x, pool);
  }
  skips.clear();
  onednn::layer_norm(x, x, final_g_.data(), final_b_.data(), 1e-5f);
  if (final_conv_)
    final_conv_->run(x, out, pool);
  else
    final_direct_->run(x, out, pool);
}

void UNetOneDnn::plan_jobs(int64_t n, int64_t h, int64_t w, onednn::PlanJobs& jobs) const {
  // The shapes forward() meets, level by level.
  const int64_t full_h = h, full_w = w;
  for (size_t i = 0; i < downs_.size(); ++i) {
    const Level& lv = downs_[i];
    lv.block1->plan_jobs(n, h, w, i == 0 && context_terms_enabled(), jobs);
    lv.block2->plan_jobs(n, h, w, false, jobs);
    lv.attn->plan_jobs(n, h, w, jobs);
    if (lv.down) {
      const Convolution* down = lv.down.get();
      jobs.push_back([=] { down->prepare(n, h, w); });
      const int64_t next_h = down->output_height(h), next_w = down->output_width(w);
      h = next_h;
      w = next_w;
    }
  }
  mid1_->plan_jobs(n, h, w, false, jobs);
  mid_attn_->plan_jobs(n, h, w, jobs);
  mid2_->plan_jobs(n, h, w, false, jobs);
  for (const Level& lv : ups_) {
    lv.block1->plan_jobs(n, h, w, false, jobs);
    lv.block2->plan_jobs(n, h, w, false, jobs);
    lv.attn->plan_jobs(n, h, w, jobs);
    lv.up->plan_jobs(n, h, w, jobs);
    h *= 2;
    w *= 2;
  }
  if (final_direct_) {
    const Convolution* last = final_direct_.get();
    jobs.push_back([=] { last->prepare(n, full_h, full_w); });
  }
}

}  // namespace cdc
