// The oneDNN inference path (lib/onednn, diffusion/unet_onednn) against
// libtorch's modules on random weights: each operation, then the whole U-Net;
// and its results with 1 and 2 threads (identical).
#include <doctest/doctest.h>
#include <omp.h>

#include "common/threads.h"
#include "diffusion/unet.h"
#include "diffusion/unet_onednn.h"
#include "nn/layers.h"
#include "onednn/convolution.h"
#include "onednn/linear_attention.h"
#include "onednn/narrow_convolution.h"
#include "onednn/row_ops.h"
#include "onednn/tensor_bridge.h"
#include "onednn/upsample.h"

namespace {

using cdc::onednn::Activation;
using cdc::onednn::BufferPool;
using cdc::onednn::float_tensor;

Activation from_nchw(const torch::Tensor& x, BufferPool& pool) {
  Activation a = Activation::make(pool, x.size(0), x.size(2), x.size(3), x.size(1));
  torch::from_blob(a.data(), {a.n, a.h, a.w, a.c}, torch::kFloat32).copy_(x.permute({0, 2, 3, 1}));
  return a;
}

torch::Tensor to_nchw(const Activation& a) {
  return torch::from_blob(a.data(), {a.n, a.h, a.w, a.c}, torch::kFloat32)
      .permute({0, 3, 1, 2})
      .clone();
}

std::vector<Activation> activations(const std::vector<torch::Tensor>& ctx, BufferPool& pool) {
  std::vector<Activation> out;
  for (const auto& c : ctx) out.push_back(from_nchw(c, pool));
  return out;
}

// One U-Net call on NCHW tensors at time t.
torch::Tensor call(const cdc::UNetOneDnn& unet, const torch::Tensor& x, float t,
                   const cdc::UNetOneDnn::Prepared& prepared, BufferPool& pool) {
  Activation out = Activation::make(pool, x.size(0), x.size(2), x.size(3), x.size(1));
  unet.forward(from_nchw(x, pool), t, prepared, pool, out);
  return to_nchw(out);
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST_CASE("onednn: convolution with bias, residual sum and ReLU as libtorch; a primitive per thread count") {
  torch::InferenceMode guard;
  torch::manual_seed(1);
  BufferPool pool;
  const torch::Tensor x = torch::randn({2, 6, 9, 11});
  const torch::Tensor w = torch::randn({5, 6, 3, 3}), b = torch::randn({5});
  const torch::Tensor old = torch::randn({2, 5, 5, 6});
  cdc::onednn::Convolution conv(float_tensor(w), float_tensor(b), 2, 1);
  Activation dst = from_nchw(old, pool);
  conv.run(from_nchw(x, pool), dst, pool, /*accumulate=*/true, /*relu=*/true);
  const torch::Tensor want = torch::relu(torch::conv2d(x, w, b, 2, 1) + old);
  CHECK(max_diff(to_nchw(dst), want) < 1e-5);
  // Channels-last weights (as models store them) give the same.
  cdc::onednn::Convolution conv_cl(float_tensor(w.contiguous(torch::MemoryFormat::ChannelsLast)),
                                   float_tensor(b), 1, 1);
  omp_set_num_threads(1);
  const Activation out = conv_cl(from_nchw(x, pool), pool);
  CHECK(max_diff(to_nchw(out), torch::conv2d(x, w, b, 1, 1)) < 1e-5);

  // A oneDNN primitive keeps the thread count it was created under: one made
  // by a 1-thread call and reused by a 2-thread call ran on one thread
  // (measured: a 2-thread decode after a 1-thread one took 1.4x as long).
  // Each thread count met gets its own primitive, with the same result.
  CHECK(conv_cl.plan_count() == 1);
  (void)conv_cl(from_nchw(x, pool), pool);
  CHECK(conv_cl.plan_count() == 1);  // the same shape and threads: reused
  omp_set_num_threads(2);
  const Activation two = conv_cl(from_nchw(x, pool), pool);
  CHECK(conv_cl.plan_count() == 2);
  omp_set_num_threads(1);
  (void)conv_cl(from_nchw(x, pool), pool);
  CHECK(conv_cl.plan_count() == 2);  // back to the 1-thread primitive
  CHECK(torch::equal(to_nchw(out), to_nchw(two)));
}

TEST_CASE("onednn: 2x upsampling equals the 4x4 stride-2 transposed convolution") {
  torch::InferenceMode guard;
  torch::manual_seed(2);
  BufferPool pool;
  const torch::Tensor x = torch::randn({2, 8, 7, 9});
  const torch::Tensor w = torch::randn({8, 5, 4, 4}), b = torch::randn({5});
  cdc::onednn::Upsample2x up(float_tensor(w), float_tensor(b));
  const Activation out = up(from_nchw(x, pool), pool);
  CHECK(max_diff(to_nchw(out), torch::conv_transpose2d(x, w, b, 2, 1)) < 1e-4);
}

TEST_CASE("onednn: narrow convolution (few outputs, 7x7) equals libtorch's") {
  torch::InferenceMode guard;
  torch::manual_seed(3);
  BufferPool pool;
  const torch::Tensor x = torch::randn({2, 16, 70, 13});  // three bands of rows
  const torch::Tensor w = torch::randn({3, 16, 7, 7}), b = torch::randn({3});
  cdc::onednn::NarrowConvolution conv(float_tensor(w), float_tensor(b));
  Activation out = Activation::make(pool, 2, 70, 13, 3);
  conv.run(from_nchw(x, pool), out, pool);
  CHECK(max_diff(to_nchw(out), torch::conv2d(x, w, b, 1, 3)) < 1e-4);
}

TEST_CASE("onednn: layer norm with its epilogue, and the attention block, as libtorch") {
  torch::InferenceMode guard;
  torch::manual_seed(4);
  BufferPool pool;
  const int64_t c = 24;
  // 40 x 45 positions: more than one chunk of the softmax's partial sums.
  const torch::Tensor x = torch::randn({2, c, 40, 45});
  cdc::nn::AttentionBlock block(c);
  for (auto& p : block->parameters()) p.copy_(torch::randn_like(p) * 0.5);
  const auto params = block->named_parameters();
  const torch::Tensor g = params["fn.norm.g"], b = params["fn.norm.b"];

  const torch::Tensor add = torch::randn({2, c});
  const torch::Tensor res = torch::randn_like(x);
  Activation y = from_nchw(x, pool);
  cdc::onednn::NormEpilogue e;
  e.relu = true;
  e.add_per_image = add.data_ptr<float>();
  const Activation res_a = from_nchw(res, pool);
  e.residual = res_a.data();
  cdc::onednn::layer_norm(y, y, g.data_ptr<float>(), b.data_ptr<float>(), 1e-5f, e);
  cdc::nn::LayerNorm norm(c);
  norm->g.copy_(g);
  norm->b.copy_(b);
  const torch::Tensor want = torch::relu(norm->forward(x)) + add.view({2, c, 1, 1}) + res;
  CHECK(max_diff(to_nchw(y), want) < 1e-4);

  cdc::onednn::LinearAttentionBlock attn(
      float_tensor(g), float_tensor(b), float_tensor(params["fn.fn.to_qkv.weight"]),
      float_tensor(params["fn.fn.to_out.weight"]), float_tensor(params["fn.fn.to_out.bias"]));
  Activation z = from_nchw(x, pool);
  attn.run(z, pool);
  CHECK(max_diff(to_nchw(z), block->forward(x)) < 1e-4);
}

TEST_CASE("onednn: the U-Net equals libtorch's, with the same result on 1 and 2 threads") {
  torch::InferenceMode guard;
  torch::manual_seed(5);
  cdc::UNetParams params;
  params.dim = 16;
  params.dim_mults = {1, 2, 3};
  params.context_dim_mults = {1, 2};
  params.context_channels = 8;
  cdc::UNet unet(params);
  unet->eval();
  for (auto& p : unet->parameters()) p.copy_(torch::randn_like(p) * 0.2);
  const torch::Tensor x = torch::randn({1, 3, 64, 96});
  const torch::Tensor t = torch::full({1, 1}, 0.3f);
  const std::vector<torch::Tensor> ctx{torch::randn({1, 8, 64, 96}), torch::randn({1, 16, 32, 48})};
  const torch::Tensor want = unet->forward(x, t, ctx);

  cdc::UNetOneDnn fast(params, cdc::onednn::module_params(*unet));
  BufferPool pool;
  // The context prepared anew for each of these calls.
  auto once = [&] {
    BufferPool scratch;
    return fast.prepare(activations(ctx, scratch), scratch);
  };
  cdc::set_openmp_threads(1);
  const torch::Tensor one = call(fast, x, 0.3f, *once(), pool);
  cdc::set_openmp_threads(2);
  const torch::Tensor two = call(fast, x, 0.3f, *once(), pool);
  cdc::set_openmp_threads(1);
  CHECK(max_diff(one, want) < 1e-3 * (1 + want.abs().max().item<double>()));
  CHECK(torch::equal(one, two));
  // The pool served the second call from the first one's buffers.
  const auto prepared = fast.prepare(activations(ctx, pool), pool);
  (void)call(fast, x, 0.3f, *prepared, pool);
  const size_t held = pool.bytes_held();
  (void)call(fast, x, 0.3f, *prepared, pool);
  CHECK(pool.bytes_held() == held);

  // A decode prepares the context once: the first block's context terms
  // stand for context 0 at every step, with the same result.
  const torch::Tensor a = call(fast, x, 0.3f, *prepared, pool);
  const torch::Tensor b = call(fast, x * 0.5, 0.7f, *prepared, pool);
  CHECK(max_diff(a, one) < 1e-5 * (1 + one.abs().max().item<double>()));
  const torch::Tensor want_b = unet->forward(x * 0.5, torch::full({1, 1}, 0.7f), ctx);
  CHECK(max_diff(b, want_b) < 1e-3 * (1 + want_b.abs().max().item<double>()));
}
