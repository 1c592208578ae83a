// Float16 weight storage (model format version 2): the binary16 conversions,
// the files `cdc convert --weights f16` writes, what they decode, and the
// files a reader must refuse.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "codec/codec.h"
#include "common/float16.h"
#include "model_file_seal.h"
#include "model_test_util.h"

namespace {

using cdc_test::load_status;

uint16_t torch_half_bits(float f) {
  const c10::Half h(f);
  return h.x;
}

std::vector<uint8_t> float16_file(const std::vector<uint8_t>& f32_file) {
  const std::string in = cdc_test::temp_path("f16_in.cdcm");
  const std::string out = cdc_test::temp_path("f16_out.cdcm");
  cdc::write_file_atomically(in, f32_file);
  cdc::ConvertOptions options;
  options.storage = cdc::WeightStorage::kFloat16;
  cdc::convert_checkpoint(in, out, options);
  std::vector<uint8_t> bytes = cdc::read_whole_file(out);
  std::remove(in.c_str());
  std::remove(out.c_str());
  return bytes;
}

}  // namespace

TEST_CASE("float16: widening is exact and narrowing rounds to nearest even, as torch does") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float ours = cdc::half_to_float(static_cast<uint16_t>(h));
    c10::Half theirs;
    theirs.x = static_cast<uint16_t>(h);
    const float expected = static_cast<float>(theirs);
    if (std::isnan(expected)) {
      CHECK(std::isnan(ours));
      continue;
    }
    REQUIRE(std::memcmp(&ours, &expected, 4) == 0);
    // Every half survives a round trip.
    REQUIRE(cdc::float_to_half(ours) == h);
  }
  // Ties, the edges of the range, subnormals and many random values.
  const float special[] = {0.0f,     -0.0f,        1.0f,         1.0f + 1.0f / 2048,
                           1.0f + 3.0f / 2048,      65504.0f,     65519.0f,
                           65520.0f, 1e9f,         -1e9f,        5.96e-8f,
                           2.98e-8f, 2.99e-8f,     6.1e-5f,      6.09e-5f,
                           1e-10f,   std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity()};
  for (float f : special) CHECK(cdc::float_to_half(f) == torch_half_bits(f));
  torch::manual_seed(3);
  torch::Tensor values = torch::cat({torch::randn({20000}) * 3, torch::randn({20000}) * 1e-5,
                                     torch::randn({2000}) * 40000});
  const float* v = values.data_ptr<float>();
  for (int64_t i = 0; i < values.numel(); ++i) REQUIRE(cdc::float_to_half(v[i]) == torch_half_bits(v[i]));
  CHECK(std::isnan(cdc::half_to_float(cdc::float_to_half(std::nanf("")))));
}

TEST_CASE("model file: float16 weights (version 2) hold the rounded network exactly") {
  const auto& f32 = cdc_test::golden_model_bytes();
  const std::vector<uint8_t> f16 = float16_file(f32);
  CHECK(f16[8] == 2);   // format version 2
  CHECK(f32[8] == 1);   // a float32 file stays version 1
  CHECK(f16.size() < f32.size() * 6 / 10);
  const cdc::ModelFileContents a = cdc::read_model_file(f32.data(), f32.size());
  const cdc::ModelFileContents b = cdc::read_model_file(f16.data(), f16.size());
  CHECK(a.storage == cdc::WeightStorage::kFloat32);
  CHECK(b.storage == cdc::WeightStorage::kFloat16);
  CHECK(b.config == a.config);
  CHECK(b.id != a.id);
  CHECK(b.entropy_tables == a.entropy_tables);  // the prior stays float32
  REQUIRE(b.tensors.size() == a.tensors.size());
  int halved = 0;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const auto& [name, t] = a.tensors[i];
    INFO(name);
    CHECK(b.tensors[i].first == name);
    if (cdc::stored_as_float16(name, t)) {
      ++halved;
      CHECK(torch::equal(b.tensors[i].second, t.to(torch::kHalf).to(torch::kFloat32)));
    } else {
      CHECK(torch::equal(b.tensors[i].second, t));
    }
  }
  CHECK(halved > 50);
  // Writing the read tensors again gives the same bytes (nothing lost), and
  // converting with the default options keeps float16.
  std::array<uint8_t, 16> id{};
  CHECK(cdc::write_model_file(b.config, b.name, b.tensors, b.entropy_tables, &id,
                              cdc::WeightStorage::kFloat16) == f16);
  CHECK(id == b.id);
  {
    const std::string in = cdc_test::temp_path("f16_keep_in.cdcm");
    const std::string out = cdc_test::temp_path("f16_keep_out.cdcm");
    cdc::write_file_atomically(in, f16);
    cdc::convert_checkpoint(in, out, cdc::ConvertOptions{});
    CHECK(cdc::read_whole_file(out) == f16);
    cdc::ConvertOptions back;
    back.storage = cdc::WeightStorage::kFloat32;
    cdc::convert_checkpoint(in, out, back);
    const std::vector<uint8_t> widened = cdc::read_whole_file(out);
    CHECK(widened[8] == 1);
    CHECK(widened.size() == f32.size());
    std::remove(in.c_str());
    std::remove(out.c_str());
  }

  // Both decode; the float16 model's output is close to the float32 one's.
  auto m32 = cdc::Model::load_memory(f32.data(), f32.size());
  auto m16 = cdc::Model::load_memory(f16.data(), f16.size());
  const uint32_t w = 192, h = 128;
  std::vector<uint8_t> pixels = cdc_test::test_image(w, h, 4);
  cdc::ImageView image{pixels.data(), w, h, 3, size_t{w} * 3};
  cdc::CodecSettings settings;
  settings.steps = 2;
  std::vector<uint8_t> out32(pixels.size()), out16(pixels.size());
  cdc::MutableImageView v32{out32.data(), w, h, 3, size_t{w} * 3};
  cdc::MutableImageView v16{out16.data(), w, h, 3, size_t{w} * 3};
  const std::vector<uint8_t> s32 = cdc::encode_image(*m32, image, settings, {});
  const std::vector<uint8_t> s16 = cdc::encode_image(*m16, image, settings, {});
  cdc::decode_image(*m32, s32.data(), s32.size(), v32, settings, {});
  cdc::decode_image(*m16, s16.data(), s16.size(), v16, settings, {});
  const double close = cdc_test::psnr(out32, out16);
  MESSAGE("float16 vs float32 model, decoded images: " << close << " dB; streams "
                                                       << s16.size() << " vs " << s32.size() << " bytes");
  CHECK(close > 35.0);
  // A stream names its model: the other storage's model refuses it.
  CHECK_THROWS(cdc::decode_image(*m16, s32.data(), s32.size(), v16, settings, {}));
}

TEST_CASE("model file: float16 tensors outside version 2, bad sizes, newer versions") {
  const std::vector<uint8_t> f16 = float16_file(cdc_test::golden_model_bytes());
  CHECK(load_status(f16) == CDC_STATUS_OK);
  // The same bytes labelled version 1: float16 is not a version-1 dtype.
  std::vector<uint8_t> v1 = f16;
  v1[8] = 1;
  cdc_test::reseal_model_file(v1);
  CHECK(load_status(v1) == CDC_STATUS_INVALID_MODEL);
  // Version 3 is newer than this library.
  std::vector<uint8_t> v3 = f16;
  v3[8] = 3;
  CHECK(load_status(v3) == CDC_STATUS_UNSUPPORTED);
  // A float16 tensor whose byte count is that of float32 (or a dtype 3).
  const cdc::ModelFileContents c = cdc::read_model_file(f16.data(), f16.size());
  const std::string first = c.tensors.front().first;
  const auto at = std::search(f16.begin(), f16.end(), first.begin(), first.end());
  REQUIRE(at != f16.end());
  const size_t dtype_pos = static_cast<size_t>(at - f16.begin()) + first.size();
  for (uint8_t dtype : {uint8_t{3}, uint8_t{0}}) {
    std::vector<uint8_t> bad = f16;
    bad[dtype_pos] = dtype;
    cdc_test::reseal_model_file(bad);
    CHECK(load_status(bad) == CDC_STATUS_INVALID_MODEL);
  }
  {
    std::vector<uint8_t> flipped = f16;  // float16 <-> float32: the byte count no longer fits
    flipped[dtype_pos] = flipped[dtype_pos] == 2 ? 1 : 2;
    cdc_test::reseal_model_file(flipped);
    CHECK(load_status(flipped) == CDC_STATUS_INVALID_MODEL);
  }
}
