// Checks shared by the parity tests of the model variants against the
// reference's golden vectors.
#pragma once

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "hyperprior/gaussian_conditional.h"
#include "model/model.h"
#include "model_test_util.h"

namespace cdc_test {

constexpr double kParityTol = 1e-4;

// Absolute tolerance; with `relative`, scaled by the magnitude when that is
// above 1 (for a decode that leaves [-1, 1] far behind).
inline void check_close(const std::string& name, const torch::Tensor& got,
                        const torch::Tensor& want, double tol = kParityTol,
                        bool relative = false) {
  INFO("tensor " << name);
  REQUIRE(got.sizes() == want.sizes());
  const double err = max_abs_diff(got, want);
  const double mag = want.to(torch::kFloat64).abs().max().item<double>();
  MESSAGE(name << ": max abs error " << err << " (max |value| " << mag << ")");
  CHECK(err <= tol * (relative ? std::max(1.0, mag) : 1.0));
}

struct CompressorParity {
  torch::Tensor z_hat, y_hat;
  cdc::HyperParameters hp;  // the reference's float32 path
  std::vector<torch::Tensor> context;
};

// Runs the compressor stages on x and checks latent, hyper-latent, medians,
// quantized latents, mean, scale and the context features against expected.
inline CompressorParity check_compressor_parity(const cdc::Model& model, const torch::Tensor& x,
                                                std::map<std::string, torch::Tensor>& expected) {
  const torch::Tensor y = model.analysis(x);
  check_close("latent", y, expected["latent"]);
  const torch::Tensor z = model.hyper_analysis(y);
  check_close("hyper_latent", z, expected["hyper_latent"]);
  const torch::Tensor medians = model.prior_medians().reshape({1, -1, 1, 1});
  check_close("prior_medians", medians, expected["prior_medians"]);
  CompressorParity out;
  out.z_hat = cdc::quantize_with_offset(z, medians);
  check_close("q_hyper_latent", out.z_hat, expected["q_hyper_latent"]);
  out.hp = model.hyper_synthesis(out.z_hat, false);
  check_close("latent_mean", out.hp.mean, expected["latent_mean"]);
  check_close("latent_scale", out.hp.scale, expected["latent_scale"]);
  out.y_hat = cdc::quantize_with_offset(y, out.hp.mean);
  check_close("q_latent", out.y_hat, expected["q_latent"]);
  out.context = model.context(out.y_hat);
  REQUIRE(out.context.size() == 4);
  for (size_t i = 0; i < out.context.size(); ++i)
    check_close("context_" + std::to_string(i), out.context[i],
                expected["context_" + std::to_string(i)]);
  return out;
}

// The model's rate estimate (-log2 of both likelihoods over H * W) against
// the reference's, within 0.1%.
inline void check_rate_estimate(const cdc::Model& model, const CompressorParity& c,
                                const torch::Tensor& x,
                                std::map<std::string, torch::Tensor>& expected) {
  const double bits = cdc::rate_bits(model.prior_likelihood(c.z_hat)) +
                      cdc::rate_bits(model.gaussian_likelihood(c.y_hat, c.hp));
  const double bpp = bits / static_cast<double>(x.size(2) * x.size(3));
  const double want = expected["bpp_estimate"].item<double>();
  MESSAGE("bpp " << bpp << " (reference " << want << ")");
  CHECK(std::abs(bpp - want) <= 1e-3 * std::abs(want));
}

}  // namespace cdc_test
