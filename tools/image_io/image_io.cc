// image_io.cc - format detection and dispatch for PNG and JPEG.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "image_io/image_io.h"

namespace cdc_tools {

ImageFormat sniff_image_format(const uint8_t* data, size_t size) {
  static const uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, kPngSignature, 8) == 0) return ImageFormat::kPng;
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::kJpeg;
  return ImageFormat::kUnknown;
}

std::string lowercase_extension(const std::string& path) {
  const size_t dot = path.find_last_of('.');
  const size_t slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

ImageFormat format_from_extension(const std::string& path) {
  const std::string ext = lowercase_extension(path);
  if (ext == ".png") return ImageFormat::kPng;
  if (ext == ".jpg" || ext == ".jpeg") return ImageFormat::kJpeg;
  return ImageFormat::kUnknown;
}

bool icc_fits_channels(const std::vector<uint8_t>& icc, uint32_t channels) {
  if (icc.size() < 20) return false;
  const char* space = reinterpret_cast<const char*>(icc.data() + 16);
  if (channels == 1) return std::memcmp(space, "GRAY", 4) == 0;
  return std::memcmp(space, "RGB ", 4) == 0;
}

bool decode_image(const uint8_t* data, size_t size, uint64_t max_pixels, Image* out,
                  std::string* error) {
  switch (sniff_image_format(data, size)) {
    case ImageFormat::kPng:
      return decode_png(data, size, max_pixels, out, error);
    case ImageFormat::kJpeg:
      return decode_jpeg(data, size, max_pixels, out, error);
    case ImageFormat::kUnknown:
      break;
  }
  *error = size == 0 ? "the file is empty" : "not a PNG or JPEG image";
  return false;
}

}  // namespace cdc_tools
