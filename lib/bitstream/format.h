// The .cdc container (specified in docs/format.md): a fixed 120-byte header
// followed by the payload, the concatenation of the hyper-latent (z) substream,
// the latent (y) substream and an optional alpha substream; in format version 3
// an optional residual section (the residual layer) follows the payload, and
// from version 2 an optional metadata section (ICC profile, EXIF, XMP) ends
// the stream.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/codec_settings.h"

#ifndef CDC_FORMAT_VERSION_VALUE
#error "CDC_FORMAT_VERSION_VALUE must be defined by the build (CMakeLists.txt)"
#endif

namespace cdc::bitstream {

// The newest version read and written. A stream without metadata and without
// a residual layer is written as version 1 (byte for byte what version-1
// writers produce); one with metadata as version 2; one with a residual layer
// as version 3.
inline constexpr uint32_t kFormatVersion = CDC_FORMAT_VERSION_VALUE;
inline constexpr uint32_t kFormatVersionBase = 1;      // what write_stream writes
inline constexpr uint32_t kFormatVersionMetadata = 2;  // what attach_metadata makes
inline constexpr uint32_t kFormatVersionResidual = 3;  // what attach_residual makes
static_assert(kFormatVersion >= kFormatVersionResidual, "CDC_FORMAT_VERSION is too old");
inline constexpr size_t kMagicSize = 8;
inline constexpr uint8_t kMagic[kMagicSize] = {0x89, 'C', 'D', 'C', 0x0D, 0x0A, 0x1A, 0x0A};
inline constexpr size_t kHeaderSize = 120;  // format version 1
inline constexpr uint32_t kMaxDimension = 65535;
inline constexpr uint32_t kFlagAlpha = 1u << 0;
inline constexpr uint32_t kFlagMetadata = 1u << 1;  // format version 2 and later
inline constexpr uint32_t kFlagResidual = 1u << 2;  // format version 3 and later

// Metadata blocks carried unchanged through the codec (docs/format.md,
// "Metadata section"). The values are the kinds stored in the stream and
// those of cdc_metadata_kind.
enum class MetadataKind : uint32_t { kIcc = 1, kExif = 2, kXmp = 3 };
inline constexpr uint32_t kMetadataKinds = 3;
inline constexpr size_t kMaxMetadataBlock = size_t{16} << 20;  // 16 MiB per block

struct LatentShape {
  uint32_t channels = 0, height = 0, width = 0;
  uint64_t count() const { return uint64_t{channels} * height * width; }
  bool operator==(const LatentShape& o) const {
    return channels == o.channels && height == o.height && width == o.width;
  }
};

struct StreamHeader {
  uint32_t format_version = kFormatVersion;  // set by parse_stream; write_stream writes 1
  std::array<uint8_t, 16> model_id{};
  uint32_t width = 0, height = 0;
  uint32_t channels = 0;                     // 1, 3 or 4
  uint32_t padded_width = 0, padded_height = 0;
  LatentShape y, z;
  bool has_alpha = false;                    // an alpha substream follows (channels == 4)
  double estimated_bits = 0.0;               // informational: the model's rate estimate
};

// Geometry rule and guards that parse_stream enforces. The defaults are the
// paper layout: images padded to a multiple of 64, y at 1/16, z at 1/64.
// size_multiple 0 (parse_stream and parse_header only) accepts the rule of
// any model: a query without the model reads the factors off the header
// (powers of two, y's dividing z's, the padding a multiple of z's).
struct Limits {
  uint64_t max_pixels = kDefaultMaxPixels;  // width * height
  uint32_t max_latent_channels = 1024;
  uint32_t size_multiple = 64;               // padded = round_up(size, size_multiple)
  uint32_t y_factor = 16;                    // y height = padded height / y_factor
  uint32_t z_factor = 64;                    // z height = padded height / z_factor
};

// Rounds v up to a multiple of m (m >= 1).
inline uint64_t round_up(uint64_t v, uint64_t m) { return (v + m - 1) / m * m; }

// Fills the padding and latent shapes of a header from its width and height
// under the given geometry rule (channels of y and z as given).
void set_geometry(StreamHeader& header, uint32_t y_channels, uint32_t z_channels,
                  const Limits& limits = Limits());

struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// The residual layer's parameters (docs/format.md, "Residual section").
struct ResidualParameters {
  uint16_t luma_step = 0;    // quantizer steps in 1/16 of an 8-bit level, >= 1
  uint16_t chroma_step = 0;
  uint16_t base_steps = 0;   // decoding steps of the base image (deterministic), >= 1
  uint16_t band_tilt = 0;    // frequency weighting of the steps, in 1/1024 (residual_coding.h)
};
// The residual code's transform: 8x8, 16x16 and 32x32 DCT blocks chosen per
// 32x32 macroblock (value 1, 8x8 blocks only, was a development version's and is
// refused).
inline constexpr uint16_t kResidualTransform = 2;
inline constexpr uint16_t kMaxBandTilt = 1024;  // 1.0
inline constexpr uint64_t kResidualSectionOverhead = 20;  // size, parameters, CRC

struct ParsedStream {
  StreamHeader header;
  size_t header_size = 0;
  uint64_t payload_size = 0;    // z + y + alpha
  uint64_t residual_size = 0;   // the residual section (0 when absent)
  uint64_t metadata_size = 0;   // the metadata section (0 when absent)
  // The residual layer, when residual_size != 0: its parameters and its code.
  ResidualParameters residual;
  ByteSpan residual_code;
  // Views into the parsed buffer (valid while it is).
  ByteSpan z, y, alpha;
  // The metadata blocks, indexed by kind - 1 (size 0: absent).
  ByteSpan metadata[kMetadataKinds];
  const ByteSpan& block(MetadataKind kind) const {
    return metadata[static_cast<uint32_t>(kind) - 1];
  }
};

// Metadata to attach to a stream; an empty block is absent.
struct MetadataBlocks {
  ByteSpan blocks[kMetadataKinds];  // indexed by kind - 1
  bool empty() const {
    for (const ByteSpan& b : blocks)
      if (b.size != 0) return false;
    return true;
  }
};

// Adds a metadata section to a complete stream without one (as write_stream
// or attach_residual make it): the stream becomes format version 2 (or stays
// 3). With no blocks the stream
// is left as it is. Throws cdc::Error: INVALID_ARGUMENT for a stream that does
// not parse or already has metadata, LIMIT_EXCEEDED for a block over
// kMaxMetadataBlock.
void attach_metadata(std::vector<uint8_t>& stream, const MetadataBlocks& metadata,
                     const Limits& limits = Limits());

// Adds a residual section to a complete stream as write_stream makes it (no
// residual section, no metadata): the stream becomes format version 3.
// Throws cdc::Error(CDC_STATUS_INVALID_ARGUMENT) for a stream that does not
// parse, already has a residual section or metadata, or bad parameters.
void attach_residual(std::vector<uint8_t>& stream, const ResidualParameters& parameters,
                     const std::vector<uint8_t>& code, const Limits& limits = Limits());

// Serializes header and substreams into a complete stream (lengths and CRCs
// are computed here). Throws cdc::Error(CDC_STATUS_INVALID_ARGUMENT) when the
// header would not pass parse_stream with the given limits.
std::vector<uint8_t> write_stream(const StreamHeader& header, const std::vector<uint8_t>& z,
                                  const std::vector<uint8_t>& y,
                                  const std::vector<uint8_t>& alpha,
                                  const Limits& limits = Limits());

// Parses and fully validates a stream: magic, version, header CRC, fields,
// geometry, substream lengths, payload CRC, the residual section (its size,
// parameters and CRC) and the metadata section (its size, CRC and blocks). Throws cdc::Error with
// CORRUPT_STREAM (bad magic, CRC, field, trailing bytes), TRUNCATED_STREAM
// (the data ends before the declared end), UNSUPPORTED (newer version) or
// LIMIT_EXCEEDED (dimensions, pixels or channels beyond the limits).
ParsedStream parse_stream(const uint8_t* data, size_t size, const Limits& limits = Limits());

// Like parse_stream but checks only the header and the metadata section (no
// payload CRC); the payload must still be complete (TRUNCATED_STREAM
// otherwise).
ParsedStream parse_header(const uint8_t* data, size_t size, const Limits& limits = Limits());

}  // namespace cdc::bitstream
