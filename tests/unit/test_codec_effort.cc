// Encoder effort (CDC_OPTION_EFFORT): the latent refinement lowers the
// objective the model was trained for, keeps the stream an ordinary stream,
// refuses models that do not know their rate weight, and can be cancelled.
#include <doctest/doctest.h>

#include <filesystem>

#include "codec/codec.h"
#include "codec/latent_refinement.h"
#include "codec/tiling.h"
#include "image/pixels.h"
#include "common/error.h"
#include "model_test_util.h"

namespace {

constexpr double kLambda = 0.01;

// The golden model with a 1-step deterministic default decode and a rate weight.
std::shared_ptr<const cdc::Model> effort_model() {
  static const std::shared_ptr<const cdc::Model> model = [] {
    const std::string path = cdc_test::temp_path("effort.cdcm");
    cdc::ConvertOptions options;
    options.name = "effort";
    options.default_steps = 1;
    options.default_gamma = 0.0;
    options.rate_lambda = kLambda;
    cdc::convert_checkpoint(cdc_test::golden_path("checkpoint.pt"), path, options);
    auto m = cdc::Model::load_file(path);
    std::filesystem::remove(path);
    return m;
  }();
  return model;
}

cdc::CodecSettings with_effort(int effort) {
  cdc::CodecSettings s;
  s.threads = 2;
  s.effort = effort;
  return s;
}

// rate_lambda * (estimated bits per pixel) + MSE in [-1, 1] of the default decode.
double objective(const cdc::Model& model, const std::vector<uint8_t>& stream,
                 const std::vector<uint8_t>& px, uint32_t w, uint32_t h) {
  std::vector<uint8_t> out(px.size());
  cdc::MutableImageView view{out.data(), w, h, 3, size_t{w} * 3};
  cdc::decode_image(model, stream.data(), stream.size(), view, with_effort(0), {});
  double se = 0;
  for (size_t i = 0; i < px.size(); ++i) {
    const double d = (double(px[i]) - out[i]) / 127.5;
    se += d * d;
  }
  const cdc::StreamSummary s = cdc::read_stream_summary(stream.data(), stream.size(), 1 << 26);
  return kLambda * s.estimated_bits / (double(w) * h) + se / px.size();
}

}  // namespace

TEST_CASE("effort: the levels and their iteration counts") {
  CHECK(cdc::refinement_iterations(0) == 0);
  for (int e = 1; e <= cdc::kMaxEffort; ++e)
    CHECK(cdc::refinement_iterations(e) > cdc::refinement_iterations(e - 1));
}

TEST_CASE("effort: refinement lowers rate_lambda * bpp + MSE; the stream stays ordinary") {
  auto model = effort_model();
  CHECK(model->config().rate_lambda == kLambda);
  const uint32_t w = 192, h = 128;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 3);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  const std::vector<uint8_t> base = cdc::encode_image(*model, image, with_effort(0), {});
  const double base_loss = objective(*model, base, px, w, h);
  double previous = base_loss;
  for (int effort : {1, 2}) {
    INFO("effort " << effort);
    const std::vector<uint8_t> refined = cdc::encode_image(*model, image, with_effort(effort), {});
    const double loss = objective(*model, refined, px, w, h);
    MESSAGE("effort " << effort << ": objective " << loss << " (effort 0: " << base_loss << ")");
    CHECK(loss <= previous * (1 + 1e-6));
    previous = loss;
  }
  CHECK(previous < base_loss);  // four iterations found something better
}

TEST_CASE("effort: refinement by tiles works on images larger than one tile") {
  auto model = effort_model();
  const uint32_t w = 320, h = 192;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 4);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  const cdc::TilePlan plan = cdc::plan_tiles(192, 320, 64, [] {
    cdc::CodecSettings s;
    s.tile = 128;
    s.tile_overlap = 64;
    return s;
  }(), cdc::TileDefaults{128, 64});
  REQUIRE(plan.count() > 1);
  c10::InferenceMode inference;
  torch::Tensor x = cdc::image_region_to_tensor(image, 0, 0, 192, 320);
  torch::Tensor y = model->analysis(x);
  torch::Tensor z = model->hyper_analysis(y);
  torch::Tensor medians = model->prior_medians().reshape({1, -1, 1, 1});
  torch::Tensor z_hat = (z - medians).round() + medians;
  cdc::HyperParameters g = model->hyper_synthesis(z_hat, true);
  torch::Tensor refined = cdc::refine_latents(*model, image, plan, y, g, with_effort(1), {});
  torch::Tensor k = refined - g.mean.to(torch::kFloat64);
  CHECK(torch::equal(k, k.round()));  // integral offsets around the means
  CHECK(refined.sizes() == y.sizes());
}

TEST_CASE("effort: a model without rate_lambda refuses effort > 0; 0 still works") {
  auto model = cdc_test::golden_model();
  REQUIRE(model->config().rate_lambda == 0);
  const uint32_t w = 64, h = 64;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 1);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  CHECK_FALSE(cdc::encode_image(*model, image, with_effort(0), {}).empty());
  try {
    cdc::encode_image(*model, image, with_effort(1), {});
    FAIL("effort 1 was accepted");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_UNSUPPORTED);
    CHECK(std::string(e.what()).find("rate") != std::string::npos);
  }
}

TEST_CASE("effort: the progress callback sees the refinement and can cancel it") {
  auto model = effort_model();
  const uint32_t w = 64, h = 64;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 2);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  uint32_t seen_total = 0;
  cdc::encode_image(*model, image, with_effort(2), [&](cdc_stage stage, uint32_t, uint32_t total,
                                                       const torch::Tensor*) {
    if (stage == CDC_STAGE_REFINE) seen_total = total;
    return true;
  });
  CHECK(seen_total == static_cast<uint32_t>(cdc::refinement_iterations(2)));
  try {
    cdc::encode_image(*model, image, with_effort(2), [](cdc_stage stage, uint32_t done, uint32_t,
                                                        const torch::Tensor*) {
      return !(stage == CDC_STAGE_REFINE && done >= 1);
    });
    FAIL("not cancelled");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_CANCELLED);
  }
}
