// The inference core (cdc_core: decoding without libtorch) against the
// libtorch side: the tensor list it checks model files with, the DDIM
// schedule, the float64 hyper synthesis, and whole decodes, which must give
// the libtorch decoder's pixels exactly.
#include <doctest/doctest.h>

#include <cstring>

#include "codec/codec.h"
#include "codec/inference_decoder.h"
#include "common/error.h"
#include "diffusion/ddim_schedule.h"
#include "hyperprior/hyper_synthesis_f64.h"
#include "model/expected_tensors.h"
#include "model/inference_model.h"
#include "model/model_export.h"
#include "model/network.h"
#include "model_test_util.h"

namespace {

cdc::CodecSettings settings(int tile, int steps, int threads = 2) {
  cdc::CodecSettings s;
  s.tile = tile;
  s.tile_overlap = 64;
  s.threads = threads;
  s.steps = steps;
  s.gamma = 0;
  return s;
}

}  // namespace

TEST_CASE("core: the expected tensors of every preset are the network's") {
  for (const std::string& preset : cdc::ModelConfig::preset_names()) {
    INFO(preset);
    const cdc::ModelConfig config = cdc::ModelConfig::preset(preset);
    cdc::CdcNetwork net(config);
    std::map<std::string, std::vector<int64_t>> actual;
    for (const auto& [name, t] : cdc::network_tensors(*net)) actual[name] = t.sizes().vec();
    CHECK(cdc::expected_tensors(config) == actual);
  }
}

TEST_CASE("core: sample indices as torch::linspace gives them") {
  for (int T : {20, 1000, 1001, 8193, 20000})
    for (int steps = 2; steps <= std::min(T, 1500); ++steps) {
      const torch::Tensor want =
          torch::linspace(0, T - 1, steps, torch::TensorOptions().dtype(torch::kFloat32))
              .to(torch::kLong);
      const std::vector<int64_t> got = cdc::sample_indices(T, steps);
      REQUIRE(static_cast<int64_t>(got.size()) == steps);
      CHECK(std::memcmp(got.data(), want.data_ptr<int64_t>(), sizeof(int64_t) * steps) == 0);
    }
}

TEST_CASE("core: a model file loads; bad tensors are refused before use") {
  const std::vector<uint8_t>& bytes = cdc_test::golden_model_bytes();
  auto core = cdc::InferenceModel::load_copy(bytes.data(), bytes.size());
  auto model = cdc_test::golden_model();
  CHECK(core->id() == model->id());
  CHECK(core->name() == model->name());
  CHECK(core->file_size() == bytes.size());
  // A config whose widths differ from the tensors' (same total): refused.
  cdc::ModelConfig c = cdc::ModelConfig::preset("golden-x8");
  c.num_timesteps = 20;
  c.default_steps = 2;
  std::vector<uint8_t> good = cdc::make_random_model_file(c, "r", 3);
  CHECK_NOTHROW(cdc::InferenceModel::load_copy(good.data(), good.size()));
  try {
    cdc::InferenceModel::load_copy(bytes.data(), bytes.size() - 1);
    FAIL("truncated model accepted");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_INVALID_MODEL);
  }
}

TEST_CASE("core: the float64 hyper synthesis equals the libtorch side's") {
  auto model = cdc_test::golden_model();
  const std::vector<uint8_t>& bytes = cdc_test::golden_model_bytes();
  auto core = cdc::InferenceModel::load_copy(bytes.data(), bytes.size());
  torch::manual_seed(3);
  const int64_t c = model->config().hyper_latent_channels();
  const torch::Tensor z = torch::round(torch::randn({1, c, 3, 5}) * 3);
  const cdc::HyperParameters want = model->hyper_synthesis(z, /*deterministic=*/true);
  std::vector<float> mean, scale;
  const torch::Tensor zc = z.contiguous();
  core->hyper_synthesis().forward(zc.data_ptr<float>(), 3, 5, &mean, &scale);
  REQUIRE(static_cast<int64_t>(mean.size()) == want.mean.numel());
  CHECK(std::memcmp(mean.data(), want.mean.contiguous().data_ptr<float>(), mean.size() * 4) == 0);
  CHECK(std::memcmp(scale.data(), want.scale.contiguous().data_ptr<float>(), scale.size() * 4) == 0);
}

TEST_CASE("core: decodes give the libtorch decoder's pixels, whole and tiled, any threads") {
  auto model = cdc_test::golden_model();
  const std::vector<uint8_t>& bytes = cdc_test::golden_model_bytes();
  auto core = cdc::InferenceModel::load_copy(bytes.data(), bytes.size());
  const uint32_t w = 320, h = 256;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 4);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  const std::vector<uint8_t> stream = cdc::encode_image(*model, image, settings(0, 2), {});
  for (int tile : {0, 128}) {
    for (int steps : {1, 3}) {
      INFO("tile " << tile << " steps " << steps);
      std::vector<uint8_t> want(px.size()), got(px.size());
      cdc::MutableImageView want_view{want.data(), w, h, 3, size_t{w} * 3};
      cdc::MutableImageView got_view{got.data(), w, h, 3, size_t{w} * 3};
      cdc::decode_image(*model, stream.data(), stream.size(), want_view, settings(tile, steps), {});
      int previews = 0;
      cdc::CoreProgressFn progress = [&](cdc_stage stage, uint32_t, uint32_t,
                                         const cdc::DecodePreview* p) {
        if (stage == CDC_STAGE_DIFFUSION) {
          CHECK(p != nullptr);
          ++previews;
        }
        return true;
      };
      cdc::decode_image_core(*core, stream.data(), stream.size(), got_view,
                             settings(tile, steps, 1), progress);
      CHECK(got == want);
      CHECK(previews == steps * (tile == 0 ? 1 : 6));
    }
  }
  // Gray and RGBA outputs, as the libtorch decoder writes them.
  for (uint32_t channels : {1u, 4u}) {
    std::vector<uint8_t> want(size_t{w} * h * channels), got(want.size());
    cdc::MutableImageView wv{want.data(), w, h, channels, size_t{w} * channels};
    cdc::MutableImageView gv{got.data(), w, h, channels, size_t{w} * channels};
    cdc::decode_image(*model, stream.data(), stream.size(), wv, settings(0, 1), {});
    cdc::decode_image_core(*core, stream.data(), stream.size(), gv, settings(0, 1), {});
    CHECK(got == want);
  }
  // Cancelling leaves the output untouched.
  std::vector<uint8_t> out(px.size(), 7);
  cdc::MutableImageView view{out.data(), w, h, 3, size_t{w} * 3};
  try {
    cdc::decode_image_core(*core, stream.data(), stream.size(), view, settings(0, 2),
                           [](cdc_stage stage, uint32_t, uint32_t, const cdc::DecodePreview*) {
                             return stage != CDC_STAGE_DIFFUSION;
                           });
    FAIL("not cancelled");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_CANCELLED);
  }
  CHECK(std::all_of(out.begin(), out.end(), [](uint8_t v) { return v == 7; }));
}
