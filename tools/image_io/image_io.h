// image_io.h - PNG and JPEG reading and writing for the cdc command line tool.
//
// All decoding works on bytes already in memory and all encoding produces
// bytes in memory, so that the caller controls file access (atomic writes).
// Errors never abort the process: libpng and libjpeg errors are caught with
// setjmp/longjmp inside the codec functions and returned as a message.
#ifndef CDC_TOOLS_IMAGE_IO_H_
#define CDC_TOOLS_IMAGE_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cdc_tools {

// An 8-bit interleaved image, rows packed (stride = width * channels).
// channels: 1 (gray), 3 (RGB) or 4 (RGBA).
struct Image {
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t channels = 0;
  std::vector<uint8_t> pixels;
};

enum class ImageFormat { kUnknown, kPng, kJpeg };

// Guesses the format from the first bytes (signature), not from a name.
ImageFormat sniff_image_format(const uint8_t* data, size_t size);

// Guesses the format wanted for an output file from its extension
// (.png, .jpg, .jpeg; case-insensitive). kUnknown otherwise.
ImageFormat format_from_extension(const std::string& path);

// PNG: 8-bit gray, gray+alpha (returned as RGBA), RGB, RGBA, palette
// (expanded to RGB or RGBA), 1/2/4-bit gray (expanded) and 16-bit (reduced
// to 8 bits). Interlaced images are supported. Images with more than
// max_pixels pixels are rejected before any large allocation.
// Returns true on success; on failure *error says why and out is unchanged
// in meaning (its contents are unspecified).
bool decode_png(const uint8_t* data, size_t size, uint64_t max_pixels, Image* out,
                std::string* error);

// JPEG: grayscale (1 channel) and color (3 channels, RGB). CMYK and YCCK
// images are rejected. Corrupt or truncated data is an error (libjpeg's
// warnings are not ignored).
bool decode_jpeg(const uint8_t* data, size_t size, uint64_t max_pixels, Image* out,
                 std::string* error);

// Decodes a PNG or a JPEG, chosen by signature.
bool decode_image(const uint8_t* data, size_t size, uint64_t max_pixels, Image* out,
                  std::string* error);

// Encodes an image as PNG (gray, RGB or RGBA, 8 bits).
bool encode_png(const Image& image, std::vector<uint8_t>* out, std::string* error);

// Encodes an image as baseline JPEG with the given quality (1..100).
// Gray stays gray; the alpha channel of RGBA is dropped.
bool encode_jpeg(const Image& image, int quality, std::vector<uint8_t>* out,
                 std::string* error);

}  // namespace cdc_tools

#endif  // CDC_TOOLS_IMAGE_IO_H_
