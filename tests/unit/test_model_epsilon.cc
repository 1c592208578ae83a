// The epsilon-param variant (the reference's epsilonparam/: BigCompressor,
// linear schedule with 20000 steps, noise prediction) against golden vectors
// made by running the reference (tests/data/golden_eps8): every tensor within
// 1e-4 absolute, decoded_uint8 within one level, the rate within 1e-3
// relative; and the checkpoint -> model file -> load round trip.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "diffusion/noise_schedule.h"
#include "diffusion/sampler.h"
#include "hyperprior/gaussian_conditional.h"
#include "convert/torch_checkpoint.h"
#include "model_test_util.h"
#include "parity_util.h"
#include "common/file_io.h"

using cdc_test::check_close;
using cdc_test::max_abs_diff;

namespace {

constexpr double kTol = 1e-4;

std::string eps_path(const std::string& file) {
  return std::string(CDC_TEST_DATA_DIR) + "/golden_eps8/" + file;
}

std::map<std::string, torch::Tensor> load_eps_expected() {
  const std::vector<uint8_t> bytes = cdc::read_whole_file(eps_path("expected.pt"));
  std::vector<char> data(bytes.begin(), bytes.end());
  c10::IValue v = torch::pickle_load(data);
  std::map<std::string, torch::Tensor> out;
  for (const auto& kv : v.toGenericDict()) out[kv.key().toStringRef()] = kv.value().toTensor();
  return out;
}

const std::vector<uint8_t>& eps_model_bytes() {
  static const std::vector<uint8_t> bytes = [] {
    const std::string path = cdc_test::temp_path("golden_eps8.cdcm");
    cdc::convert_checkpoint(eps_path("checkpoint.pt"), path, cdc::ConvertOptions{"golden-eps8"});
    std::vector<uint8_t> b = cdc::read_whole_file(path);
    std::filesystem::remove(path);
    return b;
  }();
  return bytes;
}

std::shared_ptr<const cdc::Model> eps_model() {
  static const std::shared_ptr<const cdc::Model> model =
      cdc::Model::load_memory(eps_model_bytes().data(), eps_model_bytes().size());
  return model;
}

torch::Tensor to_uint8(const torch::Tensor& x) {
  return ((x.clamp(-1, 1) / 2.0 + 0.5) * 255).round().to(torch::kUInt8);
}

}  // namespace

TEST_CASE("epsilon-param: the checkpoint is a real state_dict() (OrderedDict, _metadata)") {
  // torch::pickle_load of libtorch 1.13 cannot read it; the importer's reader can.
  const std::vector<uint8_t> bytes = cdc::read_whole_file(eps_path("checkpoint.pt"));
  std::vector<char> data(bytes.begin(), bytes.end());
  CHECK_THROWS(torch::pickle_load(data));
  const c10::IValue root = cdc::load_torch_pickle(data);
  REQUIRE(root.isGenericDict());
  bool found = false;
  for (const auto& kv : root.toGenericDict()) {
    if (kv.key().toStringRef() != "model") continue;
    found = true;
    REQUIRE(kv.value().isGenericDict());
    const auto sd = kv.value().toGenericDict();
    CHECK(sd.size() > 100);
    for (const auto& e : sd) CHECK(e.value().isTensor());
  }
  CHECK(found);
  // The x-param golden checkpoint (plain dicts) reads the same either way.
  const std::vector<uint8_t> x8 = cdc::read_whole_file(cdc_test::golden_path("checkpoint.pt"));
  std::vector<char> x8c(x8.begin(), x8.end());
  const c10::IValue a = torch::pickle_load(x8c), b = cdc::load_torch_pickle(x8c);
  const auto ema_of = [](const c10::IValue& v) {
    for (const auto& kv : v.toGenericDict())
      if (kv.key().toStringRef() == "ema") return kv.value().toGenericDict();
    throw std::runtime_error("no ema");
  };
  const auto ea = ema_of(a), eb = ema_of(b);
  CHECK(ea.size() == eb.size());
  for (const auto& kv : ea) {
    if (!kv.value().isTensor()) continue;
    CHECK(torch::equal(kv.value().toTensor(), eb.at(kv.key()).toTensor()));
  }
}

TEST_CASE("epsilon-param: a damaged checkpoint gives INVALID_MODEL") {
  std::vector<uint8_t> bytes = cdc::read_whole_file(eps_path("checkpoint.pt"));
  const auto status_of = [](const std::vector<uint8_t>& b) {
    const std::string path = cdc_test::temp_path("damaged.pt");
    {
      std::ofstream f(path, std::ios::binary);
      f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
    cdc_status st = CDC_STATUS_OK;
    try {
      cdc::import_checkpoint(path);
    } catch (const cdc::Error& e) {
      st = e.status();
    }
    std::filesystem::remove(path);
    return st;
  };
  CHECK(status_of(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 1000)) ==
        CDC_STATUS_INVALID_MODEL);
  // Garbage over the start of the pickle (stored uncompressed after the first
  // local header): any outcome but a crash; a checkpoint is not produced.
  std::vector<uint8_t> bad = bytes;
  for (size_t i = 100; i < 400 && i < bad.size(); ++i) bad[i] = static_cast<uint8_t>(i * 37);
  CHECK(status_of(bad) != CDC_STATUS_OK);
}

TEST_CASE("epsilon-param: config inferred from the checkpoint") {
  const cdc::ImportedCheckpoint ck = cdc::import_checkpoint(eps_path("checkpoint.pt"));
  CHECK(ck.config == cdc::ModelConfig::preset("golden-eps8"));
  CHECK(ck.config.variant == cdc::ModelVariant::kEpsilonParam);
  CHECK(ck.config.pred_mode == cdc::PredictionMode::kNoise);
  CHECK(ck.config.schedule == cdc::NoiseSchedule::kLinear);
  CHECK(ck.config.num_timesteps == 20000);
  CHECK(ck.config.context_channels == 3);
  CHECK(ck.config.size_multiple() == 64);
  for (const auto& [name, t] : ck.tensors) {
    (void)t;
    CHECK(name.rfind("loss_fn_vgg.", 0) != 0);
    CHECK((name.rfind("train_", 0) != 0 || name == "train_alphas_cumprod"));
  }
  const cdc::ModelConfig paper = cdc::ModelConfig::preset("paper-epsilonparam");
  CHECK_NOTHROW(paper.validate());
  CHECK(cdc::ModelConfig::from_json(paper.to_json()) == paper);
  CHECK(paper.context_feature_channels() == std::vector<int>{3, 64, 128, 192});
  cdc::ModelConfig bad = paper;
  bad.pred_mode = cdc::PredictionMode::kX;
  CHECK_THROWS_AS(bad.validate(), cdc::Error);
  bad = paper;
  bad.reverse_dim_mults = {4, 3, 2, 2};
  CHECK_THROWS_AS(bad.validate(), cdc::Error);
}

TEST_CASE("epsilon-param: schedule and step indices as the reference") {
  CHECK(cdc::sample_indices(20000, 1, cdc::ModelVariant::kEpsilonParam) ==
        std::vector<int64_t>{0});
  CHECK(cdc::sample_indices(20000, 3, cdc::ModelVariant::kEpsilonParam) ==
        std::vector<int64_t>{0, 9999, 19999});
  auto expected = load_eps_expected();
  const torch::Tensor ac =
      cdc::alphas_cumprod_tensor(cdc::NoiseSchedule::kLinear, 20000)
          .index({torch::tensor(cdc::sample_indices(20000, 3, cdc::ModelVariant::kEpsilonParam))});
  CHECK(torch::equal(ac, expected["sample_alphas_cumprod"]));
}

TEST_CASE("epsilon-param parity: golden eps8 against the reference") {
  torch::InferenceMode guard;
  auto expected = load_eps_expected();
  auto model = eps_model();
  const torch::Tensor x = cdc_test::load_golden_image();
  REQUIRE(model->size_multiple() == 64);
  REQUIRE(model->config() == cdc::ModelConfig::preset("golden-eps8"));

  const cdc_test::CompressorParity c = cdc_test::check_compressor_parity(*model, x, expected);
  const cdc::HyperParameters hp_det = model->hyper_synthesis(c.z_hat, true);
  check_close("latent_mean (deterministic)", hp_det.mean, expected["latent_mean"]);
  check_close("latent_scale (deterministic)", hp_det.scale, expected["latent_scale"]);
  const auto& ctx = c.context;

  // One U-Net call: the noise prediction, small by construction; check it
  // relative to its size too.
  const torch::Tensor d = model->denoise(expected["denoise_input"], expected["denoise_time"], ctx);
  check_close("denoise_output", d, expected["denoise_output"]);
  const double rel = max_abs_diff(d, expected["denoise_output"]) /
                     expected["denoise_output"].abs().max().item<double>();
  MESSAGE("denoise_output: relative error " << rel);
  CHECK(rel <= 1e-3);

  const int steps = static_cast<int>(expected["decoded_steps"].item<int64_t>());
  CHECK(steps == 3);
  const torch::Tensor dec = model->sample(ctx, cdc_test::decoding(steps, 0.0, 0), {});
  check_close("decoded", dec, expected["decoded"]);
  check_close("decoded_uint8", to_uint8(dec), expected["decoded_uint8"], 1.0);
  check_close("decoded_1step", model->sample(ctx, cdc_test::decoding(1, 0.0, 0), {}), expected["decoded_1step"]);

  // From a given start x_N (the reference's init argument).
  cdc::DiffusionProcess process;
  process.num_timesteps = model->config().num_timesteps;
  process.alphas_cumprod =
      cdc::alphas_cumprod_tensor(model->config().schedule, process.num_timesteps);
  process.variant = cdc::ModelVariant::kEpsilonParam;
  cdc::DenoiseFn fn = [&](const torch::Tensor& xt, const torch::Tensor& t) {
    return model->denoise(xt, t, ctx);
  };
  int calls = 0;
  const torch::Tensor dec_n = cdc::ddim_sample(
      fn, {1, 3, 128, 192}, process, cdc_test::decoding(steps, 0.0, 0),
      [&](int done, int total, const torch::Tensor& x0) {
        ++calls;
        CHECK(done <= total);
        CHECK(x0.abs().max().item<float>() <= 1.0f);
        return true;
      },
      expected["start_noise"]);
  CHECK(calls == steps);
  check_close("decoded_from_start_noise", dec_n, expected["decoded_from_start_noise"], kTol,
              /*relative=*/true);

  cdc_test::check_rate_estimate(*model, c, x, expected);
}

TEST_CASE("epsilon-param: convert -> file -> load equals the checkpoint's weights") {
  torch::InferenceMode guard;
  auto expected = load_eps_expected();
  const cdc::ImportedCheckpoint ck = cdc::import_checkpoint(eps_path("checkpoint.pt"));
  const auto& bytes = eps_model_bytes();
  const cdc::ModelFileContents contents = cdc::read_model_file(bytes.data(), bytes.size());
  CHECK(contents.config == ck.config);
  cdc::Model direct(ck.config, "direct", ck.tensors,
                       cdc::entropy::EntropyTables::deserialize(contents.entropy_tables.data(),
                                                                contents.entropy_tables.size()),
                       contents.id, "checkpoint");
  const std::string path = cdc_test::temp_path("eps_roundtrip.cdcm");
  cdc::convert_checkpoint(eps_path("checkpoint.pt"), path, cdc::ConvertOptions{});
  auto loaded = cdc::Model::load_file(path);
  std::remove(path.c_str());
  CHECK(loaded->id_hex() == eps_model()->id_hex());
  CHECK(loaded->config() == ck.config);
  CHECK(loaded->parameter_count() == direct.parameter_count());
  CHECK(loaded->id_hex() != cdc_test::golden_model()->id_hex());

  const torch::Tensor x = cdc_test::load_golden_image();
  CHECK(torch::equal(loaded->analysis(x), direct.analysis(x)));
  const auto ctx_a = loaded->context(expected["q_latent"]);
  const auto ctx_b = direct.context(expected["q_latent"]);
  REQUIRE(ctx_a.size() == ctx_b.size());
  for (size_t i = 0; i < ctx_a.size(); ++i) CHECK(torch::equal(ctx_a[i], ctx_b[i]));
  const torch::Tensor da =
      loaded->denoise(expected["denoise_input"], expected["denoise_time"], ctx_a);
  const torch::Tensor db = direct.denoise(expected["denoise_input"], expected["denoise_time"], ctx_b);
  CHECK(torch::equal(da, db));

  // A random model of the epsilon-param layout builds, saves and loads.
  cdc::ModelConfig small = cdc::ModelConfig::preset("golden-eps8");
  small.num_timesteps = 50;
  small.default_steps = 4;
  const std::vector<uint8_t> rnd = cdc::make_random_model_file(small, "random-eps", 3);
  auto m = cdc::Model::load_memory(rnd.data(), rnd.size());
  CHECK(m->config() == small);
  const auto ctx = m->context(torch::zeros({1, 32, 4, 4}));
  CHECK(m->sample(ctx, cdc_test::decoding(2, 0.8, 7), {}).sizes() == torch::IntArrayRef({1, 3, 64, 64}));
  CHECK(torch::equal(m->sample(ctx, cdc_test::decoding(2, 0.8, 7), {}), m->sample(ctx, cdc_test::decoding(2, 0.8, 7), {})));
}
