// jpeg_io.cc - JPEG reading and writing with libjpeg(-turbo), errors caught by
// setjmp. As in png_io.cc, the functions that call setjmp keep no C++ objects
// with destructors in their frames.
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

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

// Marker signatures (the bytes before a block's data).
constexpr uint8_t kExifSignature[] = {'E', 'x', 'i', 'f', 0, 0};
constexpr char kXmpSignature[] = "http://ns.adobe.com/xap/1.0/";  // and its NUL
constexpr size_t kXmpSignatureSize = sizeof(kXmpSignature);       // 29, NUL included
constexpr uint8_t kIccSignature[] = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0};
// The payload of one marker: at most 65535 - 2 (the length field) bytes.
constexpr size_t kMaxMarkerData = 65533;

bool starts_with(const jpeg_saved_marker_ptr m, const void* signature, size_t size) {
  return m->data_length >= size && std::memcmp(m->data, signature, size) == 0;
}

// Collects the APP1/APP2 metadata that jpeg_save_markers kept. The ICC
// profile is the concatenation of the "ICC_PROFILE" markers in their
// sequence order (1 .. count); a set with a gap, a duplicate or disagreeing
// counts is dropped (*icc_dropped). Returns false when out of memory.
bool collect_metadata(jpeg_decompress_struct* cinfo, ImageMetadata* out, bool* icc_dropped) {
  try {
    const uint8_t* icc_parts[256] = {nullptr};
    size_t icc_sizes[256] = {0};
    unsigned icc_count = 0;
    bool icc_bad = false;
    bool icc_seen = false;
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
      if (m->marker == JPEG_APP0 + 1) {
        if (out->exif.empty() && starts_with(m, kExifSignature, sizeof(kExifSignature)) &&
            m->data_length > sizeof(kExifSignature)) {
          out->exif.assign(m->data + sizeof(kExifSignature), m->data + m->data_length);
        } else if (out->xmp.empty() && starts_with(m, kXmpSignature, kXmpSignatureSize) &&
                   m->data_length > kXmpSignatureSize) {
          out->xmp.assign(m->data + kXmpSignatureSize, m->data + m->data_length);
        }
      } else if (m->marker == JPEG_APP0 + 2 &&
                 starts_with(m, kIccSignature, sizeof(kIccSignature))) {
        icc_seen = true;
        if (m->data_length < sizeof(kIccSignature) + 2) {
          icc_bad = true;
          continue;
        }
        const unsigned seq = m->data[sizeof(kIccSignature)];
        const unsigned count = m->data[sizeof(kIccSignature) + 1];
        if (count == 0 || seq == 0 || seq > count || (icc_count != 0 && count != icc_count) ||
            icc_parts[seq] != nullptr) {
          icc_bad = true;
          continue;
        }
        icc_count = count;
        icc_parts[seq] = m->data + sizeof(kIccSignature) + 2;
        icc_sizes[seq] = m->data_length - sizeof(kIccSignature) - 2;
      }
    }
    if (icc_seen) {
      for (unsigned i = 1; i <= icc_count && !icc_bad; ++i) icc_bad = icc_parts[i] == nullptr;
      if (icc_bad || icc_count == 0) {
        *icc_dropped = true;
      } else {
        for (unsigned i = 1; i <= icc_count; ++i)
          out->icc.insert(out->icc.end(), icc_parts[i], icc_parts[i] + icc_sizes[i]);
      }
    }
  } catch (...) {
    return false;
  }
  return true;
}

ReadResult read_jpeg(jpeg_decompress_struct* cinfo, JpegErrorState* state, const uint8_t* data,
                     size_t size, uint64_t max_pixels, Image* out, bool* icc_dropped) {
  if (setjmp(state->jump)) return ReadResult::kLibjpegError;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_save_markers(cinfo, JPEG_APP0 + 2, 0xFFFF);
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
  if (!collect_metadata(cinfo, &out->metadata, icc_dropped)) return ReadResult::kOutOfMemory;
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

// Marker payloads prepared for write_jpeg outside its setjmp frame (empty:
// not written).
struct JpegMetadata {
  std::vector<uint8_t> exif;  // "Exif\0\0" + the block
  std::vector<uint8_t> xmp;   // the XMP signature + the packet
  const std::vector<uint8_t>* icc = nullptr;
};

bool write_jpeg(jpeg_compress_struct* cinfo, JpegErrorState* state, const uint8_t* pixels,
                uint32_t width, uint32_t height, uint32_t channels, int quality,
                const JpegMetadata* metadata, MemoryDest* dest) {
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
  if (!metadata->exif.empty())
    jpeg_write_marker(cinfo, JPEG_APP0 + 1, metadata->exif.data(),
                      static_cast<unsigned int>(metadata->exif.size()));
  if (!metadata->xmp.empty())
    jpeg_write_marker(cinfo, JPEG_APP0 + 1, metadata->xmp.data(),
                      static_cast<unsigned int>(metadata->xmp.size()));
  if (metadata->icc != nullptr)
    jpeg_write_icc_profile(cinfo, metadata->icc->data(),
                           static_cast<unsigned int>(metadata->icc->size()));
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
  bool icc_dropped = false;
  const ReadResult result = read_jpeg(&cinfo, &state, data, size, max_pixels, out, &icc_dropped);
  jpeg_destroy_decompress(&cinfo);
  switch (result) {
    case ReadResult::kOk:
      if (icc_dropped)
        out->notes.push_back(
            "the JPEG's ICC profile markers are incomplete or inconsistent: the profile is "
            "left out");
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
                 std::string* error, std::vector<std::string>* notes) {
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
  // One APP1 marker each for EXIF and XMP (extended XMP is not written);
  // jpeg_write_icc_profile splits the ICC profile over APP2 markers.
  JpegMetadata metadata;
  auto note = [notes](const std::string& text) {
    if (notes != nullptr) notes->push_back(text);
  };
  const ImageMetadata& blocks = image.metadata;
  if (!blocks.exif.empty()) {
    if (blocks.exif.size() > kMaxMarkerData - sizeof(kExifSignature)) {
      note("the EXIF block (" + std::to_string(blocks.exif.size()) +
           " bytes) is left out: a JPEG marker holds at most " +
           std::to_string(kMaxMarkerData - sizeof(kExifSignature)));
    } else {
      metadata.exif.assign(kExifSignature, kExifSignature + sizeof(kExifSignature));
      metadata.exif.insert(metadata.exif.end(), blocks.exif.begin(), blocks.exif.end());
    }
  }
  if (!blocks.xmp.empty()) {
    if (blocks.xmp.size() > kMaxMarkerData - kXmpSignatureSize) {
      note("the XMP packet (" + std::to_string(blocks.xmp.size()) +
           " bytes) is left out: a JPEG marker holds at most " +
           std::to_string(kMaxMarkerData - kXmpSignatureSize));
    } else {
      const auto* signature = reinterpret_cast<const uint8_t*>(kXmpSignature);
      metadata.xmp.assign(signature, signature + kXmpSignatureSize);
      metadata.xmp.insert(metadata.xmp.end(), blocks.xmp.begin(), blocks.xmp.end());
    }
  }
  if (!blocks.icc.empty()) {
    // 255 markers of at most 65519 bytes each.
    constexpr size_t kMaxIcc = size_t{255} * (kMaxMarkerData - sizeof(kIccSignature) - 2);
    if (!icc_fits_channels(blocks.icc, channels)) {
      note(std::string("the ICC profile is left out: its colour space does not fit a ") +
           (channels == 1 ? "gray" : "colour") + " JPEG");
    } else if (blocks.icc.size() > kMaxIcc) {
      note("the ICC profile is left out: it is larger than a JPEG can hold");
    } else {
      metadata.icc = &blocks.icc;
    }
  }
  jpeg_compress_struct cinfo;
  JpegErrorState state;
  std::memset(&cinfo, 0, sizeof(cinfo));
  install_errors(&state);
  cinfo.err = &state.mgr;
  MemoryDest dest;
  const bool ok = write_jpeg(&cinfo, &state, pixels, image.width, image.height, channels,
                             quality, &metadata, &dest);
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
