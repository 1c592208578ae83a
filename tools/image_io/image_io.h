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

// Metadata carried next to the pixels, as raw blocks (never interpreted):
//   icc:  an ICC profile (PNG iCCP, decompressed; JPEG APP2 "ICC_PROFILE"
//         markers, joined in their sequence order);
//   exif: the TIFF structure of EXIF (PNG eXIf; JPEG APP1 "Exif\0\0", without
//         that prefix);
//   xmp:  the XMP packet (PNG iTXt "XML:com.adobe.xmp"; JPEG APP1
//         "http://ns.adobe.com/xap/1.0/\0", without that prefix).
// An empty vector: the block is absent.
struct ImageMetadata {
  std::vector<uint8_t> icc;
  std::vector<uint8_t> exif;
  std::vector<uint8_t> xmp;
  bool empty() const { return icc.empty() && exif.empty() && xmp.empty(); }
};

// An 8-bit interleaved image, rows packed (stride = width * channels).
// channels: 1 (gray), 3 (RGB) or 4 (RGBA).
struct Image {
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t channels = 0;
  std::vector<uint8_t> pixels;
  ImageMetadata metadata;
  // Decoding: what the caller should tell the user about the conversion
  // (e.g. "16-bit PNG reduced to 8 bits"; a metadata block left out).
  std::vector<std::string> notes;
};

enum class ImageFormat { kUnknown, kPng, kJpeg };

// Guesses the format from the first bytes (signature), not from a name.
ImageFormat sniff_image_format(const uint8_t* data, size_t size);

// The extension of the file name in path, lowercased, with its dot (".png");
// empty when the name has none.
std::string lowercase_extension(const std::string& path);

// Guesses the format wanted for an output file from its extension
// (.png, .jpg, .jpeg; case-insensitive). kUnknown otherwise.
ImageFormat format_from_extension(const std::string& path);

// PNG: 8-bit gray, gray+alpha (returned as RGBA), RGB, RGBA, palette
// (expanded to RGB or RGBA), 1/2/4-bit gray (expanded) and 16-bit (scaled
// to 8 bits, with a note in out->notes). Interlaced images are supported. The
// iCCP, eXIf and XMP iTXt chunks are returned in out->metadata. Images with more than
// max_pixels pixels are rejected before any large allocation.
// Returns true on success; on failure *error says why and out is unchanged
// in meaning (its contents are unspecified).
bool decode_png(const uint8_t* data, size_t size, uint64_t max_pixels, Image* out,
                std::string* error);

// JPEG: grayscale (1 channel) and color (3 channels, RGB). CMYK and YCCK
// images are rejected. Corrupt or truncated data is an error (libjpeg's
// warnings are not ignored). The ICC, EXIF and XMP markers are returned in
// out->metadata (an ICC profile with missing or inconsistent markers is left
// out, with a note in out->notes).
bool decode_jpeg(const uint8_t* data, size_t size, uint64_t max_pixels, Image* out,
                 std::string* error);

// Decodes a PNG or a JPEG, chosen by signature.
bool decode_image(const uint8_t* data, size_t size, uint64_t max_pixels, Image* out,
                  std::string* error);

// Encodes an image as PNG (gray, RGB or RGBA, 8 bits), with image.metadata
// as iCCP, eXIf and iTXt chunks. A block that cannot be written (an ICC
// profile libpng rejects or whose colour space does not fit the image) is
// left out and a line added to *notes (when notes is not NULL).
bool encode_png(const Image& image, std::vector<uint8_t>* out, std::string* error,
                std::vector<std::string>* notes = nullptr);

// Encodes an image as baseline JPEG with the given quality (1..100).
// Gray stays gray; the alpha channel of RGBA is dropped. image.metadata is
// written as APP1 (EXIF, XMP) and APP2 (ICC, split over several markers when
// needed) markers; EXIF or XMP larger than one marker (about 64 KiB) and an
// ICC profile whose colour space does not fit are left out with a note.
bool encode_jpeg(const Image& image, int quality, std::vector<uint8_t>* out,
                 std::string* error, std::vector<std::string>* notes = nullptr);

// Whether an ICC profile's data colour space (header bytes 16..19: "GRAY",
// "RGB ") fits an image of the given channels; profiles too short to say,
// or of other colour spaces, do not fit.
bool icc_fits_channels(const std::vector<uint8_t>& icc, uint32_t channels);

}  // namespace cdc_tools

#endif  // CDC_TOOLS_IMAGE_IO_H_
