// Views of the caller's interleaved 8-bit pixels (gray, RGB or RGBA rows with
// a stride), as the codec reads and writes them. No ownership.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cdc {

// Read-only interleaved 8-bit pixels.
struct ImageView {
  const uint8_t* pixels = nullptr;
  uint32_t width = 0;
  uint32_t height = 0;
  int channels = 0;   // 1, 3 or 4
  size_t stride = 0;  // bytes between rows
};

// Writable interleaved 8-bit pixels.
struct MutableImageView {
  uint8_t* pixels = nullptr;
  uint32_t width = 0;
  uint32_t height = 0;
  int channels = 0;
  size_t stride = 0;
};

}  // namespace cdc
