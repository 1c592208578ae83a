// CDC_OPTION_PRECISION: bfloat16 decoding is offered only where the CPU has it
// natively, and (emulated here when needed) stays close to the float32 decode.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>

#include "codec/codec.h"
#include "codec/inference_decoder.h"
#include "common/codec_settings.h"
#include "common/cpu_features.h"
#include "common/error.h"
#include "model/inference_model.h"
#include "model_test_util.h"

TEST_CASE("precision: bfloat16 is refused on CPUs without native support") {
  ::unsetenv("CDC_ALLOW_EMULATED_BF16");
  cdc::CodecSettings s;
  if (cdc::cpu_has_native_bf16()) {
    cdc::set_option(s, CDC_OPTION_PRECISION, 1);
    CHECK(s.precision == 1);
  } else {
    try {
      cdc::set_option(s, CDC_OPTION_PRECISION, 1);
      FAIL("bfloat16 accepted without native support");
    } catch (const cdc::Error& e) {
      CHECK(e.status() == CDC_STATUS_UNSUPPORTED);
      CHECK(std::string(e.what()).find("bfloat16") != std::string::npos);
    }
    CHECK(s.precision == 0);
  }
  cdc::set_option(s, CDC_OPTION_PRECISION, 0);
  CHECK(s.precision == 0);
  CHECK_THROWS(cdc::set_option(s, CDC_OPTION_PRECISION, 2));
}

namespace {

// A test image and its stream from the golden model, with the settings of a
// deterministic 2-step decode on 2 threads.
struct GoldenStream {
  std::vector<uint8_t> pixels, stream;
  cdc::CodecSettings settings;
};

GoldenStream golden_stream(uint32_t w, uint32_t h, int seed) {
  GoldenStream g;
  g.pixels = cdc_test::test_image(w, h, seed);
  g.settings.threads = 2;
  g.settings.steps = 2;
  g.settings.gamma = 0;
  const cdc::ImageView image{g.pixels.data(), w, h, 3, size_t{w} * 3};
  g.stream = cdc::encode_image(*cdc_test::golden_model(), image, g.settings, {});
  return g;
}

}  // namespace

TEST_CASE("precision: a bfloat16 decode is close to the float32 decode") {
  ::setenv("CDC_ALLOW_EMULATED_BF16", "1", 1);
  auto model = cdc_test::golden_model();
  const uint32_t w = 64, h = 64;
  const GoldenStream g = golden_stream(w, h, 5);
  const std::vector<uint8_t>& px = g.pixels;
  const std::vector<uint8_t>& stream = g.stream;
  cdc::CodecSettings s = g.settings;
  std::vector<uint8_t> f32(px.size()), b16(px.size());
  cdc::decode_image(*model, stream.data(), stream.size(), {f32.data(), w, h, 3, size_t{w} * 3}, s, {});
  cdc::set_option(s, CDC_OPTION_PRECISION, 1);
  cdc::decode_image(*model, stream.data(), stream.size(), {b16.data(), w, h, 3, size_t{w} * 3}, s, {});
  const double psnr = cdc_test::psnr(f32, b16);
  MESSAGE("PSNR of the bfloat16 decode against the float32 decode: " << psnr << " dB");
  CHECK(psnr > 30);
  CHECK(f32 != b16);  // it did run in bfloat16
  ::unsetenv("CDC_ALLOW_EMULATED_BF16");
}

TEST_CASE("precision: the inference core decodes in bfloat16, close to float32, any threads") {
  ::setenv("CDC_ALLOW_EMULATED_BF16", "1", 1);
  const std::vector<uint8_t>& bytes = cdc_test::golden_model_bytes();
  auto core = cdc::InferenceModel::load_copy(bytes.data(), bytes.size());
  const uint32_t w = 192, h = 128;
  const GoldenStream g = golden_stream(w, h, 6);
  const std::vector<uint8_t>& px = g.pixels;
  const std::vector<uint8_t>& stream = g.stream;
  const cdc::CodecSettings& s = g.settings;
  auto decode = [&](int precision, int threads) {
    std::vector<uint8_t> out(px.size());
    cdc::CodecSettings d = s;
    cdc::set_option(d, CDC_OPTION_PRECISION, precision);
    d.threads = threads;
    CHECK(cdc::core_decode_unsupported(d).empty());
    cdc::decode_image_core(*core, stream.data(), stream.size(), {out.data(), w, h, 3, size_t{w} * 3},
                           d, {});
    return out;
  };
  const std::vector<uint8_t> f32 = decode(0, 2), b16 = decode(1, 2);
  const double psnr = cdc_test::psnr(f32, b16);
  MESSAGE("core: PSNR of the bfloat16 decode against the float32 decode: " << psnr << " dB");
  CHECK(psnr > 30);
  // Where the CPU has bfloat16 arithmetic it is used (elsewhere oneDNN may
  // offer only its reference kernel, and the core stays in float32).
  if (cdc::cpu_has_native_bf16()) CHECK(f32 != b16);
  CHECK(decode(1, 1) == b16);
  // The scope ends with the decode: float32 again afterwards.
  CHECK(decode(0, 1) == f32);
  ::unsetenv("CDC_ALLOW_EMULATED_BF16");
}
