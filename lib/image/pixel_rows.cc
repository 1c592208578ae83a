#include "image/pixel_rows.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace cdc {

void rgb_rows_to_image(const float* x, int64_t rows, int64_t x_width, const MutableImageView& out,
                       int64_t top) {
  CDC_CHECK(x_width >= out.width && top >= 0);
  const int64_t h = std::min<int64_t>(rows, static_cast<int64_t>(out.height) - top);
  auto level = [](float v) {
    // NaN stays NaN through the clamp, as in libtorch, and becomes 0.
    v = v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v);
    const float s = std::nearbyint((v + 1.0f) * 127.5f);
    return static_cast<uint8_t>(s >= 0.0f ? s : 0.0f);
  };
  for (int64_t yy = 0; yy < h; ++yy) {
    uint8_t* row = out.pixels + static_cast<size_t>(top + yy) * out.stride;
    const float* src = x + yy * x_width * 3;
    for (uint32_t xx = 0; xx < out.width; ++xx) {
      const uint8_t r = level(src[3 * xx]), g = level(src[3 * xx + 1]), b = level(src[3 * xx + 2]);
      uint8_t* p = row + static_cast<size_t>(xx) * out.channels;
      if (out.channels == 1) {
        p[0] = bt601_luma(r, g, b);
      } else {
        p[0] = r;
        p[1] = g;
        p[2] = b;
        if (out.channels == 4) p[3] = 255;
      }
    }
  }
}

std::vector<uint8_t> compress_alpha(const ImageView& image) {
  CDC_CHECK(image.channels == 4);
  std::vector<uint8_t> alpha(static_cast<size_t>(image.width) * image.height);
  for (uint32_t yy = 0; yy < image.height; ++yy)
    for (uint32_t xx = 0; xx < image.width; ++xx)
      alpha[static_cast<size_t>(yy) * image.width + xx] =
          image.pixels[static_cast<size_t>(yy) * image.stride + xx * 4 + 3];
  uLongf size = compressBound(static_cast<uLong>(alpha.size()));
  std::vector<uint8_t> out(size);
  if (compress2(out.data(), &size, alpha.data(), static_cast<uLong>(alpha.size()), 9) != Z_OK)
    fail(CDC_STATUS_INTERNAL_ERROR, "zlib could not compress the alpha plane");
  out.resize(size);
  return out;
}

void insert_alpha(const std::vector<uint8_t>& alpha, const MutableImageView& out) {
  CDC_CHECK(out.channels == 4);
  CDC_CHECK(alpha.size() == static_cast<size_t>(out.width) * out.height);
  for (uint32_t yy = 0; yy < out.height; ++yy) {
    uint8_t* row = out.pixels + static_cast<size_t>(yy) * out.stride;
    for (uint32_t xx = 0; xx < out.width; ++xx)
      row[xx * 4 + 3] = alpha[static_cast<size_t>(yy) * out.width + xx];
  }
}

}  // namespace cdc
