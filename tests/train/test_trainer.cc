// cdc-train's parts: options, photos and crops, the objective, a tiny run whose
// loss decreases, bit-exact resume from a checkpoint, and the export.
#include <ATen/CPUGeneratorImpl.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "common/cpu_features.h"
#include "common/error.h"
#include "hyperprior/factorized_prior.h"
#include "model/model.h"
#include "model/model_file.h"
#include "train/photo_set.h"
#include "train/trainer.h"
#include "train/validation.h"
#include "common/file_io.h"

namespace fs = std::filesystem;
using cdc::train::PhotoSet;
using cdc::train::Stage;
using cdc::train::Trainer;
using cdc::train::TrainOptions;

namespace {

// Smooth synthetic photos (gradients, a disc and stripes) that a tiny model
// can learn within a few dozen steps.
PhotoSet synthetic_photos(int count, int height, int width) {
  std::vector<torch::Tensor> photos;
  for (int i = 0; i < count; ++i) {
    torch::Tensor yy = torch::linspace(0, 1, height).view({height, 1}).expand({height, width});
    torch::Tensor xx = torch::linspace(0, 1, width).view({1, width}).expand({height, width});
    torch::Tensor disc = ((yy - 0.5).pow(2) + (xx - 0.3 - 0.1 * i).pow(2) < 0.05).to(torch::kFloat32);
    torch::Tensor stripes = 0.5 + 0.5 * torch::sin(xx * (6.0 + 2 * i) * M_PI);
    torch::Tensor rgb = torch::stack({yy * 0.8 + 0.2 * disc, xx, 0.3 * stripes + 0.5 * disc}, 2);
    photos.push_back((rgb.clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous());
  }
  return PhotoSet::from_tensors(photos);
}

TrainOptions tiny_options() {
  TrainOptions o;
  o.config = "golden-x8";
  o.crop = 64;
  o.batch = 2;
  o.steps = 40;
  o.lr = 2e-3;
  o.lambda = 0.01;
  o.threads = 1;
  o.seed = 7;
  return o;
}

std::vector<double> run_steps(Trainer& t, const PhotoSet& photos, int n) {
  std::vector<double> losses;
  for (int i = 0; i < n; ++i) {
    torch::Tensor x = photos.sample_crops(t.options().batch, t.options().crop, t.generator());
    losses.push_back(t.step(x).loss);
  }
  return losses;
}

double mean(const std::vector<double>& v, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += v[i];
  return s / static_cast<double>(end - begin);
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / fs::path("cdc_train_test_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("train options: ranges and the LPIPS rule") {
  TrainOptions o = tiny_options();
  CHECK_NOTHROW(o.validate());
  o.rho = 0.9;
  try {
    o.validate();
    FAIL("rho > 0 accepted");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_INVALID_ARGUMENT);
    CHECK(std::string(e.what()).find("LPIPS") != std::string::npos);
  }
  o = tiny_options();
  o.crop = 100;
  CHECK_THROWS_AS(o.validate(), cdc::Error);
  o = tiny_options();
  o.lr = 0;
  CHECK_THROWS_AS(o.validate(), cdc::Error);
  o = tiny_options();
  o.diffusion_weight = 0;  // the U-Net would have no loss
  CHECK_THROWS_AS(o.validate(), cdc::Error);
  o.decode_weight = 1;
  CHECK_NOTHROW(o.validate());
  o.decode_weight = -1;
  CHECK_THROWS_AS(o.validate(), cdc::Error);
  // The result-shaping settings survive a JSON round trip; unknown keys fail.
  o = tiny_options();
  o.stage = Stage::kCompressor;
  o.target_bpp = 0.3;
  o.decode_weight = 0.5;
  TrainOptions back;
  back.apply_json(o.to_json());
  CHECK(back.to_json().dump() == o.to_json().dump());
  cdc::json::Value bad = cdc::json::Value::object();
  bad.set("no_such_setting", 1);
  CHECK_THROWS_AS(back.apply_json(bad), cdc::Error);
}

TEST_CASE("photo set: crops are in range, flipped, reproducible") {
  PhotoSet photos = synthetic_photos(3, 80, 120);
  at::Generator g1 = at::make_generator<at::CPUGeneratorImpl>(5);
  at::Generator g2 = at::make_generator<at::CPUGeneratorImpl>(5);
  torch::Tensor a = photos.sample_crops(16, 64, g1);
  torch::Tensor b = photos.sample_crops(16, 64, g2);
  CHECK(a.sizes() == torch::IntArrayRef({16, 3, 64, 64}));
  CHECK(torch::equal(a, b));
  CHECK(a.min().item<float>() >= -1.0f);
  CHECK(a.max().item<float>() <= 1.0f);
  // Channel 1 rises left to right unless the crop is flipped: both occur.
  torch::Tensor slope = a.select(1, 1).select(1, 0);  // B x 64, first row
  torch::Tensor rising = slope.select(1, 63) > slope.select(1, 0);
  CHECK(rising.any().item<bool>());
  CHECK((~rising).any().item<bool>());
  CHECK_THROWS_AS(PhotoSet::load_folder("/nonexistent-cdc-folder", 64), cdc::Error);
  TempDir empty;
  CHECK_THROWS_AS(PhotoSet::load_folder(empty.path.string(), 64), cdc::Error);
}

TEST_CASE("median loss reaches only the medians") {
  torch::manual_seed(3);
  cdc::FactorizedPrior prior(4);
  prior->reset_parameters();
  torch::Tensor loss = prior->median_loss();
  CHECK(loss.item<double>() > 0);
  loss.backward();
  for (const auto& p : prior->named_parameters()) {
    if (p.key() == "_medians")
      CHECK(p.value().grad().abs().sum().item<double>() > 0);
    else
      CHECK(!p.value().grad().defined());
  }
}

TEST_CASE("a tiny training run lowers the loss (full and compressor stages)") {
  PhotoSet photos = synthetic_photos(4, 96, 128);
  for (Stage stage : {Stage::kFull, Stage::kCompressor}) {
    const std::string name = to_string(stage);
    CAPTURE(name);
    TrainOptions o = tiny_options();
    o.stage = stage;
    Trainer t(o);
    const std::vector<double> losses = run_steps(t, photos, 40);
    for (double l : losses) REQUIRE(std::isfinite(l));
    const double first = mean(losses, 0, 5), last = mean(losses, 35, 40);
    MESSAGE("stage ", name, ": loss ", first, " -> ", last);
    CHECK(last < 0.8 * first);
    CHECK(t.step_count() == 40);
  }
}

// The exported weights (not the config, whose rate_lambda follows the lambda schedule).
bool same_weights(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  const cdc::ModelFileContents x = cdc::read_model_file(a.data(), a.size());
  const cdc::ModelFileContents y = cdc::read_model_file(b.data(), b.size());
  if (x.tensors.size() != y.tensors.size() || x.entropy_tables != y.entropy_tables) return false;
  for (size_t i = 0; i < x.tensors.size(); ++i)
    if (x.tensors[i].first != y.tensors[i].first || !torch::equal(x.tensors[i].second, y.tensors[i].second))
      return false;
  return true;
}

TEST_CASE("the head warm-up trains the head alone") {
  PhotoSet photos = synthetic_photos(2, 96, 96);
  TrainOptions o = tiny_options();
  o.head_warmup = 6;
  Trainer t(o);
  const std::vector<uint8_t> before = t.export_model_file();
  const std::vector<double> losses = run_steps(t, photos, 6);
  CHECK(same_weights(t.export_model_file(), before));  // networks, medians and EMA unchanged
  CHECK(losses.back() < losses.front());   // the head learns
  run_steps(t, photos, 1);
  CHECK_FALSE(same_weights(t.export_model_file(), before));  // then everything trains
}

TEST_CASE("the decoder stage trains the context decoder and U-Net on the 1-step decode") {
  PhotoSet photos = synthetic_photos(4, 96, 128);
  TrainOptions o = tiny_options();
  o.stage = Stage::kDecoder;
  o.diffusion_weight = 0;
  o.decode_weight = 1;
  o.aux_weight = 0;
  o.validate();
  Trainer t(o);
  const std::vector<uint8_t> before = t.export_model_file();
  const std::vector<double> losses = run_steps(t, photos, 30);
  const double first = mean(losses, 0, 5), last = mean(losses, 25, 30);
  MESSAGE("decoder stage: loss ", first, " -> ", last);
  CHECK(last < 0.8 * first);
  const std::vector<uint8_t> after = t.export_model_file();
  const cdc::ModelFileContents x = cdc::read_model_file(before.data(), before.size());
  const cdc::ModelFileContents y = cdc::read_model_file(after.data(), after.size());
  CHECK(x.entropy_tables == y.entropy_tables);  // the prior and the bits stay
  REQUIRE(x.tensors.size() == y.tensors.size());
  int fixed = 0, trained = 0;
  for (size_t i = 0; i < x.tensors.size(); ++i) {
    const std::string& name = x.tensors[i].first;
    const bool same = torch::equal(x.tensors[i].second, y.tensors[i].second);
    const bool decoder = name.rfind("context_fn.dec.", 0) == 0 || name.rfind("denoise_fn.", 0) == 0;
    CAPTURE(name);
    if (!decoder) {
      CHECK(same);
      ++fixed;
    } else if (!same) {
      ++trained;
    }
  }
  CHECK(fixed > 0);
  CHECK(trained > 0);
}

TEST_CASE("exports store the training lambda as rate_lambda") {
  TrainOptions o = tiny_options();
  Trainer t(o);
  const std::vector<uint8_t> f = t.export_model_file();
  const cdc::ModelFileContents m = cdc::read_model_file(f.data(), f.size());
  CHECK(m.config.rate_lambda == doctest::Approx(t.lambda()));
  CHECK(m.config.rate_lambda > 0);
}

TEST_CASE("resume from a checkpoint continues bit-exactly") {
  PhotoSet photos = synthetic_photos(3, 96, 96);
  TrainOptions o = tiny_options();
  o.steps = 8;
  o.target_bpp = 0.5;  // lambda steering is part of the state
  o.lambda_warmup_frac = 0.5;

  Trainer straight(o);
  const std::vector<double> all = run_steps(straight, photos, 8);

  TempDir dir;
  const std::string ckpt = (dir.path / "checkpoint.ckpt").string();
  std::vector<double> resumed_losses;
  {
    Trainer first(o);
    resumed_losses = run_steps(first, photos, 4);
    first.save_checkpoint(ckpt);
  }
  TrainOptions run_control = o;
  run_control.steps = 0;  // keep the checkpoint's schedule
  std::unique_ptr<Trainer> second = Trainer::resume(ckpt, run_control);
  CHECK(second->step_count() == 4);
  const std::vector<double> rest = run_steps(*second, photos, 4);
  resumed_losses.insert(resumed_losses.end(), rest.begin(), rest.end());
  for (size_t i = 0; i < all.size(); ++i) {
    CAPTURE(i);
    CHECK(resumed_losses[i] == all[i]);  // exact, not approximate
  }
  CHECK(second->lambda() == straight.lambda());
  CHECK(second->export_model_file() == straight.export_model_file());

  // A damaged checkpoint is an error, not a crash.
  {
    std::vector<uint8_t> bytes = cdc::read_whole_file(ckpt);
    bytes.resize(bytes.size() / 2);
    cdc::write_file_atomically(ckpt, bytes);
  }
  CHECK_THROWS_AS(Trainer::resume(ckpt, run_control), cdc::Error);
}

TEST_CASE("the export is a library model that encodes and decodes") {
  PhotoSet photos = synthetic_photos(2, 96, 128);
  TrainOptions o = tiny_options();
  o.name = "tiny-test";
  Trainer t(o);
  run_steps(t, photos, 3);
  const std::vector<uint8_t> file = t.export_model_file();
  std::shared_ptr<const cdc::Model> model = cdc::Model::load_memory(file.data(), file.size());
  CHECK(model->name() == "tiny-test");
  CHECK(model->config().default_steps == 1);
  cdc::train::ValidationResult r = cdc::train::validate_model_file(file, photos, 2, 80, 2, 1);
  CHECK(r.photos == 2);
  CHECK(r.bpp > 0);
  CHECK(std::isfinite(r.psnr));
  CHECK(r.psnr > 5);
}

TEST_CASE("warm start from a built-in model keeps its weights") {
  TrainOptions o = tiny_options();
  o.init = "default-low";
  std::unique_ptr<Trainer> t;
  try {
    t = std::make_unique<Trainer>(o);
  } catch (const cdc::Error& e) {
    // Builds without embedded models have no built-in to start from.
    CHECK(e.status() == CDC_STATUS_NOT_FOUND);
    return;
  }
  cdc::ModelConfig layout = t->config();
  CHECK(layout.rate_lambda > 0);  // the built-in models know their rate weight
  layout.rate_lambda = 0;
  CHECK(layout == cdc::ModelConfig::preset("compact"));  // the built-in layout
  // Before any step the export holds the built-in model's weights exactly.
  std::shared_ptr<const cdc::Model> exported = [&] {
    const std::vector<uint8_t> f = t->export_model_file();
    return cdc::Model::load_memory(f.data(), f.size());
  }();
  CHECK(exported->parameter_count() == 2611355);
  o.init = "no-such-model";
  CHECK_THROWS_AS(Trainer{o}, cdc::Error);
}

TEST_CASE("--bf16: a CPU setting, refused without native bfloat16; its steps track float32") {
  ::unsetenv("CDC_ALLOW_EMULATED_BF16");
  TrainOptions o = tiny_options();
  o.bf16 = true;
  o.device = "cuda";
  CHECK_THROWS_AS(o.validate(), cdc::Error);
  o.device = "cpu";
  if (!cdc::cpu_has_native_bf16()) {
    CHECK_THROWS_AS(o.validate(), cdc::Error);
    ::setenv("CDC_ALLOW_EMULATED_BF16", "1", 1);
  }
  o.validate();
  PhotoSet photos = synthetic_photos(4, 96, 128);
  TrainOptions f = tiny_options();
  Trainer t32(f), t16(o);
  const std::vector<double> a = run_steps(t32, photos, 6), b = run_steps(t16, photos, 6);
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(b[i]));
    CHECK(std::abs(b[i] - a[i]) < 0.1 * std::abs(a[i]) + 1e-3);
  }
  ::unsetenv("CDC_ALLOW_EMULATED_BF16");
}
