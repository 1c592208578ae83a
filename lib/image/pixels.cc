#include "image/pixels.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace cdc {

uint32_t padded_size(uint32_t n, uint32_t multiple) {
  CDC_CHECK(n >= 1 && multiple >= 1);
  return ((n + multiple - 1) / multiple) * multiple;
}

torch::Tensor image_to_tensor(const ImageView& image) {
  return image_region_to_tensor(image, 0, 0, image.height, image.width);
}

torch::Tensor image_region_to_tensor(const ImageView& image, int64_t top, int64_t left,
                                     int64_t height, int64_t width) {
  CDC_CHECK(top >= 0 && left >= 0 && height >= 1 && width >= 1);
  const int64_t h = height, w = width;
  torch::Tensor x = torch::empty({1, 3, h, w}, torch::kFloat32);
  float* r = x.data_ptr<float>();
  float* g = r + h * w;
  float* b = g + h * w;
  const int64_t last_row = static_cast<int64_t>(image.height) - 1;
  const int64_t last_col = static_cast<int64_t>(image.width) - 1;
  constexpr float kScale = 2.0f / 255.0f;
  for (int64_t yy = 0; yy < h; ++yy) {
    const uint8_t* row =
        image.pixels + static_cast<size_t>(std::min(top + yy, last_row)) * image.stride;
    for (int64_t xx = 0; xx < w; ++xx) {
      const uint8_t* p = row + std::min(left + xx, last_col) * image.channels;
      const int64_t i = yy * w + xx;
      if (image.channels == 1) {
        r[i] = g[i] = b[i] = p[0] * kScale - 1.0f;
      } else {
        r[i] = p[0] * kScale - 1.0f;
        g[i] = p[1] * kScale - 1.0f;
        b[i] = p[2] * kScale - 1.0f;
      }
    }
  }
  return x;
}

torch::Tensor pad_to(const torch::Tensor& x, int64_t height, int64_t width) {
  const int64_t h = x.size(2), w = x.size(3);
  CDC_CHECK(height >= h && width >= w);
  if (height == h && width == w) return x;
  // Edge replication by index selection (works for any size, 1x1 included).
  torch::Tensor rows = torch::arange(height, torch::kLong).clamp_max(h - 1);
  torch::Tensor cols = torch::arange(width, torch::kLong).clamp_max(w - 1);
  return x.index_select(2, rows).index_select(3, cols).contiguous();
}

void tensor_to_image(const torch::Tensor& x_in, const MutableImageView& out) {
  CDC_CHECK(x_in.dim() == 4 && x_in.size(2) >= out.height);
  tensor_to_image_rows(x_in.narrow(2, 0, out.height), out, 0);
}

void tensor_to_image_rows(const torch::Tensor& x_in, const MutableImageView& out, int64_t top) {
  CDC_CHECK(x_in.dim() == 4 && x_in.size(1) == 3 && x_in.size(3) >= out.width && top >= 0);
  const int64_t h = std::min<int64_t>(x_in.size(2), static_cast<int64_t>(out.height) - top);
  if (h <= 0) return;
  const int64_t w = out.width;
  torch::Tensor x = x_in.index({0, torch::indexing::Slice(), torch::indexing::Slice(0, h),
                                torch::indexing::Slice(0, w)})
                        .clamp(-1.0, 1.0)
                        .add(1.0)
                        .mul(127.5)
                        .round()
                        .to(torch::kUInt8)
                        .contiguous();
  const uint8_t* r = x.data_ptr<uint8_t>();
  const uint8_t* g = r + h * w;
  const uint8_t* b = g + h * w;
  for (int64_t yy = 0; yy < h; ++yy) {
    uint8_t* row = out.pixels + static_cast<size_t>(top + yy) * out.stride;
    for (int64_t xx = 0; xx < w; ++xx) {
      const int64_t i = yy * w + xx;
      uint8_t* p = row + xx * out.channels;
      if (out.channels == 1) {
        p[0] = bt601_luma(r[i], g[i], b[i]);
      } else {
        p[0] = r[i];
        p[1] = g[i];
        p[2] = b[i];
        if (out.channels == 4) p[3] = 255;
      }
    }
  }
}


}  // namespace cdc
