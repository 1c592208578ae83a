// The start x_N of a stochastic decode (gamma > 0), without libtorch: gamma *
// N(0, I) drawn per 64x64 block of the image from a generator seeded with
// (seed, block row, block column), so that a tile gets the same noise as the
// whole image at the same pixels. The generator is libcdc's own (SplitMix64
// and the Box-Muller transform in float64), specified here so that a seed
// gives the same noise on every machine, CPU and thread count, and in both
// decoders (the inference core's and the libtorch side's).
#pragma once

#include <cstdint>
#include <vector>

namespace cdc {

// The noise of the rectangle [top, top + height) x [left, left + width),
// planar: channels x height x width floats; zeros when gamma is 0.
std::vector<float> start_noise_planar(int64_t channels, int64_t top, int64_t left, int64_t height,
                                      int64_t width, double gamma, uint64_t seed);

}  // namespace cdc
