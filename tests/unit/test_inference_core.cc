// The inference core (cdc_core: decoding without libtorch) against the
// libtorch side: the tensor list it checks model files with, the DDIM
// schedule, the float64 hyper synthesis, and whole decodes, which must give
// the libtorch decoder's pixels exactly.
#include <doctest/doctest.h>

#include <zlib.h>

#include <cstring>

#include "codec/codec.h"
#include "codec/inference_decoder.h"
#include "codec/inference_encoder.h"
#include "codec/stream_summary.h"
#include "common/error.h"
#include "diffusion/ddim_schedule.h"
#include "diffusion/start_noise.h"
#include "hyperprior/hyper_synthesis_f64.h"
#include "model/expected_tensors.h"
#include "model/inference_model.h"
#include "model/model_export.h"
#include "model/network.h"
#include "model_test_util.h"
#include "onednn/convolution.h"

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
     for (double gamma : {0.0, 0.8}) {
      INFO("tile " << tile << " steps " << steps << " gamma " << gamma);
      std::vector<uint8_t> want(px.size()), got(px.size());
      cdc::MutableImageView want_view{want.data(), w, h, 3, size_t{w} * 3};
      cdc::MutableImageView got_view{got.data(), w, h, 3, size_t{w} * 3};
      cdc::CodecSettings s = settings(tile, steps);
      s.gamma = gamma;
      s.seed = 11;
      cdc::decode_image(*model, stream.data(), stream.size(), want_view, s, {});
      int previews = 0;
      cdc::CoreProgressFn progress = [&](cdc_stage stage, uint32_t, uint32_t,
                                         const cdc::DecodePreview* p) {
        if (stage == CDC_STAGE_DIFFUSION) {
          CHECK(p != nullptr);
          ++previews;
        }
        return true;
      };
      s.threads = 1;
      cdc::decode_image_core(*core, stream.data(), stream.size(), got_view, s, progress);
      CHECK(got == want);
      CHECK(previews == steps * (tile == 0 ? 1 : 6));
     }
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

namespace {

// The convolution plans created from now on: in all, and ahead of the
// networks' runs (Convolution::prepare).
struct PlansSince {
  size_t made = cdc::onednn::Convolution::plans_created();
  size_t ahead = cdc::onednn::Convolution::plans_created_ahead();
  size_t made_now() const { return cdc::onednn::Convolution::plans_created() - made; }
  size_t ahead_now() const { return cdc::onednn::Convolution::plans_created_ahead() - ahead; }
};

}  // namespace

TEST_CASE("core: a decode makes its convolution plans ahead, in parallel, for every tile size") {
  const std::vector<uint8_t>& bytes = cdc_test::golden_model_bytes();
  auto model = cdc_test::golden_model();
  auto core = cdc::InferenceModel::load_copy(bytes.data(), bytes.size());
  const uint32_t w = 448, h = 192;  // a size no other test decodes
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 5);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  const std::vector<uint8_t> stream = cdc::encode_image(*model, image, settings(0, 2), {});
  std::vector<uint8_t> first(px.size()), again(px.size());
  for (int tile : {0, 128}) {
    INFO("tile " << tile);
    const PlansSince plans;
    cdc::MutableImageView view{first.data(), w, h, 3, size_t{w} * 3};
    cdc::decode_image_core(*core, stream.data(), stream.size(), view, settings(tile, 2), {});
    if (tile == 0) CHECK(plans.made_now() > 0);
    // Every plan the networks used was made before they ran.
    CHECK(plans.ahead_now() == plans.made_now());
    // The same size again: the same pixels, and any plan made (only where the
    // machine's load changed the thread count) made ahead too.
    const PlansSince plans2;
    cdc::MutableImageView view2{again.data(), w, h, 3, size_t{w} * 3};
    cdc::decode_image_core(*core, stream.data(), stream.size(), view2, settings(tile, 2), {});
    CHECK(plans2.made_now() == plans2.ahead_now());
    CHECK(again == first);
  }
}

TEST_CASE("core: an encode makes its convolution plans ahead, in parallel, for every tile size") {
  const std::vector<uint8_t>& bytes = cdc_test::golden_model_bytes();
  auto core = cdc::InferenceModel::load_copy(bytes.data(), bytes.size());
  const uint32_t w = 448, h = 192;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 6);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  for (int tile : {0, 128}) {
    INFO("tile " << tile);
    const PlansSince plans;
    const std::vector<uint8_t> stream = cdc::encode_image_core(*core, image, settings(tile, 2), {});
    if (tile == 0) CHECK(plans.made_now() > 0);
    CHECK(plans.ahead_now() == plans.made_now());
    const PlansSince plans2;
    CHECK(cdc::encode_image_core(*core, image, settings(tile, 2), {}) == stream);
    CHECK(plans2.made_now() == plans2.ahead_now());
  }
}

TEST_CASE("core: encodes decode to the libtorch encoder's quality; any threads, same stream") {
  auto model = cdc_test::golden_model();
  const std::vector<uint8_t>& bytes = cdc_test::golden_model_bytes();
  auto core = cdc::InferenceModel::load_copy(bytes.data(), bytes.size());
  const uint32_t w = 320, h = 256;
  for (uint32_t channels : {3u, 4u, 1u}) {
    INFO("channels " << channels);
    const std::vector<uint8_t> rgb = cdc_test::test_image(w, h, 5);
    std::vector<uint8_t> px(size_t{w} * h * channels);
    for (size_t i = 0; i < size_t{w} * h; ++i)
      for (uint32_t k = 0; k < channels; ++k)
        px[i * channels + k] = k < 3 ? rgb[i * 3 + std::min(k, 2u)] : static_cast<uint8_t>(i % 251);
    const cdc::ImageView image{px.data(), w, h, channels, size_t{w} * channels};
    for (int tile : {0, 128}) {
      INFO("tile " << tile);
      const std::vector<uint8_t> want = cdc::encode_image(*model, image, settings(tile, 2), {});
      const std::vector<uint8_t> got = cdc::encode_image_core(*core, image, settings(tile, 2, 2), {});
      const std::vector<uint8_t> one = cdc::encode_image_core(*core, image, settings(tile, 2, 1), {});
      CHECK(got == one);
      // Same size class, and decodes of the same quality.
      CHECK(got.size() == doctest::Approx(want.size()).epsilon(0.03));
      std::vector<uint8_t> a(px.size()), b(px.size());
      cdc::MutableImageView av{a.data(), w, h, channels, size_t{w} * channels};
      cdc::MutableImageView bv{b.data(), w, h, channels, size_t{w} * channels};
      cdc::decode_image_core(*core, want.data(), want.size(), av, settings(0, 2), {});
      cdc::decode_image_core(*core, got.data(), got.size(), bv, settings(0, 2), {});
      CHECK(cdc_test::psnr(a, px) == doctest::Approx(cdc_test::psnr(b, px)).epsilon(0.02));
      CHECK(cdc_test::psnr(a, b) > 35.0);
      // The header's rate estimate is close to the coded size (of the latents:
      // the payload holds the alpha plane too).
      cdc::StreamSummary s = cdc::read_stream_summary(got.data(), got.size(), 1 << 26);
      if (channels != 4)
        CHECK(s.estimated_bits / 8 ==
              doctest::Approx(static_cast<double>(s.payload_size)).epsilon(0.1));
    }
  }
}

TEST_CASE("core: the start noise is normal, seeded, and the same for a region and its crop") {
  const std::vector<float> a = cdc::start_noise_planar(3, 0, 0, 200, 300, 0.5, 9);
  double sum = 0, sq = 0;
  for (float v : a) {
    sum += v;
    sq += double(v) * v;
  }
  const double mean = sum / a.size(), var = sq / a.size() - mean * mean;
  CHECK(std::fabs(mean) < 0.01);
  CHECK(std::sqrt(var) == doctest::Approx(0.5).epsilon(0.01));
  const std::vector<float> part = cdc::start_noise_planar(3, 70, 130, 50, 60, 0.5, 9);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < 50; ++y)
      for (int64_t x = 0; x < 60; ++x)
        CHECK(part[(c * 50 + y) * 60 + x] == a[(c * 200 + y + 70) * 300 + x + 130]);
  CHECK(cdc::start_noise_planar(3, 0, 0, 200, 300, 0.5, 10) != a);
  CHECK(cdc::start_noise_planar(1, 0, 0, 8, 8, 0.0, 9) == std::vector<float>(64, 0.0f));
}

TEST_CASE("core: layouts with one compressor and one hyper stage code, and their streams read") {
  // Before: the stream geometry assumed the hyper analysis halves twice, the
  // hyper synthesis refused a single layer, and queries without the model
  // assumed the paper's 1/16 and 1/64 latents.
  const cdc::ModelConfig c = cdc_test::odd_xparam();
  const std::vector<uint8_t> bytes = cdc::make_random_model_file(c, "tiny", 3);
  auto core = cdc::InferenceModel::load_copy(bytes.data(), bytes.size());
  auto model = cdc::Model::load_memory(bytes.data(), bytes.size());
  const uint32_t w = 70, h = 45;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 9);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  const std::vector<uint8_t> stream = cdc::encode_image_core(*core, image, settings(0, 1), {});
  const cdc::StreamSummary summary =
      cdc::read_stream_summary(stream.data(), stream.size(), int64_t{1} << 30, true);
  CHECK(summary.width == w);
  CHECK(summary.height == h);
  std::vector<uint8_t> got(px.size()), want(px.size());
  cdc::decode_image_core(*core, stream.data(), stream.size(), {got.data(), w, h, 3, size_t{w} * 3},
                         settings(0, 1), {});
  cdc::decode_image(*model, stream.data(), stream.size(), {want.data(), w, h, 3, size_t{w} * 3},
                    settings(0, 1), {});
  CHECK(got == want);
  // At most T steps (7 here): more is refused, not clamped.
  cdc::CodecSettings too_many = settings(0, c.num_timesteps + 1);
  try {
    cdc::decode_image_core(*core, stream.data(), stream.size(),
                           {got.data(), w, h, 3, size_t{w} * 3}, too_many, {});
    FAIL("more steps than timesteps were accepted");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_INVALID_ARGUMENT);
  }
  cdc::decode_image_core(*core, stream.data(), stream.size(), {got.data(), w, h, 3, size_t{w} * 3},
                         settings(0, c.num_timesteps), {});
  // A header whose latents are not the padded size over powers of two is
  // refused without the model too.
  std::vector<uint8_t> bad = stream;
  bad[60] ^= 1;  // the width of y (u32 at 60), then the header's CRC again
  const uLong crc = crc32(0L, bad.data(), 116);
  for (int i = 0; i < 4; ++i) bad[116 + i] = static_cast<uint8_t>(crc >> (8 * i));
  CHECK_THROWS_AS(cdc::read_stream_summary(bad.data(), bad.size(), int64_t{1} << 30, false),
                  cdc::Error);
}
