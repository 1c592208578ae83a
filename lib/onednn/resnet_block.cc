#include "onednn/resnet_block.h"

#include <cmath>
#include <cstring>

#include "common/error.h"
#include "onednn/row_ops.h"

namespace cdc::onednn {

const FloatTensor& named_param(const ParamMap& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end() || !it->second.defined())
    fail(CDC_STATUS_INTERNAL_ERROR, "oneDNN path: no parameter '{}'", name);
  return it->second;
}

std::vector<float> linear_rows(const float* in, int64_t rows, const FloatTensor& weight,
                               const FloatTensor& bias, LinearInput act) {
  const int64_t out = weight.size(0), k = weight.numel() / out;
  if (bias.numel() != out) fail(CDC_STATUS_INTERNAL_ERROR, "linear_rows: bias size");
  std::vector<float> a(static_cast<size_t>(rows * k)), y(static_cast<size_t>(rows * out));
  for (int64_t i = 0; i < rows * k; ++i) {
    const float v = in[i];
    switch (act) {
      case LinearInput::kIdentity: a[i] = v; break;
      case LinearInput::kLeakyRelu: a[i] = v >= 0.0f ? v : 0.2f * v; break;
      case LinearInput::kGelu: a[i] = 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f)); break;
    }
  }
  const float* w = weight.data();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      float s = 0.0f;
      for (int64_t j = 0; j < k; ++j) s += w[o * k + j] * a[r * k + j];
      y[r * out + o] = s + bias.data()[o];
    }
  return y;
}

namespace {
FloatTensor flat(const FloatTensor& t) { return t.reshape({t.numel()}); }
}  // namespace

ResnetBlock::ResnetBlock(const ParamMap& p, const std::string& prefix,
                         bool large_filter, int64_t split_channels) {
  const int64_t k1 = large_filter ? 7 : 3;
  conv1_ = std::make_unique<Convolution>(named_param(p, prefix + "block1.block.0.weight"),
                                         named_param(p, prefix + "block1.block.0.bias"), 1, k1 / 2);
  conv2_ = std::make_unique<Convolution>(named_param(p, prefix + "block2.block.0.weight"),
                                         named_param(p, prefix + "block2.block.0.bias"), 1, 1);
  g1_ = flat(named_param(p, prefix + "block1.block.1.g"));
  b1_ = flat(named_param(p, prefix + "block1.block.1.b"));
  g2_ = flat(named_param(p, prefix + "block2.block.1.g"));
  b2_ = flat(named_param(p, prefix + "block2.block.1.b"));
  if (p.count(prefix + "res_conv.weight"))
    res_ = std::make_unique<Convolution>(named_param(p, prefix + "res_conv.weight"),
                                         named_param(p, prefix + "res_conv.bias"), 1, 0);
  if (split_channels > 0 && res_ && split_channels < conv1_->in_channels()) {
    const FloatTensor& w1 = named_param(p, prefix + "block1.block.0.weight");
    const FloatTensor& wr = named_param(p, prefix + "res_conv.weight");
    const int64_t rest = w1.size(1) - split_channels;
    conv1_x_ = std::make_unique<Convolution>(w1.narrow_dim1(0, split_channels), FloatTensor(), 1,
                                             k1 / 2);
    conv1_c_ = std::make_unique<Convolution>(w1.narrow_dim1(split_channels, rest),
                                             named_param(p, prefix + "block1.block.0.bias"), 1,
                                             k1 / 2);
    res_x_ = std::make_unique<Convolution>(wr.narrow_dim1(0, split_channels), FloatTensor(), 1, 0);
    res_c_ = std::make_unique<Convolution>(wr.narrow_dim1(split_channels, rest),
                                           named_param(p, prefix + "res_conv.bias"), 1, 0);
  }
  if (p.count(prefix + "mlp.1.weight")) {
    mlp_w_ = named_param(p, prefix + "mlp.1.weight");
    mlp_b_ = named_param(p, prefix + "mlp.1.bias");
  }
}

Activation ResnetBlock::finish(Activation h, const FloatTensor& time, const float* residual,
                               BufferPool& pool) const {
  std::vector<float> e;  // B x C
  if (time.defined() && mlp_w_.defined()) {
    if (time.size(0) != h.n) fail(CDC_STATUS_INTERNAL_ERROR, "ResnetBlock: time rows");
    e = linear_rows(time.data(), time.size(0), mlp_w_, mlp_b_, LinearInput::kLeakyRelu);
  }
  NormEpilogue first;
  first.relu = true;
  if (!e.empty()) first.add_per_image = e.data();
  layer_norm(h, h, g1_.data(), b1_.data(), 1e-5f, first);
  Activation out = (*conv2_)(h, pool);
  h = Activation();  // back to the pool
  NormEpilogue second;
  second.relu = true;
  second.residual = residual;
  layer_norm(out, out, g2_.data(), b2_.data(), 1e-5f, second);
  return out;
}

Activation ResnetBlock::run(const Activation& x, const FloatTensor& time,
                            BufferPool& pool) const {
  Activation out = finish((*conv1_)(x, pool), time, res_ ? nullptr : x.data(), pool);
  if (res_) res_->run(x, out, pool, /*accumulate=*/true);
  return out;
}

ResnetBlock::ContextTerms ResnetBlock::context_terms(const Activation& context,
                                                     BufferPool& pool) const {
  CDC_CHECK(splits());
  return {(*conv1_c_)(context, pool), (*res_c_)(context, pool)};
}

Activation ResnetBlock::run_split(const Activation& x, const ContextTerms& terms,
                                  const FloatTensor& time, BufferPool& pool) const {
  CDC_CHECK(splits() && terms.conv1.rows() == x.rows());
  // h = conv1_c(c) + bias + conv1_x(x): the context's term, then x's summed in.
  Activation h = Activation::make(pool, terms.conv1.n, terms.conv1.h, terms.conv1.w,
                                  terms.conv1.c);
  const float* src = terms.conv1.data();
  float* dst = h.data();
  parallel_chunks(static_cast<int64_t>(h.numel()), int64_t{1} << 20,
                  [&](int64_t, int64_t begin, int64_t end) {
                    std::memcpy(dst + begin, src + begin,
                                static_cast<size_t>(end - begin) * sizeof(float));
                  });
  conv1_x_->run(x, h, pool, /*accumulate=*/true);
  Activation out = finish(std::move(h), time, terms.residual.data(), pool);
  res_x_->run(x, out, pool, /*accumulate=*/true);
  return out;
}

void ResnetBlock::plan_jobs(int64_t n, int64_t h, int64_t w, bool split, PlanJobs& jobs) const {
  const Convolution* c2 = conv2_.get();
  const int64_t h2 = conv1_->output_height(h), w2 = conv1_->output_width(w);
  jobs.push_back([=] { c2->prepare(n, h2, w2); });
  if (split && splits()) {
    for (const Convolution* c : {conv1_c_.get(), res_c_.get()})
      jobs.push_back([=] { c->prepare(n, h, w); });
    for (const Convolution* c : {conv1_x_.get(), res_x_.get()})
      jobs.push_back([=] { c->prepare(n, h, w, /*accumulate=*/true); });
    return;
  }
  const Convolution* c1 = conv1_.get();
  jobs.push_back([=] { c1->prepare(n, h, w); });
  if (res_) {
    const Convolution* r = res_.get();
    jobs.push_back([=] { r->prepare(n, h, w, /*accumulate=*/true); });
  }
}

}  // namespace cdc::onednn
