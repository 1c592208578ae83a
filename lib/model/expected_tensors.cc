#include "model/expected_tensors.h"

#include <algorithm>

namespace cdc {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

void linear(Shapes& s, const std::string& p, int64_t in, int64_t out) {
  s[p + "weight"] = {out, in};
  s[p + "bias"] = {out};
}
void conv(Shapes& s, const std::string& p, int64_t in, int64_t out, int64_t k, bool bias = true) {
  s[p + "weight"] = {out, in, k, k};
  if (bias) s[p + "bias"] = {out};
}
void transposed(Shapes& s, const std::string& p, int64_t in, int64_t out, int64_t k) {
  s[p + "weight"] = {in, out, k, k};
  s[p + "bias"] = {out};
}
void norm(Shapes& s, const std::string& p, int64_t dim) {
  s[p + "g"] = {1, dim, 1, 1};
  s[p + "b"] = {1, dim, 1, 1};
}
void resnet(Shapes& s, const std::string& p, int64_t in, int64_t out, int64_t time_dim,
            bool large) {
  if (time_dim > 0) linear(s, p + "mlp.1.", time_dim, out);
  conv(s, p + "block1.block.0.", in, out, large ? 7 : 3);
  norm(s, p + "block1.block.1.", out);
  conv(s, p + "block2.block.0.", out, out, 3);
  norm(s, p + "block2.block.1.", out);
  if (in != out) conv(s, p + "res_conv.", in, out, 1);
}
void attention(Shapes& s, const std::string& p, int64_t dim) {
  norm(s, p + "fn.norm.", dim);
  conv(s, p + "fn.fn.to_qkv.", dim, 3 * dim, 1, /*bias=*/false);
  conv(s, p + "fn.fn.to_out.", dim, dim, 1);
}

void unet(Shapes& s, const ModelConfig& c) {
  const std::string u = "denoise_fn.";
  const int64_t d = c.dim;
  linear(s, u + "time_mlp.0.", 1, 4 * d);
  linear(s, u + "time_mlp.2.", 4 * d, d);
  std::vector<int64_t> dims{c.channels};
  for (int m : c.dim_mults) dims.push_back(d * m);
  std::vector<int64_t> ctx{c.context_channels};
  for (int m : c.context_dim_mults) ctx.push_back(d * m);
  const size_t levels = dims.size() - 1;
  for (size_t i = 0; i < levels; ++i) {
    const std::string p = u + "downs." + std::to_string(i) + ".";
    const bool last = i + 1 == levels;
    const bool with_ctx = !last && i < ctx.size() - 1;
    resnet(s, p + "0.", dims[i] + (with_ctx ? ctx[i] : 0), dims[i + 1], d, i == 0);
    resnet(s, p + "1.", dims[i + 1], dims[i + 1], d, false);
    attention(s, p + "2.", dims[i + 1]);
    if (!last) conv(s, p + "3.conv.", dims[i + 1], dims[i + 1], 3);
  }
  const int64_t mid = dims.back();
  resnet(s, u + "mid_block1.", mid, mid, d, false);
  attention(s, u + "mid_attn.", mid);
  resnet(s, u + "mid_block2.", mid, mid, d, false);
  for (size_t j = levels - 1, k = 0; j >= 1; --j, ++k) {
    const std::string p = u + "ups." + std::to_string(k) + ".";
    resnet(s, p + "0.", dims[j + 1] * 2, dims[j], d, false);
    resnet(s, p + "1.", dims[j], dims[j], d, false);
    attention(s, p + "2.", dims[j]);
    transposed(s, p + "3.conv.", dims[j], dims[j], 4);
  }
  norm(s, u + "final_conv.0.", d);
  conv(s, u + "final_conv.1.", d, c.channels, 7);
}

void compressor(Shapes& s, const ModelConfig& c) {
  const std::string f = "context_fn.";
  const int64_t base = c.compressor_dim;
  const int64_t z = c.hyper_latent_channels();
  const int64_t filters[] = {1, 3, 3, 3, 1};
  for (size_t i = 0; i + 1 < 5; ++i) {
    const std::string p = f + "prior.affine." + std::to_string(i) + ".";
    s[p + "weight"] = {z, 1, 1, filters[i], filters[i + 1]};
    s[p + "bias"] = {z, 1, 1, 1, filters[i + 1]};
    if (i + 2 < 5) s[f + "prior.a." + std::to_string(i)] = {z, 1, 1, 1, filters[i + 1]};
  }
  s[f + "prior._medians"] = {1, z, 1, 1};
  // Slot of the resampling conv: 2 where the epsilon-param layout has an
  // Identity in slot 1.
  const std::string slot = c.variant == ModelVariant::kEpsilonParam ? ".2.conv." : ".1.conv.";
  int64_t in = c.channels;
  for (size_t i = 0; i < c.compressor_dim_mults.size(); ++i) {
    const std::string p = f + "enc." + std::to_string(i);
    const int64_t out = base * c.compressor_dim_mults[i];
    resnet(s, p + ".0.", in, out, 0, i == 0);
    conv(s, p + slot, out, out, 3);
    in = out;
  }
  std::vector<int64_t> dims;
  for (int m : c.reverse_dim_mults) dims.push_back(base * m);
  dims.push_back(c.out_channels);
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    const std::string p = f + "dec." + std::to_string(i);
    const int64_t mid = i + 2 == dims.size() ? dims[i] : dims[i + 1];
    resnet(s, p + ".0.", dims[i], mid, 0, false);
    transposed(s, p + slot, mid, dims[i + 1], 4);
  }
  const int64_t latent = c.latent_channels();
  std::vector<int64_t> hyper{latent};
  for (int m : c.hyper_dims_mults) hyper.push_back(base * m);
  for (size_t i = 0; i + 1 < hyper.size(); ++i)
    conv(s, f + "hyper_enc." + std::to_string(i) + ".0.", hyper[i], hyper[i + 1], i == 0 ? 3 : 5);
  hyper.front() = 2 * latent;
  std::reverse(hyper.begin(), hyper.end());
  for (size_t i = 0; i + 1 < hyper.size(); ++i) {
    const std::string p = f + "hyper_dec." + std::to_string(i) + ".0.";
    if (i + 2 < hyper.size())
      transposed(s, p, hyper[i], hyper[i + 1], 5);
    else
      conv(s, p, hyper[i], hyper[i + 1], 3);
  }
}

}  // namespace

std::map<std::string, std::vector<int64_t>> expected_tensors(const ModelConfig& config) {
  Shapes s;
  s["train_alphas_cumprod"] = {config.num_timesteps};
  unet(s, config);
  compressor(s, config);
  return s;
}

}  // namespace cdc
