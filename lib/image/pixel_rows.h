// Decoded rows to caller pixels without libtorch: float RGB rows in [-1, 1]
// (interleaved, as the inference core holds them) to the 8-bit interleaved
// formats of image_view.h, and the alpha plane of a stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "image/image_view.h"

namespace cdc {

// The BT.601 luma of an 8-bit RGB pixel, rounded half up: the gray value of
// every colour-to-gray conversion of the decoders.
inline uint8_t bt601_luma(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000);
}

// x: rows of `x_width` pixels of 3 floats (RGB, interleaved) holding image
// rows [top, top + rows); those inside out are written (columns
// [0, out.width)). Each value is clamped to [-1, 1], mapped to [0, 255] and
// rounded to the nearest integer (ties to even); gray output is the BT.601
// luma of the RGB result; alpha, if wanted, is 255 (the caller overwrites it
// when the stream has one).
void rgb_rows_to_image(const float* x, int64_t rows, int64_t x_width, const MutableImageView& out,
                       int64_t top);

// The alpha channel of an RGBA image, zlib-compressed (the stream's alpha
// substream).
std::vector<uint8_t> compress_alpha(const ImageView& image);

// An 8-bit RGB image handed to a progress callback (the current x0
// prediction during the diffusion stage).
struct PreviewImage {
  const uint8_t* pixels = nullptr;
  uint32_t width = 0, height = 0;
  size_t stride = 0;
};

// Writes a tightly packed alpha plane into the 4th channel of out.
void insert_alpha(const std::vector<uint8_t>& alpha, const MutableImageView& out);

}  // namespace cdc
