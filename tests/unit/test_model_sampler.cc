// The diffusion schedule and decoding loop: step indices, deterministic and
// seeded stochastic starts, any number of steps, progress and cancellation,
// and image sizes.
#include <doctest/doctest.h>

#include "common/error.h"
#include "diffusion/noise_schedule.h"
#include "diffusion/sampler.h"
#include "hyperprior/gaussian_conditional.h"
#include "model_test_util.h"

TEST_CASE("noise schedule: indices and values") {
  CHECK(cdc::sample_indices(8193, 1) == std::vector<int64_t>{8192});
  CHECK(cdc::sample_indices(8193, 3) == std::vector<int64_t>{0, 4096, 8192});
  const auto all = cdc::sample_indices(50, 50);
  for (int i = 0; i < 50; ++i) CHECK(all[static_cast<size_t>(i)] == i);
  const auto ac = cdc::make_alphas_cumprod(cdc::NoiseSchedule::kCosine, 8193);
  CHECK(ac.size() == 8193);
  CHECK(ac.front() < 1.0);
  CHECK(ac.front() > 0.9999);
  for (size_t i = 1; i < ac.size(); ++i) CHECK(ac[i] <= ac[i - 1]);
  const auto lin = cdc::make_betas(cdc::NoiseSchedule::kLinear, 1000);
  CHECK(lin.front() == doctest::Approx(1e-4));
  CHECK(lin.back() == doctest::Approx(0.02));
}

TEST_CASE("sampler: start noise is seeded") {
  const auto a = cdc::start_noise({1, 3, 64, 64}, 0.8, 7);
  const auto b = cdc::start_noise({1, 3, 64, 64}, 0.8, 7);
  const auto c = cdc::start_noise({1, 3, 64, 64}, 0.8, 8);
  CHECK(torch::equal(a, b));
  CHECK(!torch::equal(a, c));
  CHECK(torch::equal(cdc::start_noise({1, 3, 64, 64}, 0.0, 7), torch::zeros({1, 3, 64, 64})));
  CHECK(a.std().item<double>() == doctest::Approx(0.8).epsilon(0.05));
}

TEST_CASE("sampler: deterministic and stochastic decodes, steps 1..T, progress") {
  torch::InferenceMode guard;
  const int T = 12;
  auto model = cdc_test::small_random_model(T);
  REQUIRE(model->config().num_timesteps == T);
  torch::manual_seed(3);
  const torch::Tensor x = torch::rand({1, 3, 64, 64}) * 2 - 1;
  const torch::Tensor y = model->analysis(x);
  const auto ctx = model->context(torch::round(y));

  const torch::Tensor d1 = model->sample(ctx, cdc_test::decoding(4, 0.0, 0), {});
  const torch::Tensor d2 = model->sample(ctx, cdc_test::decoding(4, 0.0, 99), {});
  CHECK(torch::equal(d1, d2));  // gamma 0: the seed does not matter
  const torch::Tensor s1 = model->sample(ctx, cdc_test::decoding(4, 0.8, 5), {});
  const torch::Tensor s2 = model->sample(ctx, cdc_test::decoding(4, 0.8, 5), {});
  const torch::Tensor s3 = model->sample(ctx, cdc_test::decoding(4, 0.8, 6), {});
  CHECK(torch::equal(s1, s2));
  CHECK(!torch::equal(s1, s3));
  CHECK(!torch::equal(s1, d1));

  for (int steps = 1; steps <= T; ++steps) {
    INFO("steps " << steps);
    std::vector<int> seen;
    const torch::Tensor out = model->sample(ctx, cdc_test::decoding(steps, 0.5, 1),
                                            [&](int done, int total, const torch::Tensor& x0) {
                                              CHECK(total == steps);
                                              CHECK(x0.sizes() == x.sizes());
                                              seen.push_back(done);
                                              return true;
                                            });
    CHECK(out.sizes() == x.sizes());
    CHECK(torch::isfinite(out).all().item<bool>());
    CHECK(out.abs().max().item<float>() <= 1.0f);
    REQUIRE(seen.size() == static_cast<size_t>(steps));
    for (int i = 0; i < steps; ++i) CHECK(seen[static_cast<size_t>(i)] == i + 1);
  }
  for (int bad : {0, T + 1}) {
    try {
      model->sample(ctx, cdc_test::decoding(bad, 0.0, 0), {});
      FAIL("expected an error");
    } catch (const cdc::Error& e) {
      CHECK(e.status() == CDC_STATUS_INVALID_ARGUMENT);
    }
  }
  int calls = 0;
  try {
    model->sample(ctx, cdc_test::decoding(5, 0.0, 0), [&](int, int, const torch::Tensor&) { return ++calls < 2; });
    FAIL("expected cancellation");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_CANCELLED);
  }
  CHECK(calls == 2);
}

TEST_CASE("model: any multiple-of-64 size") {
  torch::InferenceMode guard;
  auto model = cdc_test::small_random_model(8);
  CHECK(model->size_multiple() == 64);
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{64, 64}, {64, 192}, {128, 64}, {192, 256}};
  for (const auto& hw : sizes) {
    INFO("size " << hw.first << "x" << hw.second);
    const torch::Tensor x = torch::rand({1, 3, hw.first, hw.second}) * 2 - 1;
    const torch::Tensor y = model->analysis(x);
    CHECK(y.sizes() == torch::IntArrayRef({1, 32, hw.first / 16, hw.second / 16}));
    const torch::Tensor z = model->hyper_analysis(y);
    CHECK(z.sizes() == torch::IntArrayRef({1, 32, hw.first / 64, hw.second / 64}));
    const torch::Tensor z_hat = cdc::quantize_with_offset(z, model->prior_medians().reshape({1, -1, 1, 1}));
    const cdc::HyperParameters hp = model->hyper_synthesis(z_hat, true);
    CHECK(hp.mean.sizes() == y.sizes());
    CHECK(hp.scale.sizes() == y.sizes());
    CHECK(model->prior_likelihood(z_hat).sizes() == z.sizes());
    const torch::Tensor y_hat = cdc::quantize_with_offset(y, hp.mean);
    CHECK(model->gaussian_likelihood(y_hat, hp).sizes() == y.sizes());
    const auto ctx = model->context(y_hat);
    const torch::Tensor out = model->sample(ctx, cdc_test::decoding(2, 0.8, 1), {});
    CHECK(out.sizes() == x.sizes());
  }
  // Sizes that are not multiples of 64 are rejected (the codec pads).
  try {
    model->analysis(torch::zeros({1, 3, 65, 64}));
    FAIL("expected an error");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_INVALID_ARGUMENT);
  }
}
