// The residual layer (docs/format.md, "Residual section"): what the diffusion
// decoder's image misses of the original, coded as a transform code. The
// difference source - base (base: the image the stream's latents decode to)
// is taken to YCbCr (JPEG's full-range matrix; gray images: one plane) and
// cut into 32x32 macroblocks, each coded as one 32x32 block or as four 16x16
// quarters, each of those one 16x16 block or four 8x8 blocks (a quadtree:
// the encoder picks the sizes of least squared error + lambda * bits),
// transformed by the orthonormal 2-D DCT-II, quantized with one step per
// plane kind (luma, chroma) weighted by frequency, and coded with the
// adaptive binary range coder (binary_coder.h) in macroblock-row order: per
// macroblock and plane its size flags, per block a coded-block flag, then per
// coefficient in zigzag order a significance flag, for nonzero ones the
// magnitude (greater-than-1, greater-than-2, an Exp-Golomb remainder) and the
// sign, and a last flag; contexts depend only on symbols already coded (the
// neighbours' quantized coefficients), never on the base image, so any
// decoder reads the code whatever its base image's floating-point details.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "image/image_view.h"

namespace cdc::residual {

// Quantizer steps in 1/16 of an 8-bit level (the section stores them so),
// and their frequency weighting: the coefficient at row i, column j of a
// block (its band b = min(i + j, 9); in a larger block, the band of the 8x8
// coefficient of the same frequency, e.g. min(i / 2 + j / 2, 9) in a 16x16
// block) is quantized with
// step * max(1/16, 1 + tilt / 1024 * (b - kTiltPivot)): finer at low
// frequencies, coarser at high ones (tilt 0: one step for all).
struct Steps {
  uint16_t luma = 0;    // 1 .. 65535
  uint16_t chroma = 0;  // 1 .. 65535
  uint16_t tilt = 0;    // 0 .. 1024
};
inline constexpr int kTiltPivot = 3;
// The encoder's default tilt and chroma step (the luma step times
// kChromaStepRatio), measured: docs/quality.md, "The residual layer".
inline constexpr uint16_t kDefaultTilt = 170;  // 0.166
inline constexpr double kChromaStepRatio = 1.4;

// The encoder's steps for a luma step in 1/16 of a level (1 .. 65535).
Steps encoder_steps(uint16_t luma);

// The planes coded for an image of `channels` channels: 1 for gray, 3 for RGB
// and RGBA (alpha is coded losslessly elsewhere).
int plane_count(int channels);

// The block sizes the encoder may use: its choice per macroblock, or one
// size everywhere (tests and measurements; any decoder reads all three).
enum class BlockSizes { kChoose, kOnly8x8, kOnly16x16, kOnly32x32 };

// Codes source - base (the same size; channels 1, 3 or 4, the same for both).
std::vector<uint8_t> encode_residual(const ImageView& source, const ImageView& base,
                                     const Steps& steps,
                                     BlockSizes sizes = BlockSizes::kChoose);

// Adds the residual coded in data[0, size) to image (the base, overwritten
// with the result: rounded to the nearest level and clamped to 0..255).
// Throws cdc::Error(CDC_STATUS_CORRUPT_STREAM) for data that does not decode
// to image's size; image is then partly written.
void decode_residual(const uint8_t* data, size_t size, const Steps& steps,
                     const MutableImageView& image);

}  // namespace cdc::residual
