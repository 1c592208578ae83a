// jpeg_io.cc - JPEG reading and writing with libjpeg(-turbo), errors caught by
// setjmp. As in png_io.cc, the functions that call setjmp keep no C++ objects
// with destructors in their frames.
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include "image_io/image_io.h"

namespace cdc_tools {
namespace {

struct JpegErrorState {
  jpeg_error_mgr mgr;  // first member: libjpeg sees a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* state = reinterpret_cast<JpegErrorState*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, state->message);
  std::longjmp(state->jump, 1);
}

// libjpeg reports corrupt or truncated data as warnings (level -1) and goes
// on with gray filler. A codec tool must not compress such garbage silently:
// warnings are errors here. Trace messages (level >= 0) are dropped.
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) {
    auto* state = reinterpret_cast<JpegErrorState*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, state->message);
    std::longjmp(state->jump, 1);
  }
}

void install_errors(JpegErrorState* state) {
  jpeg_std_error(&state->mgr);
  state->mgr.error_exit = on_error;
  state->mgr.emit_message = on_message;
  state->message[0] = '\0';
}

enum class ReadResult { kOk, kLibjpegError, kCmyk, kTooLarge, kOutOfMemory };

ReadResult read_jpeg(jpeg_decompress_struct* cinfo, JpegErrorState* state, const uint8_t* data,
                     size_t size, uint64_t max_pixels, Image* out) {
  if (setjmp(state->jump)) return ReadResult::kLibjpegError;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK) {
    return ReadResult::kCmyk;
  }
  if (static_cast<uint64_t>(cinfo->image_width) * cinfo->image_height > max_pixels) {
    out->width = cinfo->image_width;
    out->height = cinfo->image_height;
    return ReadResult::kTooLarge;
  }
  cinfo->out_color_space = cinfo->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(cinfo);
  const uint32_t width = cinfo->output_width;
  const uint32_t height = cinfo->output_height;
  const uint32_t channels = static_cast<uint32_t>(cinfo->output_components);
  const size_t row_bytes = static_cast<size_t>(width) * channels;
  bool allocated = true;
  try {
    out->pixels.assign(row_bytes * height, 0);
  } catch (...) {
    allocated = false;
  }
  if (!allocated) return ReadResult::kOutOfMemory;
  out->width = width;
  out->height = height;
  out->channels = channels;
  while (cinfo->output_scanline < height) {
    JSAMPROW row = out->pixels.data() + static_cast<size_t>(cinfo->output_scanline) * row_bytes;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return ReadResult::kOk;
}

struct MemoryDest {
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
};

bool write_jpeg(jpeg_compress_struct* cinfo, JpegErrorState* state, const uint8_t* pixels,
                uint32_t width, uint32_t height, uint32_t channels, int quality,
                MemoryDest* dest) {
  if (setjmp(state->jump)) return false;
  jpeg_create_compress(cinfo);
  jpeg_mem_dest(cinfo, &dest->buffer, &dest->size);
  cinfo->image_width = width;
  cinfo->image_height = height;
  cinfo->input_components = static_cast<int>(channels);
  cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, quality, TRUE);
  jpeg_start_compress(cinfo, TRUE);
  const size_t row_bytes = static_cast<size_t>(width) * channels;
  while (cinfo->next_scanline < height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels + static_cast<size_t>(cinfo->next_scanline) * row_bytes);
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
  return true;
}

}  // namespace

bool decode_jpeg(const uint8_t* data, size_t size, uint64_t max_pixels, Image* out,
                 std::string* error) {
  if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
    *error = "not a JPEG file";
    return false;
  }
  jpeg_decompress_struct cinfo;
  JpegErrorState state;
  std::memset(&cinfo, 0, sizeof(cinfo));
  install_errors(&state);
  cinfo.err = &state.mgr;
  const ReadResult result = read_jpeg(&cinfo, &state, data, size, max_pixels, out);
  jpeg_destroy_decompress(&cinfo);
  switch (result) {
    case ReadResult::kOk:
      return true;
    case ReadResult::kCmyk:
      *error = "CMYK JPEG images are not supported; convert the image to RGB first";
      return false;
    case ReadResult::kTooLarge:
      *error = "the image is " + std::to_string(out->width) + "x" + std::to_string(out->height) +
               ", more than the limit of " + std::to_string(max_pixels) +
               " pixels (see --max-pixels)";
      return false;
    case ReadResult::kOutOfMemory:
      *error = "out of memory";
      return false;
    case ReadResult::kLibjpegError:
      break;
  }
  *error = std::string("bad JPEG: ") + (state.message[0] != '\0' ? state.message : "unknown error");
  return false;
}

bool encode_jpeg(const Image& image, int quality, std::vector<uint8_t>* out,
                 std::string* error) {
  if (image.width == 0 || image.height == 0 ||
      (image.channels != 1 && image.channels != 3 && image.channels != 4) ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    *error = "invalid image for JPEG output";
    return false;
  }
  if (image.width > JPEG_MAX_DIMENSION || image.height > JPEG_MAX_DIMENSION) {
    *error = "the image is too large for JPEG (at most 65500 pixels a side); write a PNG";
    return false;
  }
  if (quality < 1 || quality > 100) {
    *error = "JPEG quality must be between 1 and 100";
    return false;
  }
  // JPEG has no alpha channel: RGBA is written as RGB.
  std::vector<uint8_t> rgb;
  const uint8_t* pixels = image.pixels.data();
  uint32_t channels = image.channels;
  if (channels == 4) {
    const size_t count = static_cast<size_t>(image.width) * image.height;
    rgb.resize(count * 3);
    for (size_t i = 0; i < count; ++i) std::memcpy(&rgb[i * 3], &image.pixels[i * 4], 3);
    pixels = rgb.data();
    channels = 3;
  }
  jpeg_compress_struct cinfo;
  JpegErrorState state;
  std::memset(&cinfo, 0, sizeof(cinfo));
  install_errors(&state);
  cinfo.err = &state.mgr;
  MemoryDest dest;
  const bool ok =
      write_jpeg(&cinfo, &state, pixels, image.width, image.height, channels, quality, &dest);
  jpeg_destroy_compress(&cinfo);
  if (ok) {
    out->assign(dest.buffer, dest.buffer + dest.size);
  }
  std::free(dest.buffer);
  if (!ok) {
    *error = std::string("cannot write JPEG: ") +
             (state.message[0] != '\0' ? state.message : "unknown error");
    out->clear();
  }
  return ok;
}

}  // namespace cdc_tools
