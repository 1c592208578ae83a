#include "onednn/convolution.h"

#include <omp.h>

#include <atomic>
#include <string>

#include "common/error.h"

namespace cdc::onednn {

using dnnl::memory;

Convolution::Convolution(const FloatTensor& weight, const FloatTensor& bias, int64_t stride,
                         int64_t padding)
    : Convolution(weight, bias, stride, {padding, padding, padding, padding}) {}

Convolution::Convolution(const FloatTensor& weight, const FloatTensor& bias, int64_t stride,
                         const std::array<int64_t, 4>& padding)
    : stride_(stride), padding_(padding) {
  if (!weight.defined() || weight.dim() != 4 || weight.size(2) != weight.size(3))
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::Convolution: expected a square OIHW weight");
  weight_ = weight;
  out_ = weight.size(0);
  in_ = weight.size(1);
  kernel_ = weight.size(2);
  if (bias.defined()) {
    if (bias.numel() != out_) fail(CDC_STATUS_INTERNAL_ERROR, "onednn::Convolution: bias size");
    bias_ = bias;
  }
}

int64_t Convolution::output_height(int64_t input) const {
  const int64_t pad = padding_[0] + padding_[2];
  return (input + pad - kernel_) / stride_ + 1;
}

int64_t Convolution::output_width(int64_t input) const {
  const int64_t pad = padding_[1] + padding_[3];
  return (input + pad - kernel_) / stride_ + 1;
}

namespace {

// A primitive descriptor, or an empty one when oneDNN has only its reference
// kernel for a bfloat16 convolution of this shape (far slower than float32).
dnnl::convolution_forward::primitive_desc make_primitive_desc(
    const dnnl::convolution_forward::desc& d, const dnnl::primitive_attr& attr, bool bf16) {
  dnnl::convolution_forward::primitive_desc pd;
  try {
    pd = dnnl::convolution_forward::primitive_desc(d, attr, cpu_engine());
  } catch (const dnnl::error&) {
    if (bf16) return {};
    throw;
  }
  if (bf16 && std::string(pd.impl_info_str()).find("ref") != std::string::npos) return {};
  return pd;
}

}  // namespace

namespace {
std::atomic<size_t> plans_made{0}, plans_made_ahead{0};
}  // namespace

size_t Convolution::plans_created() { return plans_made.load(); }
size_t Convolution::plans_created_ahead() { return plans_made_ahead.load(); }

const Convolution::Plan& Convolution::plan(int64_t n, int64_t h, int64_t w, bool accumulate,
                                           bool relu, float negative_slope, bool bf16,
                                           bool ahead) const {
  // The thread count oneDNN gives a primitive created now (its nthr).
  const int threads = omp_get_max_threads();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& p : plans_)
    if (p->n == n && p->h == h && p->w == w && p->accumulate == accumulate && p->relu == relu &&
        p->negative_slope == negative_slope && p->bf16_asked == bf16 && p->threads == threads)
      return *p;

  const auto& eng = cpu_engine();
  const int64_t oh = output_height(h), ow = output_width(w);
  const memory::desc bias = bias_.defined()
                                ? memory::desc({out_}, memory::data_type::f32, memory::format_tag::x)
                                : memory::desc();
  dnnl::post_ops ops;
  if (accumulate) ops.append_sum(1.0f);
  if (relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, negative_slope, 0.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const memory::dims strides{stride_, stride_}, pad_l{padding_[0], padding_[1]},
      pad_r{padding_[2], padding_[3]};
  auto describe = [&](memory::data_type type) {
    const memory::desc src = nhwc_desc(n, in_, h, w, type), dst = nhwc_desc(n, out_, oh, ow);
    const memory::desc any_weights({out_, in_, kernel_, kernel_}, type, memory::format_tag::any);
    return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                           dnnl::algorithm::convolution_direct, src, any_weights,
                                           bias, dst, strides, pad_l, pad_r);
  };

  ProfileScope profile("conv_plan", Activation{nullptr, n, h, w, in_});
  auto p = std::make_unique<Plan>();
  p->n = n;
  p->h = h;
  p->w = w;
  p->accumulate = accumulate;
  p->relu = relu;
  p->negative_slope = negative_slope;
  p->bf16_asked = bf16;
  p->threads = threads;
  dnnl::convolution_forward::primitive_desc pd;
  if (bf16) pd = make_primitive_desc(describe(memory::data_type::bf16), attr, true);
  p->bf16 = bf16 && pd;
  if (!pd) pd = make_primitive_desc(describe(memory::data_type::f32), attr, false);
  p->primitive = dnnl::convolution_forward(pd);
  const memory::desc weights_desc = pd.weights_desc();
  p->scratchpad = pd.scratchpad_desc();
  // Reuse the reordered weights of an earlier plan with the same layout.
  for (const auto& q : plans_)
    if (q->weights.get_desc() == weights_desc) {
      p->weights = q->weights;
      break;
    }
  if (!p->weights) {
    const memory::desc user({out_, in_, kernel_, kernel_}, memory::data_type::f32,
                            memory::format_tag::oihw);
    memory user_mem(user, eng, const_cast<float*>(weight_.data()));
    p->weights = memory(weights_desc, eng);  // the reorder rounds to bfloat16 where asked
    dnnl::stream s(eng);
    dnnl::reorder(user_mem, p->weights).execute(s, user_mem, p->weights);
    s.wait();
  }
  plans_.push_back(std::move(p));
  ++plans_made;
  if (ahead) ++plans_made_ahead;
  return *plans_.back();
}

void Convolution::run(const Activation& src, const Activation& dst, BufferPool& pool,
                      bool accumulate, bool relu, float negative_slope) const {
  if (src.c != in_ || dst.c != out_ || dst.n != src.n || dst.h != output_height(src.h) ||
      dst.w != output_width(src.w))
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::Convolution: shape mismatch");
  const bool bf16_asked = current_precision() == Precision::kBfloat16;
  const Plan& p = plan(src.n, src.h, src.w, accumulate, relu, negative_slope, bf16_asked);
  const auto& eng = cpu_engine();
  std::shared_ptr<float> rounded;  // the source in bfloat16
  memory src_mem;
  if (p.bf16) {
    rounded = pool.get((src.numel() + 1) / 2);
    auto* half = reinterpret_cast<uint16_t*>(rounded.get());
    round_to_bf16(src.data(), half, src.numel());
    src_mem = memory(nhwc_desc(src.n, src.c, src.h, src.w, memory::data_type::bf16), eng, half);
  } else {
    src_mem = memory(nhwc_desc(src.n, src.c, src.h, src.w), eng, src.data());
  }
  memory dst_mem(nhwc_desc(dst.n, dst.c, dst.h, dst.w), eng, dst.data());
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, dst_mem}};
  if (bias_.defined())
    args.emplace(DNNL_ARG_BIAS, memory(memory::desc({out_}, memory::data_type::f32,
                                                    memory::format_tag::x),
                                       eng, const_cast<float*>(bias_.data())));
  std::shared_ptr<float> scratch;
  if (p.scratchpad.get_size() > 0) {
    scratch = pool.get((p.scratchpad.get_size() + sizeof(float) - 1) / sizeof(float));
    args.emplace(DNNL_ARG_SCRATCHPAD, memory(p.scratchpad, eng, scratch.get()));
  }
  dnnl::stream s(eng);
  const char* what = p.bf16         ? "conv_bf16"
                     : kernel_ == 1 ? "conv1x1"
                     : kernel_ == 3 ? "conv3x3"
                                    : "conv";
  ProfileScope profile(what, src);
  p.primitive.execute(s, args);
  s.wait();
}

void Convolution::prepare(int64_t n, int64_t h, int64_t w, bool accumulate, bool relu,
                          float negative_slope) const {
  plan(n, h, w, accumulate, relu, negative_slope, current_precision() == Precision::kBfloat16,
       /*ahead=*/true);
}

size_t Convolution::plan_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return plans_.size();
}

Activation Convolution::operator()(const Activation& src, BufferPool& pool) const {
  Activation dst = Activation::make(pool, src.n, output_height(src.h), output_width(src.w), out_);
  run(src, dst, pool);
  return dst;
}

}  // namespace cdc::onednn
