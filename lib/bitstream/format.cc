#include "bitstream/format.h"

#include <zlib.h>

#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/byte_io.h"

namespace cdc::bitstream {


namespace {

// Field offsets of the version-1 header (docs/format.md).
constexpr size_t kOffVersion = 8, kOffHeaderSize = 10, kOffFlags = 12, kOffModelId = 16,
                 kOffWidth = 32, kOffHeight = 36, kOffPaddedWidth = 40,
                 kOffPaddedHeight = 44, kOffChannels = 48, kOffY = 52, kOffZ = 64,
                 kOffReserved = 76, kOffEstimatedBits = 80, kOffZSize = 88, kOffYSize = 96,
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

void check_limits(const Limits& l) {
  if (l.size_multiple < 1 || l.y_factor < 1 || l.z_factor < 1 ||
      l.size_multiple % l.y_factor != 0 || l.size_multiple % l.z_factor != 0 ||
      l.max_latent_channels < 1)
    fail(CDC_STATUS_INVALID_ARGUMENT, "stream limits: inconsistent geometry rule");
}

// Field checks shared by the writer and the parser.
void validate_fields(const StreamHeader& h, const Limits& l) {
  if (h.width == 0 || h.height == 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: zero image size {}x{}", h.width, h.height);
  if (h.width > kMaxDimension || h.height > kMaxDimension)
    fail(CDC_STATUS_LIMIT_EXCEEDED, "stream header: image size {}x{} exceeds {} per side",
         h.width, h.height, kMaxDimension);
  const uint64_t pixels = uint64_t{h.width} * h.height;
  if (pixels > l.max_pixels)
    fail(CDC_STATUS_LIMIT_EXCEEDED, "stream header: {}x{} = {} pixels exceeds the limit {}",
         h.width, h.height, pixels, l.max_pixels);
  if (h.channels != 1 && h.channels != 3 && h.channels != 4)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: bad channel count {}", h.channels);
  if (h.has_alpha && h.channels != 4)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: alpha substream without alpha channel");
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

void put_shape(std::vector<uint8_t>& out, const LatentShape& s) {
  put_u32(out, s.channels);
  put_u32(out, s.height);
  put_u32(out, s.width);
}

LatentShape load_shape(const uint8_t* p) {
  return LatentShape{load_u32(p), load_u32(p + 4), load_u32(p + 8)};
}

ParsedStream parse(const uint8_t* data, size_t size, const Limits& limits, bool check_payload) {
  check_limits(limits);
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
  if ((flags & ~kFlagAlpha) != 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: unknown flags {:#x}", flags);
  h.has_alpha = (flags & kFlagAlpha) != 0;
  std::memcpy(h.model_id.data(), data + kOffModelId, 16);
  h.width = load_u32(data + kOffWidth);
  h.height = load_u32(data + kOffHeight);
  h.padded_width = load_u32(data + kOffPaddedWidth);
  h.padded_height = load_u32(data + kOffPaddedHeight);
  h.channels = load_u32(data + kOffChannels);
  h.y = load_shape(data + kOffY);
  h.z = load_shape(data + kOffZ);
  if (load_u32(data + kOffReserved) != 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream header: reserved field is not zero");
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
  if (payload != available)
    fail(CDC_STATUS_CORRUPT_STREAM, "stream has {} bytes after its declared end",
         available - payload);
  const uint8_t* p = data + kHeaderSize;
  if (kCheckCrc && check_payload && crc32_of(p, static_cast<size_t>(payload)) != load_u32(data + kOffPayloadCrc))
    fail(CDC_STATUS_CORRUPT_STREAM, "stream payload: checksum mismatch");
  ps.header_size = kHeaderSize;
  ps.payload_size = payload;
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
  put_u16(out, static_cast<uint16_t>(kFormatVersion));
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

ParsedStream parse_stream(const uint8_t* data, size_t size, const Limits& limits) {
  return parse(data, size, limits, true);
}

ParsedStream parse_header(const uint8_t* data, size_t size, const Limits& limits) {
  return parse(data, size, limits, false);
}

}  // namespace cdc::bitstream
