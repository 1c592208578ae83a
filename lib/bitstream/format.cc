#include "bitstream/format.h"

#include <zlib.h>

#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/byte_io.h"

namespace cdc::bitstream {


namespace {

// Field offsets of the header (docs/format.md); version 2 has the same layout
// with the metadata section's size in the field that is reserved in version 1.
constexpr size_t kOffVersion = 8, kOffHeaderSize = 10, kOffFlags = 12, kOffModelId = 16,
                 kOffWidth = 32, kOffHeight = 36, kOffPaddedWidth = 40,
                 kOffPaddedHeight = 44, kOffChannels = 48, kOffY = 52, kOffZ = 64,
                 kOffReserved = 76, kOffMetadataSize = 76, kOffEstimatedBits = 80, kOffZSize = 88, kOffYSize = 96,
                 kOffAlphaSize = 104, kOffPayloadCrc = 112, kOffHeaderCrc = 116;
static_assert(kOffHeaderCrc + 4 == kHeaderSize, "header layout");

uint32_t crc32_of(const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), data, size));
}

// Fuzzing builds (fuzz/build.sh) ignore checksum mismatches so that the
// fuzzer reaches the fields and the entropy decoder behind them.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr bool kCheckCrc = false;
#else
constexpr bool kCheckCrc = true;
#endif

// allow_any: size_multiple 0 (any geometry rule, for parsing without the
// model) is accepted.
void check_limits(const Limits& l, bool allow_any = false) {
  if (allow_any && l.size_multiple == 0) {
    if (l.max_latent_channels < 1)
      fail(CDC_STATUS_INVALID_ARGUMENT, "stream limits: inconsistent geometry rule");
    return;
  }
  if (l.size_multiple < 1 || l.y_factor < 1 || l.z_factor < 1 ||
      l.size_multiple % l.y_factor != 0 || l.size_multiple % l.z_factor != 0 ||
      l.max_latent_channels < 1)
    fail(CDC_STATUS_INVALID_ARGUMENT, "stream limits: inconsistent geometry rule");
}

// The geometry rule of a header parsed without its model (size_multiple 0):
// the factors of y and z read off the header, powers of two with y's dividing
// z's, and a padding multiple of z's factor that gives the padded size.
Limits resolve_geometry(const StreamHeader& h, const Limits& l) {
  if (l.size_multiple != 0) return l;
  Limits r = l;
  auto factor = [&](const LatentShape& s, const char* name) {
    const uint32_t f = s.height == 0 ? 0 : h.padded_height / s.height;
    if (s.height == 0 || s.width == 0 || f == 0 || (f & (f - 1)) != 0 ||
        uint64_t{s.height} * f != h.padded_height || uint64_t{s.width} * f != h.padded_width)
      fail(CDC_STATUS_CORRUPT_STREAM,
           "stream header: {} is {}x{}, not the padded size {}x{} divided by a power of two", name,
           s.height, s.width, h.padded_height, h.padded_width);
    return f;
  };
  r.y_factor = factor(h.y, "latent y");
  r.z_factor = factor(h.z, "hyper-latent z");
  if (r.z_factor % r.y_factor != 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: hyper-latent z is larger than latent y");
  for (uint64_t m = r.z_factor; m <= (uint64_t{1} << 16); m *= 2)
    if (round_up(h.width, m) == h.padded_width && round_up(h.height, m) == h.padded_height) {
      r.size_multiple = static_cast<uint32_t>(m);
      return r;
    }
  fail(CDC_STATUS_CORRUPT_STREAM, "stream header: padded size {}x{} for an image of {}x{}",
       h.padded_width, h.padded_height, h.width, h.height);
}

// Field checks shared by the writer and the parser.
void validate_fields(const StreamHeader& h, const Limits& limits) {
  if (h.width == 0 || h.height == 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: zero image size {}x{}", h.width, h.height);
  if (h.width > kMaxDimension || h.height > kMaxDimension)
    fail(CDC_STATUS_LIMIT_EXCEEDED, "stream header: image size {}x{} exceeds {} per side",
         h.width, h.height, kMaxDimension);
  const uint64_t pixels = uint64_t{h.width} * h.height;
  if (pixels > limits.max_pixels)
    fail(CDC_STATUS_LIMIT_EXCEEDED, "stream header: {}x{} = {} pixels exceeds the limit {}",
         h.width, h.height, pixels, limits.max_pixels);
  if (h.channels != 1 && h.channels != 3 && h.channels != 4)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: bad channel count {}", h.channels);
  if (h.has_alpha && h.channels != 4)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: alpha substream without alpha channel");
  const Limits l = resolve_geometry(h, limits);
  const uint64_t pw = round_up(h.width, l.size_multiple);
  const uint64_t ph = round_up(h.height, l.size_multiple);
  if (h.padded_width != pw || h.padded_height != ph)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: padded size {}x{} (expected {}x{})",
         h.padded_width, h.padded_height, pw, ph);
  auto check_latent = [&](const LatentShape& s, uint32_t factor, const char* name) {
    if (s.channels == 0)
      fail(CDC_STATUS_CORRUPT_STREAM, "stream header: {} has no channels", name);
    if (s.channels > l.max_latent_channels)
      fail(CDC_STATUS_LIMIT_EXCEEDED, "stream header: {} has {} channels (limit {})", name,
           s.channels, l.max_latent_channels);
    if (s.height != ph / factor || s.width != pw / factor)
      fail(CDC_STATUS_CORRUPT_STREAM, "stream header: {} is {}x{} (expected {}x{})", name,
           s.height, s.width, ph / factor, pw / factor);
  };
  check_latent(h.y, l.y_factor, "latent y");
  check_latent(h.z, l.z_factor, "hyper-latent z");
  if (!std::isfinite(h.estimated_bits) || h.estimated_bits < 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: bad estimated bits");
}

// The metadata section: u32 block count, then per block u32 kind, u32 size and
// the bytes, then the CRC-32 of everything before it.
constexpr uint64_t kMetadataSectionOverhead = 4 + 4;  // count, CRC
constexpr uint64_t kMetadataBlockOverhead = 8;        // kind, size
constexpr uint64_t kMaxMetadataSection =
    kMetadataSectionOverhead + kMetadataKinds * (kMetadataBlockOverhead + kMaxMetadataBlock);
static_assert(kMaxMetadataSection <= UINT32_MAX, "the metadata size field is a u32");

const char* kind_name(uint32_t kind) {
  switch (kind) {
    case 1: return "ICC profile";
    case 2: return "EXIF";
    case 3: return "XMP";
  }
  return "unknown";
}

// Validates the metadata section p[0 .. size) (its size already checked
// against the stream) and fills the block views.
void parse_metadata(const uint8_t* p, uint64_t size, ParsedStream& ps) {
  if (size < kMetadataSectionOverhead + kMetadataBlockOverhead + 1)
    fail(CDC_STATUS_CORRUPT_STREAM, "metadata section: {} bytes is too small", size);
  if (kCheckCrc && crc32_of(p, static_cast<size_t>(size - 4)) != load_u32(p + size - 4))
    fail(CDC_STATUS_CORRUPT_STREAM, "metadata section: checksum mismatch");
  const uint32_t count = load_u32(p);
  if (count < 1 || count > kMetadataKinds)
    fail(CDC_STATUS_CORRUPT_STREAM, "metadata section: {} blocks (1 to {} allowed)", count,
         kMetadataKinds);
  const uint64_t end = size - 4;  // the CRC
  uint64_t pos = 4;
  uint32_t previous = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (end - pos < kMetadataBlockOverhead)
      fail(CDC_STATUS_CORRUPT_STREAM, "metadata section: block {} runs past the section", i);
    const uint32_t kind = load_u32(p + pos);
    const uint32_t block_size = load_u32(p + pos + 4);
    pos += kMetadataBlockOverhead;
    if (kind < 1 || kind > kMetadataKinds)
      fail(CDC_STATUS_CORRUPT_STREAM, "metadata section: unknown block kind {}", kind);
    if (kind <= previous)
      fail(CDC_STATUS_CORRUPT_STREAM,
           "metadata section: block kinds out of order or repeated ({} after {})", kind,
           previous);
    if (block_size == 0 || block_size > kMaxMetadataBlock)
      fail(CDC_STATUS_CORRUPT_STREAM, "metadata section: {} block of {} bytes (1 to {} allowed)",
           kind_name(kind), block_size, kMaxMetadataBlock);
    if (block_size > end - pos)
      fail(CDC_STATUS_CORRUPT_STREAM,
           "metadata section: the {} block ({} bytes) runs past the section", kind_name(kind),
           block_size);
    ps.metadata[kind - 1] = {p + pos, block_size};
    pos += block_size;
    previous = kind;
  }
  if (pos != end)
    fail(CDC_STATUS_CORRUPT_STREAM, "metadata section: {} bytes after the last block",
         end - pos);
}

// The residual section: u32 size, u16 luma step, u16 chroma step, u16 base
// steps, u16 transform, u16 band tilt, u16 reserved (0), the code, then the
// CRC-32 of everything before it.
void check_residual_parameters(const ResidualParameters& r) {
  if (r.luma_step == 0 || r.chroma_step == 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "residual section: a quantizer step of 0");
  if (r.base_steps == 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "residual section: 0 decoding steps for the base image");
  if (r.band_tilt > kMaxBandTilt)
    fail(CDC_STATUS_CORRUPT_STREAM, "residual section: band tilt {} exceeds {}", r.band_tilt,
         kMaxBandTilt);
}

void parse_residual(const uint8_t* p, uint64_t size, bool check_crc, ParsedStream& ps) {
  if (kCheckCrc && check_crc && crc32_of(p, static_cast<size_t>(size - 4)) != load_u32(p + size - 4))
    fail(CDC_STATUS_CORRUPT_STREAM, "residual section: checksum mismatch");
  ResidualParameters& r = ps.residual;
  r.luma_step = load_u16(p + 4);
  r.chroma_step = load_u16(p + 6);
  r.base_steps = load_u16(p + 8);
  const uint32_t transform = load_u16(p + 10);
  if (transform != kResidualTransform)
    fail(CDC_STATUS_CORRUPT_STREAM, "residual section: unknown transform {}", transform);
  r.band_tilt = load_u16(p + 12);
  if (load_u16(p + 14) != 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "residual section: reserved field is not zero");
  check_residual_parameters(r);
  ps.residual_code = {p + 16, static_cast<size_t>(size - kResidualSectionOverhead)};
}

void put_shape(std::vector<uint8_t>& out, const LatentShape& s) {
  put_u32(out, s.channels);
  put_u32(out, s.height);
  put_u32(out, s.width);
}

LatentShape load_shape(const uint8_t* p) {
  return LatentShape{load_u32(p), load_u32(p + 4), load_u32(p + 8)};
}

ParsedStream parse(const uint8_t* data, size_t size, const Limits& limits, bool check_payload) {
  check_limits(limits, true);
  if (data == nullptr && size != 0)
    fail(CDC_STATUS_INVALID_ARGUMENT, "parse_stream: null data");
  // Magic: any mismatch is corruption; a matching prefix that ends is a truncation.
  const size_t magic_bytes = size < kMagicSize ? size : kMagicSize;
  if (magic_bytes > 0 && std::memcmp(data, kMagic, magic_bytes) != 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "not a .cdc stream (bad magic)");
  if (size < kOffFlags)
    fail(CDC_STATUS_TRUNCATED_STREAM, "stream truncated: {} bytes, the header needs {}", size,
         kHeaderSize);
  const uint32_t version = load_u16(data + kOffVersion);
  if (version == 0) fail(CDC_STATUS_CORRUPT_STREAM, "stream header: format version 0");
  if (version > kFormatVersion)
    fail(CDC_STATUS_UNSUPPORTED, "stream format version {} is newer than supported ({})",
         version, kFormatVersion);
  const uint32_t header_size = load_u16(data + kOffHeaderSize);
  if (header_size != kHeaderSize)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: header size {} (expected {})", header_size,
         kHeaderSize);
  if (size < kHeaderSize)
    fail(CDC_STATUS_TRUNCATED_STREAM, "stream truncated: {} bytes, the header needs {}", size,
         kHeaderSize);
  if (kCheckCrc && crc32_of(data, kOffHeaderCrc) != load_u32(data + kOffHeaderCrc))
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: checksum mismatch");

  ParsedStream ps;
  StreamHeader& h = ps.header;
  h.format_version = version;
  const uint32_t flags = load_u32(data + kOffFlags);
  const uint32_t known_flags = kFlagAlpha |
                               (version >= kFormatVersionMetadata ? kFlagMetadata : 0u) |
                               (version >= kFormatVersionResidual ? kFlagResidual : 0u);
  if ((flags & ~known_flags) != 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: unknown flags {:#x} for format version {}",
         flags, version);
  h.has_alpha = (flags & kFlagAlpha) != 0;
  const bool has_metadata = (flags & kFlagMetadata) != 0;
  const bool has_residual = (flags & kFlagResidual) != 0;
  std::memcpy(h.model_id.data(), data + kOffModelId, 16);
  h.width = load_u32(data + kOffWidth);
  h.height = load_u32(data + kOffHeight);
  h.padded_width = load_u32(data + kOffPaddedWidth);
  h.padded_height = load_u32(data + kOffPaddedHeight);
  h.channels = load_u32(data + kOffChannels);
  h.y = load_shape(data + kOffY);
  h.z = load_shape(data + kOffZ);
  uint64_t metadata_size = 0;
  if (version < kFormatVersionMetadata) {
    if (load_u32(data + kOffReserved) != 0)
      fail(CDC_STATUS_CORRUPT_STREAM, "stream header: reserved field is not zero");
  } else {
    metadata_size = load_u32(data + kOffMetadataSize);
    if (has_metadata != (metadata_size != 0))
      fail(CDC_STATUS_CORRUPT_STREAM,
           "stream header: metadata flag and metadata size ({}) disagree", metadata_size);
    if (metadata_size > kMaxMetadataSection)
      fail(CDC_STATUS_CORRUPT_STREAM, "stream header: metadata size {} exceeds {}",
           metadata_size, kMaxMetadataSection);
  }
  const uint64_t bits = load_u64(data + kOffEstimatedBits);
  std::memcpy(&h.estimated_bits, &bits, sizeof bits);
  validate_fields(h, limits);

  const uint64_t z_size = load_u64(data + kOffZSize);
  const uint64_t y_size = load_u64(data + kOffYSize);
  const uint64_t alpha_size = load_u64(data + kOffAlphaSize);
  if (h.has_alpha != (alpha_size != 0))
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: alpha flag and alpha size disagree");
  const uint64_t available = size - kHeaderSize;
  // Overflow-safe: each term is compared with what is available first.
  if (z_size > available || y_size > available - z_size ||
      alpha_size > available - z_size - y_size)
    fail(CDC_STATUS_TRUNCATED_STREAM,
         "stream truncated: the payload needs {} + {} + {} bytes, {} are present", z_size,
         y_size, alpha_size, available);
  const uint64_t payload = z_size + y_size + alpha_size;
  const uint8_t* p = data + kHeaderSize;
  uint64_t residual_size = 0;
  if (has_residual) {
    if (available - payload < 4)
      fail(CDC_STATUS_TRUNCATED_STREAM, "stream truncated: the residual section is missing");
    residual_size = load_u32(p + payload);
    if (residual_size < kResidualSectionOverhead)
      fail(CDC_STATUS_CORRUPT_STREAM, "residual section: {} bytes is too small", residual_size);
    if (residual_size > available - payload)
      fail(CDC_STATUS_TRUNCATED_STREAM,
           "stream truncated: the residual section needs {} bytes, {} are present",
           residual_size, available - payload);
  }
  if (metadata_size > available - payload - residual_size)
    fail(CDC_STATUS_TRUNCATED_STREAM,
         "stream truncated: the metadata section needs {} bytes, {} are present", metadata_size,
         available - payload - residual_size);
  if (payload + residual_size + metadata_size != available)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream has {} bytes after its declared end",
         available - payload - residual_size - metadata_size);
  if (kCheckCrc && check_payload && crc32_of(p, static_cast<size_t>(payload)) != load_u32(data + kOffPayloadCrc))
    fail(CDC_STATUS_CORRUPT_STREAM, "stream payload: checksum mismatch");
  if (residual_size != 0) parse_residual(p + payload, residual_size, check_payload, ps);
  if (metadata_size != 0) parse_metadata(p + payload + residual_size, metadata_size, ps);
  ps.residual_size = residual_size;
  ps.header_size = kHeaderSize;
  ps.payload_size = payload;
  ps.metadata_size = metadata_size;
  ps.z = {p, static_cast<size_t>(z_size)};
  ps.y = {p + z_size, static_cast<size_t>(y_size)};
  ps.alpha = {p + z_size + y_size, static_cast<size_t>(alpha_size)};
  return ps;
}

}  // namespace

void set_geometry(StreamHeader& h, uint32_t y_channels, uint32_t z_channels,
                  const Limits& l) {
  check_limits(l);
  const uint64_t pw = round_up(h.width, l.size_multiple);
  const uint64_t ph = round_up(h.height, l.size_multiple);
  if (pw > UINT32_MAX || ph > UINT32_MAX)
    fail(CDC_STATUS_LIMIT_EXCEEDED, "image size {}x{} too large", h.width, h.height);
  h.padded_width = static_cast<uint32_t>(pw);
  h.padded_height = static_cast<uint32_t>(ph);
  h.y = {y_channels, static_cast<uint32_t>(ph / l.y_factor), static_cast<uint32_t>(pw / l.y_factor)};
  h.z = {z_channels, static_cast<uint32_t>(ph / l.z_factor), static_cast<uint32_t>(pw / l.z_factor)};
}

std::vector<uint8_t> write_stream(const StreamHeader& h, const std::vector<uint8_t>& z,
                                  const std::vector<uint8_t>& y,
                                  const std::vector<uint8_t>& alpha, const Limits& limits) {
  check_limits(limits);
  try {
    validate_fields(h, limits);
  } catch (const Error& e) {
    fail(CDC_STATUS_INVALID_ARGUMENT, "write_stream: {}", e.what());
  }
  if (h.has_alpha != !alpha.empty())
    fail(CDC_STATUS_INVALID_ARGUMENT, "write_stream: alpha flag and alpha substream disagree");
  std::vector<uint8_t> out;
  out.reserve(kHeaderSize + z.size() + y.size() + alpha.size());
  out.insert(out.end(), kMagic, kMagic + kMagicSize);
  put_u16(out, static_cast<uint16_t>(kFormatVersionBase));  // no metadata: version 1
  put_u16(out, static_cast<uint16_t>(kHeaderSize));
  put_u32(out, h.has_alpha ? kFlagAlpha : 0u);
  out.insert(out.end(), h.model_id.begin(), h.model_id.end());
  put_u32(out, h.width);
  put_u32(out, h.height);
  put_u32(out, h.padded_width);
  put_u32(out, h.padded_height);
  put_u32(out, h.channels);
  put_shape(out, h.y);
  put_shape(out, h.z);
  put_u32(out, 0);  // reserved
  put_f64(out, h.estimated_bits);
  put_u64(out, z.size());
  put_u64(out, y.size());
  put_u64(out, alpha.size());
  put_u32(out, 0);  // payload CRC, below
  put_u32(out, 0);  // header CRC, below
  CDC_CHECK(out.size() == kHeaderSize);
  out.insert(out.end(), z.begin(), z.end());
  out.insert(out.end(), y.begin(), y.end());
  out.insert(out.end(), alpha.begin(), alpha.end());
  store_u32(out.data() + kOffPayloadCrc,
                     crc32_of(out.data() + kHeaderSize, out.size() - kHeaderSize));
  store_u32(out.data() + kOffHeaderCrc, crc32_of(out.data(), kOffHeaderCrc));
  return out;
}

void attach_metadata(std::vector<uint8_t>& stream, const MetadataBlocks& metadata,
                     const Limits& limits) {
  if (metadata.empty()) return;
  for (uint32_t k = 0; k < kMetadataKinds; ++k) {
    const ByteSpan& b = metadata.blocks[k];
    if (b.size > kMaxMetadataBlock)
      fail(CDC_STATUS_LIMIT_EXCEEDED, "the {} is {} bytes; at most {} can be stored",
           kind_name(k + 1), b.size, kMaxMetadataBlock);
    if (b.size != 0 && b.data == nullptr)
      fail(CDC_STATUS_INVALID_ARGUMENT, "the {} block has no data", kind_name(k + 1));
  }
  ParsedStream parsed;
  try {
    parsed = parse_header(stream.data(), stream.size(), limits);
  } catch (const Error& e) {
    fail(CDC_STATUS_INVALID_ARGUMENT, "attach_metadata: {}", e.what());
  }
  if (parsed.metadata_size != 0)
    fail(CDC_STATUS_INVALID_ARGUMENT, "attach_metadata: the stream already has metadata");
  std::vector<uint8_t> section;
  uint32_t count = 0;
  for (const ByteSpan& b : metadata.blocks) count += b.size != 0 ? 1 : 0;
  put_u32(section, count);
  for (uint32_t k = 0; k < kMetadataKinds; ++k) {
    const ByteSpan& b = metadata.blocks[k];
    if (b.size == 0) continue;
    put_u32(section, k + 1);
    put_u32(section, static_cast<uint32_t>(b.size));
    section.insert(section.end(), b.data, b.data + b.size);
  }
  put_u32(section, crc32_of(section.data(), section.size()));
  CDC_CHECK(section.size() <= kMaxMetadataSection);
  if (parsed.header.format_version < kFormatVersionMetadata)
    store_u16(stream.data() + kOffVersion, static_cast<uint16_t>(kFormatVersionMetadata));
  store_u32(stream.data() + kOffFlags, load_u32(stream.data() + kOffFlags) | kFlagMetadata);
  store_u32(stream.data() + kOffMetadataSize, static_cast<uint32_t>(section.size()));
  store_u32(stream.data() + kOffHeaderCrc, crc32_of(stream.data(), kOffHeaderCrc));
  stream.insert(stream.end(), section.begin(), section.end());
}

void attach_residual(std::vector<uint8_t>& stream, const ResidualParameters& parameters,
                     const std::vector<uint8_t>& code, const Limits& limits) {
  try {
    check_residual_parameters(parameters);
  } catch (const Error& e) {
    fail(CDC_STATUS_INVALID_ARGUMENT, "attach_residual: {}", e.what());
  }
  ParsedStream parsed;
  try {
    parsed = parse_header(stream.data(), stream.size(), limits);
  } catch (const Error& e) {
    fail(CDC_STATUS_INVALID_ARGUMENT, "attach_residual: {}", e.what());
  }
  if (parsed.metadata_size != 0 || parsed.residual_size != 0)
    fail(CDC_STATUS_INVALID_ARGUMENT,
         "attach_residual: the stream already has a residual section or metadata");
  const uint64_t size = kResidualSectionOverhead + code.size();
  if (size > UINT32_MAX)
    fail(CDC_STATUS_LIMIT_EXCEEDED, "the residual layer's code ({} bytes) is too large",
         code.size());
  std::vector<uint8_t> section;
  section.reserve(static_cast<size_t>(size));
  put_u32(section, static_cast<uint32_t>(size));
  put_u16(section, parameters.luma_step);
  put_u16(section, parameters.chroma_step);
  put_u16(section, parameters.base_steps);
  put_u16(section, kResidualTransform);
  put_u16(section, parameters.band_tilt);
  put_u16(section, 0);  // reserved
  section.insert(section.end(), code.begin(), code.end());
  put_u32(section, crc32_of(section.data(), section.size()));
  store_u16(stream.data() + kOffVersion, static_cast<uint16_t>(kFormatVersionResidual));
  store_u32(stream.data() + kOffFlags, load_u32(stream.data() + kOffFlags) | kFlagResidual);
  store_u32(stream.data() + kOffHeaderCrc, crc32_of(stream.data(), kOffHeaderCrc));
  stream.insert(stream.end(), section.begin(), section.end());
}

ParsedStream parse_stream(const uint8_t* data, size_t size, const Limits& limits) {
  return parse(data, size, limits, true);
}

ParsedStream parse_header(const uint8_t* data, size_t size, const Limits& limits) {
  return parse(data, size, limits, false);
}

}  // namespace cdc::bitstream
