// Parity of the C++ model with the reference implementation on the golden
// vectors (tests/data/golden_x8): every tensor of expected.pt within 1e-4
// absolute, decoded_uint8 within one level, the rate within 1e-3 relative.
#include <doctest/doctest.h>

#include <cstdio>

#include "common/threads.h"
#include "hyperprior/gaussian_conditional.h"
#include "model_test_util.h"
#include "parity_util.h"

using cdc_test::max_abs_diff;

using cdc_test::check_close;
constexpr double kTol = cdc_test::kParityTol;

TEST_CASE("model parity: golden x8 against the reference") {
  torch::InferenceMode guard;
  auto expected = cdc_test::load_expected();
  auto model = cdc_test::golden_model();
  const torch::Tensor x = cdc_test::load_golden_image();
  REQUIRE(model->size_multiple() == 64);
  REQUIRE(model->config() == cdc::ModelConfig::preset("golden-x8"));

  const cdc_test::CompressorParity c = cdc_test::check_compressor_parity(*model, x, expected);
  const auto& ctx = c.context;

  const torch::Tensor d = model->denoise(expected["denoise_input"], expected["denoise_time"], ctx);
  check_close("denoise_output", d, expected["denoise_output"]);

  const int steps = static_cast<int>(expected["decoded_steps"].item<int64_t>());
  CHECK(steps == 3);
  const torch::Tensor dec = model->sample(ctx, cdc_test::decoding(steps, 0.0, 0), {});
  check_close("decoded", dec, expected["decoded"]);
  const torch::Tensor u8 =
      ((dec.clamp(-1, 1) + 1) / 2 * 255).round().to(torch::kUInt8);
  check_close("decoded_uint8", u8, expected["decoded_uint8"], 1.0);

  cdc_test::check_rate_estimate(*model, c, x, expected);
}

TEST_CASE("model parity: deterministic hyper synthesis") {
  torch::InferenceMode guard;
  auto expected = cdc_test::load_expected();
  auto model = cdc_test::golden_model();
  const torch::Tensor z_hat = expected["q_hyper_latent"];
  cdc::set_compute_threads(1);
  const cdc::HyperParameters a = model->hyper_synthesis(z_hat, true);
  cdc::set_compute_threads(2);
  const cdc::HyperParameters b = model->hyper_synthesis(z_hat, true);
  cdc::set_compute_threads(1);
  CHECK(torch::equal(a.mean, b.mean));
  CHECK(torch::equal(a.scale, b.scale));
  CHECK(max_abs_diff(a.mean, expected["latent_mean"]) <= kTol);
  CHECK(max_abs_diff(a.scale, expected["latent_scale"]) <= kTol);
  CHECK(a.scale.min().item<float>() >= 0.1f);
}

TEST_CASE("model parity: convert -> file -> load equals the checkpoint's weights") {
  torch::InferenceMode guard;
  auto expected = cdc_test::load_expected();
  const cdc::ImportedCheckpoint ck = cdc::import_checkpoint(cdc_test::golden_path("checkpoint.pt"));
  // A model built straight from the checkpoint's tensors.
  const auto& bytes = cdc_test::golden_model_bytes();
  const cdc::ModelFileContents contents = cdc::read_model_file(bytes.data(), bytes.size());
  cdc::Model direct(ck.config, "direct", ck.tensors,
                       cdc::entropy::EntropyTables::deserialize(contents.entropy_tables.data(),
                                                                contents.entropy_tables.size()),
                       contents.id, "checkpoint");
  // And the one from the file, through load_file.
  const std::string path = cdc_test::temp_path("roundtrip.cdcm");
  cdc::convert_checkpoint(cdc_test::golden_path("checkpoint.pt"), path, cdc::ConvertOptions{});
  auto loaded = cdc::Model::load_file(path);
  CHECK(loaded->name().find("_roundtrip") != std::string::npos);
  CHECK(loaded->name().find(".cdcm") == std::string::npos);
  CHECK(loaded->id_hex() == cdc_test::golden_model()->id_hex());
  CHECK(loaded->id_hex().size() == 32);
  CHECK(loaded->parameter_count() == direct.parameter_count());

  const torch::Tensor x = cdc_test::load_golden_image();
  CHECK(torch::equal(loaded->analysis(x), direct.analysis(x)));
  const auto ctx_a = loaded->context(expected["q_latent"]);
  const auto ctx_b = direct.context(expected["q_latent"]);
  const torch::Tensor da = loaded->denoise(expected["denoise_input"], expected["denoise_time"], ctx_a);
  const torch::Tensor db = direct.denoise(expected["denoise_input"], expected["denoise_time"], ctx_b);
  CHECK(torch::equal(da, db));
  std::remove(path.c_str());
}

TEST_CASE("convert: decoding defaults from the options are stored in the model") {
  const std::string path = cdc_test::temp_path("defaults.cdcm");
  cdc::ConvertOptions options;
  options.name = "with-defaults";
  options.default_steps = 2;
  options.default_gamma = 0.0;
  cdc::convert_checkpoint(cdc_test::golden_path("checkpoint.pt"), path, options);
  auto model = cdc::Model::load_file(path);
  std::filesystem::remove(path);
  CHECK(model->name() == "with-defaults");
  CHECK(model->config().default_steps == 2);
  CHECK(model->config().default_gamma == 0.0);
}
