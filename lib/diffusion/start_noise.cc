#include "diffusion/start_noise.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace cdc {

namespace {

// SplitMix64 finaliser: decorrelates the seeds of neighbouring blocks.
uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

constexpr int64_t kNoiseBlock = 64;

// A block's normal values, planar channels x 64 x 64: pairs of uniforms in
// (0, 1] from a SplitMix64 sequence, each pair through Box-Muller.
std::vector<float> block_noise(int64_t channels, uint64_t key) {
  const size_t count = static_cast<size_t>(channels * kNoiseBlock * kNoiseBlock);
  std::vector<float> out(count);
  uint64_t state = key;
  auto uniform = [&state] {
    // 53 random bits -> (0, 1].
    state += 0x9e3779b97f4a7c15ull;
    const uint64_t bits = mix64(state - 0x9e3779b97f4a7c15ull) >> 11;
    return (static_cast<double>(bits) + 1.0) * 0x1.0p-53;
  };
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (size_t i = 0; i < count; i += 2) {
    const double u1 = uniform(), u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    out[i] = static_cast<float>(radius * std::cos(kTwoPi * u2));
    if (i + 1 < count) out[i + 1] = static_cast<float>(radius * std::sin(kTwoPi * u2));
  }
  return out;
}

}  // namespace

std::vector<float> start_noise_planar(int64_t channels, int64_t top, int64_t left, int64_t height,
                                      int64_t width, double gamma, uint64_t seed) {
  CDC_CHECK(channels >= 1 && top >= 0 && left >= 0 && height >= 1 && width >= 1);
  std::vector<float> out(static_cast<size_t>(channels * height * width), 0.0f);
  if (gamma == 0.0) return out;
  const float g = static_cast<float>(gamma);
  for (int64_t by = top / kNoiseBlock; by * kNoiseBlock < top + height; ++by) {
    for (int64_t bx = left / kNoiseBlock; bx * kNoiseBlock < left + width; ++bx) {
      const uint64_t key = mix64(mix64(seed) ^ mix64((static_cast<uint64_t>(by) << 32) ^
                                                     static_cast<uint64_t>(bx)));
      const std::vector<float> block = block_noise(channels, key);
      const int64_t y0 = std::max(top, by * kNoiseBlock);
      const int64_t y1 = std::min(top + height, (by + 1) * kNoiseBlock);
      const int64_t x0 = std::max(left, bx * kNoiseBlock);
      const int64_t x1 = std::min(left + width, (bx + 1) * kNoiseBlock);
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t y = y0; y < y1; ++y)
          for (int64_t x = x0; x < x1; ++x)
            out[static_cast<size_t>((c * height + (y - top)) * width + (x - left))] =
                block[static_cast<size_t>((c * kNoiseBlock + (y - by * kNoiseBlock)) * kNoiseBlock +
                                          (x - bx * kNoiseBlock))] *
                g;
    }
  }
  return out;
}

}  // namespace cdc
