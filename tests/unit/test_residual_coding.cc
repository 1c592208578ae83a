// The residual layer's coder: the binary range coder against the ideal code
// length, residual round trips (gray, RGB, RGBA, odd sizes, strides), the
// error bound of the quantizer, and corrupt or cut data.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "common/error.h"
#include "residual/binary_coder.h"
#include "residual/residual_coding.h"

using namespace cdc::residual;

namespace {

struct Image {
  uint32_t width = 0, height = 0;
  int channels = 0;
  size_t stride = 0;
  std::vector<uint8_t> pixels;
  Image(uint32_t w, uint32_t h, int c, size_t pad = 0)
      : width(w), height(h), channels(c), stride(w * c + pad), pixels(stride * h) {}
  cdc::ImageView view() const { return {pixels.data(), width, height, channels, stride}; }
  cdc::MutableImageView mutable_view() { return {pixels.data(), width, height, channels, stride}; }
  uint8_t& at(uint32_t x, uint32_t y, int c) { return pixels[y * stride + x * channels + c]; }
};

// A smooth picture with edges and noise (source) and a blurred, shifted
// version of it (base), as a decoder's image differs from the original.
void make_pair(Image& source, Image& base, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 6.0f);
  for (uint32_t y = 0; y < source.height; ++y)
    for (uint32_t x = 0; x < source.width; ++x)
      for (int c = 0; c < source.channels; ++c) {
        const float v = 128 + 60 * std::sin(0.05f * x + 0.3f * c) * std::cos(0.07f * y) +
                        (x > source.width / 2 ? 40 : 0);
        source.at(x, y, c) = static_cast<uint8_t>(std::clamp(v + noise(rng), 0.0f, 255.0f));
        base.at(x, y, c) = static_cast<uint8_t>(std::clamp(v + 3.0f, 0.0f, 255.0f));
      }
}

double mse(const Image& a, const Image& b) {
  double s = 0;
  size_t n = 0;
  for (uint32_t y = 0; y < a.height; ++y)
    for (uint32_t x = 0; x < a.width * a.channels; ++x) {
      if (x % a.channels == 3) continue;  // alpha is not the residual's
      ++n;
      const double d = double(a.pixels[y * a.stride + x]) - b.pixels[y * b.stride + x];
      s += d * d;
    }
  return s / n;
}

}  // namespace

TEST_CASE("residual: the binary range coder round-trips within 1% of the ideal code length") {
  std::mt19937 rng(7);
  for (double p1 : {0.5, 0.1, 0.01, 0.999}) {
    std::bernoulli_distribution bit(p1);
    std::vector<int> bits(200000);
    for (int& b : bits) b = bit(rng);
    RangeEncoder enc;
    BitContext ctx;
    for (size_t i = 0; i < bits.size(); ++i) {
      if (i % 7 == 0)
        enc.encode_bypass(bits[i]);
      else
        enc.encode(ctx, bits[i]);
    }
    const std::vector<uint8_t> code = enc.finish();
    RangeDecoder dec(code.data(), code.size());
    BitContext dctx;
    for (size_t i = 0; i < bits.size(); ++i) {
      const int b = i % 7 == 0 ? dec.decode_bypass() : dec.decode(dctx);
      REQUIRE(b == bits[i]);
    }
    CHECK_FALSE(dec.overrun());
    const double h = p1 <= 0 || p1 >= 1 ? 0 : -(p1 * std::log2(p1) + (1 - p1) * std::log2(1 - p1));
    const double ideal = (bits.size() - (bits.size() + 6) / 7) * h + (bits.size() + 6) / 7;
    CHECK(code.size() * 8.0 < ideal * 1.01 + 64);
  }
}

TEST_CASE("residual: round trips of gray, RGB and RGBA images of odd sizes") {
  for (int channels : {1, 3, 4}) {
    for (auto [w, h] : {std::pair<uint32_t, uint32_t>{1, 1}, {7, 5}, {64, 48}, {101, 37}}) {
      CAPTURE(channels);
      CAPTURE(w);
      CAPTURE(h);
      Image source(w, h, channels, 3), base(w, h, channels, 1);
      make_pair(source, base, w * 31 + h);
      for (uint16_t step : {16, 64, 400}) {  // 1, 4 and 25 levels
        // Flat steps, and the encoder's frequency weighting.
        const Steps steps{step, step, static_cast<uint16_t>(step == 64 ? kDefaultTilt : 0)};
        const std::vector<uint8_t> code = encode_residual(source.view(), base.view(), steps);
        Image out = base;
        decode_residual(code.data(), code.size(), steps, out.mutable_view());
        const double before = mse(source, base), after = mse(source, out);
        // A fine step brings the image close to the source; coarser ones
        // still never make it worse than the base on these images.
        if (step == 16) CHECK(after < 0.6);
        CHECK(after <= before + 1e-9);
        if (channels == 4)  // alpha untouched
          for (uint32_t y = 0; y < h; ++y)
            for (uint32_t x = 0; x < w; ++x) REQUIRE(out.at(x, y, 3) == base.at(x, y, 3));
      }
    }
  }
}

TEST_CASE("residual: rate falls and error grows with the step") {
  Image source(128, 96, 3), base(128, 96, 3);
  make_pair(source, base, 3);
  size_t last_size = SIZE_MAX;
  double last_error = -1;
  for (uint16_t step : {8, 32, 128, 512, 2048}) {
    const std::vector<uint8_t> code = encode_residual(source.view(), base.view(), {step, step});
    Image out = base;
    decode_residual(code.data(), code.size(), {step, step}, out.mutable_view());
    const double e = mse(source, out);
    CHECK(code.size() < last_size);
    CHECK(e > last_error);
    last_size = code.size();
    last_error = e;
  }
}

TEST_CASE("residual: the encoder's block sizes beat every size alone") {
  // Left half: a smooth residual (large blocks code it cheaper); right half:
  // fine texture (8x8 blocks).
  Image source(256, 128, 3), base(256, 128, 3);
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 10.0f);
  for (uint32_t y = 0; y < 128; ++y)
    for (uint32_t x = 0; x < 256; ++x)
      for (int c = 0; c < 3; ++c) {
        const float b = 100 + 0.2f * x + 0.1f * y;
        const float r = x < 128 ? 12 * std::sin(0.15f * x + 0.2f * c) * std::cos(0.1f * y)
                                : ((x / 2 + y / 2) % 2 ? 14.0f : -14.0f) + noise(rng);
        base.at(x, y, c) = static_cast<uint8_t>(b);
        source.at(x, y, c) = static_cast<uint8_t>(std::clamp(b + r, 0.0f, 255.0f));
      }
  const Steps steps{16 * 8, 16 * 8, kDefaultTilt};
  const double lambda = 0.06 * 8 * 8;  // the encoder's weight of a bit
  std::vector<double> cost;
  for (BlockSizes sizes : {BlockSizes::kChoose, BlockSizes::kOnly8x8, BlockSizes::kOnly16x16,
                           BlockSizes::kOnly32x32}) {
    const std::vector<uint8_t> code = encode_residual(source.view(), base.view(), steps, sizes);
    Image out = base;
    decode_residual(code.data(), code.size(), steps, out.mutable_view());
    const double error = mse(source, out) * 256 * 128, bits = code.size() * 8.0;
    CHECK(mse(source, out) < mse(source, base));
    cost.push_back(error + lambda * bits);
    MESSAGE("block sizes " << static_cast<int>(sizes) << ": " << code.size() << " bytes, MSE "
                           << mse(source, out));
  }
  CHECK(cost[0] < cost[1]);
  CHECK(cost[0] < cost[2]);
  CHECK(cost[0] < cost[3]);
}

TEST_CASE("residual: cut or corrupt code fails cleanly or decodes to some image") {
  Image source(80, 40, 3), base(80, 40, 3);
  make_pair(source, base, 9);
  const Steps steps{24, 24};
  const std::vector<uint8_t> code = encode_residual(source.view(), base.view(), steps);
  REQUIRE(code.size() > 100);
  // Cut: the decoder runs out of data.
  Image out = base;
  CHECK_THROWS_AS(decode_residual(code.data(), code.size() / 2, steps, out.mutable_view()),
                  cdc::Error);
  CHECK_THROWS_AS(decode_residual(nullptr, 0, steps, out.mutable_view()), cdc::Error);
  // Flipped bytes: either an error or an image, never a crash or a hang.
  std::mt19937 rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> bad = code;
    bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    Image o = base;
    try {
      decode_residual(bad.data(), bad.size(), steps, o.mutable_view());
    } catch (const cdc::Error& e) {
      CHECK(e.status() == CDC_STATUS_CORRUPT_STREAM);
    }
  }
  CHECK_THROWS_AS(encode_residual(source.view(), base.view(), {0, 24}), cdc::Error);
}
