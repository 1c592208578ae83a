// CDC_OPTION_DEVICE: the CPU always; CUDA where libtorch has it and a device
// is visible (refused with UNSUPPORTED elsewhere). Where CUDA runs, the
// device's decode matches the CPU's within the parity tolerance and streams
// cross devices both ways.
#include <doctest/doctest.h>

#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "cdc.h"
#include "codec/codec.h"
#include "common/codec_settings.h"
#include "common/error.h"
#include "model/compute_device.h"
#include "model_test_util.h"

TEST_CASE("device: the option's bounds and its availability") {
  cdc::OptionSpec spec;
  REQUIRE(cdc::option_spec(CDC_OPTION_DEVICE, &spec));
  CHECK(spec.min == 0);
  CHECK(spec.max == 1);
  CHECK(spec.def == 0);
  cdc::CodecSettings s;
  CHECK(cdc::get_option(s, CDC_OPTION_DEVICE) == 0);
  CHECK_THROWS(cdc::set_option(s, CDC_OPTION_DEVICE, 2));
  CHECK(cdc::device_unavailable_reason(cdc::kDeviceCpu).empty());
  if (torch::cuda::is_available()) {
    CHECK_NOTHROW(cdc::check_device_available(cdc::kDeviceCuda));
  } else {
    try {
      cdc::check_device_available(cdc::kDeviceCuda);
      FAIL("CUDA reported available without a CUDA device");
    } catch (const cdc::Error& e) {
      CHECK(e.status() == CDC_STATUS_UNSUPPORTED);
      CHECK(std::string(e.what()).find("CUDA") != std::string::npos);
    }
  }
}

TEST_CASE("device: CUDA settings fail cleanly where CUDA cannot run") {
  if (torch::cuda::is_available()) return;
  auto model = cdc_test::golden_model();
  const uint32_t w = 64, h = 64;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 3);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  cdc::CodecSettings cpu;
  cpu.steps = 1;
  const std::vector<uint8_t> stream = cdc::encode_image(*model, image, cpu, {});
  cdc::CodecSettings cuda = cpu;
  cuda.device = cdc::kDeviceCuda;  // as if set where CUDA was available
  try {
    cdc::encode_image(*model, image, cuda, {});
    FAIL("encoding on an unavailable CUDA device succeeded");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_UNSUPPORTED);
  }
  std::vector<uint8_t> out(px.size(), 7);
  try {
    cdc::decode_image(*model, stream.data(), stream.size(), {out.data(), w, h, 3, size_t{w} * 3},
                      cuda, {});
    FAIL("decoding on an unavailable CUDA device succeeded");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_UNSUPPORTED);
  }
  CHECK(out == std::vector<uint8_t>(px.size(), 7));  // the output is untouched
}

TEST_CASE("device: CUDA decodes match the CPU's and streams cross devices") {
  if (!torch::cuda::is_available()) {
    MESSAGE("no CUDA device: the cross-device checks are skipped");
    return;
  }
  auto model = cdc_test::golden_model();
  const uint32_t w = 128, h = 64;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 11);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  cdc::CodecSettings cpu;
  cpu.steps = 2;
  cpu.gamma = 0;
  cdc::CodecSettings cuda = cpu;
  cuda.device = cdc::kDeviceCuda;
  const std::vector<uint8_t> s_cpu = cdc::encode_image(*model, image, cpu, {});
  const std::vector<uint8_t> s_cuda = cdc::encode_image(*model, image, cuda, {});
  for (const auto* stream : {&s_cpu, &s_cuda}) {
    std::vector<uint8_t> a(px.size()), b(px.size());
    cdc::decode_image(*model, stream->data(), stream->size(), {a.data(), w, h, 3, size_t{w} * 3},
                      cpu, {});
    cdc::decode_image(*model, stream->data(), stream->size(), {b.data(), w, h, 3, size_t{w} * 3},
                      cuda, {});
    const double p = cdc_test::psnr(a, b);
    MESSAGE("PSNR of the CUDA decode against the CPU decode: " << p << " dB");
    CHECK(p > 45);
  }
}
