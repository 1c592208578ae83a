// The .cdc container: header round trip, limits, and thousands of corrupted,
// truncated and random streams, each an error status and never a crash.
#include <doctest/doctest.h>

#include <zlib.h>

#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "bitstream/format.h"
#include "common/error.h"
#include "common/byte_io.h"

using namespace cdc::bitstream;

namespace {

StreamHeader sample_header(uint32_t w = 100, uint32_t h = 70, uint32_t channels = 4,
                           bool alpha = true) {
  StreamHeader hd;
  for (int i = 0; i < 16; ++i) hd.model_id[i] = static_cast<uint8_t>(i * 17 + 1);
  hd.width = w;
  hd.height = h;
  hd.channels = channels;
  hd.has_alpha = alpha;
  hd.estimated_bits = 1234.5;
  set_geometry(hd, 256, 192);
  return hd;
}

std::vector<uint8_t> bytes_of(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 31);
  return v;
}

cdc_status status_of(const std::vector<uint8_t>& s, const Limits& l = Limits()) {
  try {
    parse_stream(s.data(), s.size(), l);
    return CDC_STATUS_OK;
  } catch (const cdc::Error& e) {
    return e.status();
  }
}

// Every truncation of a good stream is TRUNCATED_STREAM; every bit flip an
// error (a CRC or a field catches it).
void check_every_cut_and_flip(const std::vector<uint8_t>& good) {
  for (size_t len = 0; len < good.size(); ++len) {
    std::vector<uint8_t> s(good.begin(), good.begin() + static_cast<long>(len));
    REQUIRE(status_of(s) == CDC_STATUS_TRUNCATED_STREAM);
  }
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    auto s = good;
    s[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    const cdc_status st = status_of(s);
    REQUIRE((st == CDC_STATUS_CORRUPT_STREAM || st == CDC_STATUS_UNSUPPORTED ||
             st == CDC_STATUS_TRUNCATED_STREAM));
  }
}

// Rewrites the header CRC after an edit of the header fields.
void fix_header_crc(std::vector<uint8_t>& s) {
  cdc::store_u32(s.data() + 116,
                          static_cast<uint32_t>(crc32_z(0, s.data(), 116)));
}

}  // namespace

TEST_CASE("format: header round trip") {
  const StreamHeader hd = sample_header();
  CHECK(hd.padded_width == 128);
  CHECK(hd.padded_height == 128);
  CHECK(hd.y == LatentShape{256, 8, 8});
  CHECK(hd.z == LatentShape{192, 2, 2});
  const auto z = bytes_of(10, 1), y = bytes_of(300, 2), a = bytes_of(17, 3);
  const auto s = write_stream(hd, z, y, a);
  REQUIRE(s.size() == kHeaderSize + 327);
  CHECK(std::memcmp(s.data(), kMagic, kMagicSize) == 0);
  ParsedStream p = parse_stream(s.data(), s.size());
  CHECK(p.header.format_version == 1);
  CHECK(p.header.model_id == hd.model_id);
  CHECK(p.header.width == 100);
  CHECK(p.header.height == 70);
  CHECK(p.header.channels == 4);
  CHECK(p.header.has_alpha);
  CHECK(p.header.padded_width == 128);
  CHECK(p.header.y == hd.y);
  CHECK(p.header.z == hd.z);
  CHECK(p.header.estimated_bits == 1234.5);
  CHECK(p.header_size == kHeaderSize);
  CHECK(p.payload_size == 327);
  CHECK(std::vector<uint8_t>(p.z.data, p.z.data + p.z.size) == z);
  CHECK(std::vector<uint8_t>(p.y.data, p.y.data + p.y.size) == y);
  CHECK(std::vector<uint8_t>(p.alpha.data, p.alpha.data + p.alpha.size) == a);
  // Without alpha, gray, 1x1.
  StreamHeader g = sample_header(1, 1, 1, false);
  const auto s2 = write_stream(g, z, y, {});
  ParsedStream p2 = parse_stream(s2.data(), s2.size());
  CHECK(p2.header.channels == 1);
  CHECK(!p2.header.has_alpha);
  CHECK(p2.alpha.size == 0);
  CHECK(p2.header.padded_width == 64);
  CHECK(p2.header.y == LatentShape{256, 4, 4});
  CHECK(p2.header.z == LatentShape{192, 1, 1});
  // Largest dimension.
  StreamHeader big = sample_header(65535, 1, 3, false);
  const auto s3 = write_stream(big, z, y, {});
  CHECK(parse_stream(s3.data(), s3.size()).header.padded_width == 65536);
  // Other geometry rule (an x8 model, say).
  Limits l8;
  l8.size_multiple = 32;
  l8.y_factor = 8;
  l8.z_factor = 32;
  StreamHeader h8 = sample_header(50, 33, 3, false);
  set_geometry(h8, 32, 32, l8);
  const auto s4 = write_stream(h8, z, y, {}, l8);
  CHECK(parse_stream(s4.data(), s4.size(), l8).header.y == LatentShape{32, 8, 8});
  CHECK(status_of(s4) == CDC_STATUS_CORRUPT_STREAM);  // wrong rule
}

TEST_CASE("format: writer refuses inconsistent headers") {
  StreamHeader hd = sample_header();
  hd.has_alpha = false;
  CHECK_THROWS_AS(write_stream(hd, {}, {}, bytes_of(3, 0)), cdc::Error);
  hd = sample_header();
  hd.y.width += 1;
  CHECK_THROWS_AS(write_stream(hd, {}, {}, bytes_of(3, 0)), cdc::Error);
  hd = sample_header(3, 3, 3, true);
  CHECK_THROWS_AS(write_stream(hd, {}, {}, bytes_of(3, 0)), cdc::Error);
}

TEST_CASE("format: specific errors") {
  const StreamHeader hd = sample_header();
  const auto good = write_stream(hd, bytes_of(10, 1), bytes_of(40, 2), bytes_of(5, 3));
  CHECK(status_of(good) == CDC_STATUS_OK);
  CHECK(status_of({}) == CDC_STATUS_TRUNCATED_STREAM);
  CHECK(status_of({0x89}) == CDC_STATUS_TRUNCATED_STREAM);
  CHECK(status_of({'C'}) == CDC_STATUS_CORRUPT_STREAM);
  CHECK(status_of({'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P'}) == CDC_STATUS_CORRUPT_STREAM);
  {
    auto s = good;
    s[3] = 'X';
    CHECK(status_of(s) == CDC_STATUS_CORRUPT_STREAM);
  }
  {  // newer version
    auto s = good;
    s[8] = 4;
    CHECK(status_of(s) == CDC_STATUS_UNSUPPORTED);
    s[8] = 0;
    CHECK(status_of(s) == CDC_STATUS_CORRUPT_STREAM);
  }
  auto edited = [&](size_t off, uint32_t value) {
    auto s = good;
    cdc::store_u32(s.data() + off, value);
    fix_header_crc(s);
    return status_of(s);
  };
  CHECK(edited(32, 0) == CDC_STATUS_CORRUPT_STREAM);             // width 0
  CHECK(edited(32, 65536) == CDC_STATUS_LIMIT_EXCEEDED);         // width
  CHECK(edited(36, 0xffffffffu) == CDC_STATUS_LIMIT_EXCEEDED);   // height
  CHECK(edited(48, 2) == CDC_STATUS_CORRUPT_STREAM);             // channels
  CHECK(edited(48, 3) == CDC_STATUS_CORRUPT_STREAM);             // alpha needs 4 channels
  CHECK(edited(40, 192) == CDC_STATUS_CORRUPT_STREAM);           // padded width
  CHECK(edited(52, 0) == CDC_STATUS_CORRUPT_STREAM);             // y channels
  CHECK(edited(52, 100000) == CDC_STATUS_LIMIT_EXCEEDED);        // y channels
  CHECK(edited(56, 9) == CDC_STATUS_CORRUPT_STREAM);             // y height
  CHECK(edited(72, 3) == CDC_STATUS_CORRUPT_STREAM);             // z width
  CHECK(edited(12, 2) == CDC_STATUS_CORRUPT_STREAM);             // unknown flag
  CHECK(edited(12, 3) == CDC_STATUS_CORRUPT_STREAM);             // metadata flag in version 1
  CHECK(edited(12, 0) == CDC_STATUS_CORRUPT_STREAM);             // alpha size without flag
  CHECK(edited(76, 1) == CDC_STATUS_CORRUPT_STREAM);             // reserved
  CHECK(edited(88, 0xffffffffu) == CDC_STATUS_TRUNCATED_STREAM); // z size huge
  CHECK(edited(96, 39) == CDC_STATUS_CORRUPT_STREAM);            // trailing byte
  CHECK(edited(112, 0) == CDC_STATUS_CORRUPT_STREAM);            // payload CRC
  {  // sizes that overflow a sum
    auto s = good;
    cdc::store_u32(s.data() + 92, 0xffffffffu);
    cdc::store_u32(s.data() + 100, 0xffffffffu);
    fix_header_crc(s);
    CHECK(status_of(s) == CDC_STATUS_TRUNCATED_STREAM);
  }
  {  // estimated bits NaN
    auto s = good;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::memcpy(s.data() + 80, &nan, 8);
    fix_header_crc(s);
    CHECK(status_of(s) == CDC_STATUS_CORRUPT_STREAM);
  }
  // Max pixels.
  Limits small;
  small.max_pixels = 100 * 70 - 1;
  CHECK(status_of(good, small) == CDC_STATUS_LIMIT_EXCEEDED);
  small.max_pixels = 100 * 70;
  CHECK(status_of(good, small) == CDC_STATUS_OK);
  // parse_header skips only the payload CRC.
  {
    auto s = good;
    s.back() ^= 1;
    CHECK(status_of(s) == CDC_STATUS_CORRUPT_STREAM);
    CHECK_NOTHROW(parse_header(s.data(), s.size()));
    s.pop_back();
    CHECK_THROWS_AS(parse_header(s.data(), s.size()), cdc::Error);
  }
}

TEST_CASE("format: every truncation, every bit flip, random bytes") {
  const StreamHeader hd = sample_header(130, 66, 3, false);
  const auto good = write_stream(hd, bytes_of(12, 1), bytes_of(50, 2), {});
  for (size_t len = 0; len < good.size(); ++len) {
    std::vector<uint8_t> s(good.begin(), good.begin() + static_cast<long>(len));
    REQUIRE(status_of(s) == CDC_STATUS_TRUNCATED_STREAM);
  }
  int unsupported = 0;
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    auto s = good;
    s[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    const cdc_status st = status_of(s);
    REQUIRE(st != CDC_STATUS_OK);
    unsupported += st == CDC_STATUS_UNSUPPORTED;
    CHECK((st == CDC_STATUS_CORRUPT_STREAM || st == CDC_STATUS_UNSUPPORTED ||
           st == CDC_STATUS_TRUNCATED_STREAM));
  }
  CHECK(unsupported <= 16);  // only flips of the version's high bits
  std::mt19937_64 rng(11);
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> s(rng() % 400);
    for (auto& b : s) b = static_cast<uint8_t>(rng());
    if (i % 3 == 0 && s.size() >= kMagicSize) std::memcpy(s.data(), kMagic, kMagicSize);
    if (i % 9 == 0 && s.size() >= 12) {
      s[8] = 1;
      s[9] = 0;
      s[10] = static_cast<uint8_t>(kHeaderSize);
      s[11] = 0;
    }
    CHECK(status_of(s) != CDC_STATUS_OK);
  }
  // Multi-byte damage.
  for (int i = 0; i < 2000; ++i) {
    auto s = good;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k) s[rng() % s.size()] = static_cast<uint8_t>(rng());
    if (s == good) continue;
    CHECK(status_of(s) != CDC_STATUS_OK);
  }
}

namespace {

MetadataBlocks blocks_of(const std::vector<uint8_t>& icc, const std::vector<uint8_t>& exif,
                         const std::vector<uint8_t>& xmp) {
  MetadataBlocks m;
  m.blocks[0] = {icc.data(), icc.size()};
  m.blocks[1] = {exif.data(), exif.size()};
  m.blocks[2] = {xmp.data(), xmp.size()};
  return m;
}

std::vector<uint8_t> span_bytes(const ByteSpan& b) {
  return std::vector<uint8_t>(b.data, b.data + b.size);
}

// Rewrites the metadata section's CRC after an edit of the section.
void fix_metadata_crc(std::vector<uint8_t>& s, size_t section) {
  cdc::store_u32(s.data() + s.size() - 4,
                 static_cast<uint32_t>(crc32_z(0, s.data() + section, s.size() - 4 - section)));
}

}  // namespace

TEST_CASE("format: a stream without metadata is version 1, byte for byte") {
  const StreamHeader hd = sample_header(130, 66, 3, false);
  const auto z = bytes_of(12, 1), y = bytes_of(50, 2);
  const auto s = write_stream(hd, z, y, {});
  // The version-1 layout: version 1, reserved 0, no bytes after the payload.
  CHECK(cdc::load_u16(s.data() + 8) == 1);
  CHECK(cdc::load_u32(s.data() + 12) == 0);
  CHECK(cdc::load_u32(s.data() + 76) == 0);
  CHECK(s.size() == kHeaderSize + 62);
  auto attached = s;
  attach_metadata(attached, MetadataBlocks());
  CHECK(attached == s);  // no blocks: unchanged
  const std::vector<uint8_t> empty;
  attach_metadata(attached, blocks_of(empty, empty, empty));
  CHECK(attached == s);
  const ParsedStream p = parse_stream(s.data(), s.size());
  CHECK(p.metadata_size == 0);
  for (const ByteSpan& b : p.metadata) CHECK(b.size == 0);
}

TEST_CASE("format: metadata section round trip") {
  const StreamHeader hd = sample_header();
  const auto z = bytes_of(10, 1), y = bytes_of(300, 2), a = bytes_of(17, 3);
  const auto v1 = write_stream(hd, z, y, a);
  const auto icc = bytes_of(700, 4), exif = bytes_of(33, 5), xmp = bytes_of(1, 6);
  for (int mask = 1; mask < 8; ++mask) {
    CAPTURE(mask);
    const std::vector<uint8_t> none;
    auto s = v1;
    attach_metadata(s, blocks_of(mask & 1 ? icc : none, mask & 2 ? exif : none,
                                 mask & 4 ? xmp : none));
    const ParsedStream p = parse_stream(s.data(), s.size());
    CHECK(p.header.format_version == 2);
    CHECK(cdc::load_u32(s.data() + 12) == (kFlagAlpha | kFlagMetadata));
    // The header and payload are those of the version-1 stream otherwise.
    CHECK(std::memcmp(s.data() + 16, v1.data() + 16, 60) == 0);
    CHECK(std::memcmp(s.data() + 80, v1.data() + 80, 36) == 0);
    CHECK(std::equal(v1.begin() + kHeaderSize, v1.end(), s.begin() + kHeaderSize));
    CHECK(p.payload_size == 327);
    CHECK(p.header_size + p.payload_size + p.metadata_size == s.size());
    CHECK(span_bytes(p.z) == z);
    CHECK(span_bytes(p.y) == y);
    CHECK(span_bytes(p.alpha) == a);
    CHECK(span_bytes(p.block(MetadataKind::kIcc)) == (mask & 1 ? icc : none));
    CHECK(span_bytes(p.block(MetadataKind::kExif)) == (mask & 2 ? exif : none));
    CHECK(span_bytes(p.block(MetadataKind::kXmp)) == (mask & 4 ? xmp : none));
    CHECK_NOTHROW(parse_header(s.data(), s.size()));
    // A second section is refused.
    auto twice = s;
    try {
      attach_metadata(twice, blocks_of(icc, none, none));
      FAIL("attach_metadata accepted a stream with metadata");
    } catch (const cdc::Error& e) {
      CHECK(e.status() == CDC_STATUS_INVALID_ARGUMENT);
    }
  }
  // Size limit: 16 MiB per block.
  std::vector<uint8_t> big(kMaxMetadataBlock + 1, 7);
  auto s = v1;
  try {
    attach_metadata(s, blocks_of({}, big, {}));
    FAIL("attach_metadata accepted a block over the limit");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_LIMIT_EXCEEDED);
  }
  CHECK(s == v1);
  big.pop_back();
  attach_metadata(s, blocks_of(big, {}, big));
  const ParsedStream p = parse_stream(s.data(), s.size());
  CHECK(p.block(MetadataKind::kIcc).size == kMaxMetadataBlock);
  CHECK(p.block(MetadataKind::kXmp).size == kMaxMetadataBlock);
  // Not a stream.
  std::vector<uint8_t> junk = bytes_of(200, 9);
  CHECK_THROWS_AS(attach_metadata(junk, blocks_of(big, {}, {})), cdc::Error);
}

TEST_CASE("format: corrupt and truncated metadata sections") {
  const StreamHeader hd = sample_header(130, 66, 3, false);
  const auto v1 = write_stream(hd, bytes_of(12, 1), bytes_of(50, 2), {});
  const auto icc = bytes_of(40, 4), exif = bytes_of(9, 5), xmp = bytes_of(20, 6);
  auto good = v1;
  attach_metadata(good, blocks_of(icc, exif, xmp));
  const size_t section = v1.size();
  REQUIRE(good.size() == section + 4 + 3 * 8 + 69 + 4);
  REQUIRE(status_of(good) == CDC_STATUS_OK);

  check_every_cut_and_flip(good);
  // A trailing byte; the section's size and flag.
  {
    auto s = good;
    s.push_back(0);
    CHECK(status_of(s) == CDC_STATUS_CORRUPT_STREAM);
  }
  auto header_edit = [&](size_t off, uint32_t value) {
    auto s = good;
    cdc::store_u32(s.data() + off, value);
    fix_header_crc(s);
    return status_of(s);
  };
  CHECK(header_edit(12, 0) == CDC_STATUS_CORRUPT_STREAM);           // size without flag
  CHECK(header_edit(76, 0) == CDC_STATUS_CORRUPT_STREAM);           // flag without size
  CHECK(header_edit(76, 0xffffffffu) == CDC_STATUS_CORRUPT_STREAM); // beyond the largest section
  CHECK(header_edit(76, 50331680) == CDC_STATUS_TRUNCATED_STREAM);  // the largest, absent
  CHECK(header_edit(76, 102) == CDC_STATUS_TRUNCATED_STREAM);       // one byte more than there is
  CHECK(header_edit(76, 100) == CDC_STATUS_CORRUPT_STREAM);         // one byte less: trailing
  {  // A version-2 stream without metadata parses (no writer makes one).
    auto s = v1;
    cdc::store_u16(s.data() + 8, 2);
    fix_header_crc(s);
    CHECK(status_of(s) == CDC_STATUS_OK);
  }
  // Section fields, with a valid CRC so that the field checks are reached.
  auto section_edit = [&](size_t off, uint32_t value) {
    auto s = good;
    cdc::store_u32(s.data() + section + off, value);
    fix_metadata_crc(s, section);
    try {
      parse_stream(s.data(), s.size());
      return std::string("ok");
    } catch (const cdc::Error& e) {
      CHECK(e.status() == CDC_STATUS_CORRUPT_STREAM);
      return std::string(e.what());
    }
  };
  const size_t exif_at = 4 + 8 + icc.size();
  const size_t xmp_at = exif_at + 8 + exif.size();
  CHECK(section_edit(0, 0).find("0 blocks") != std::string::npos);
  CHECK(section_edit(0, 4).find("4 blocks") != std::string::npos);
  CHECK(section_edit(0, 2).find("bytes after the last block") != std::string::npos);
  CHECK(section_edit(4, 4).find("unknown block kind 4") != std::string::npos);
  CHECK(section_edit(4, 0).find("unknown block kind 0") != std::string::npos);
  CHECK(section_edit(exif_at, 1).find("out of order or repeated") != std::string::npos);
  CHECK(section_edit(xmp_at, 2).find("out of order or repeated") != std::string::npos);
  CHECK(section_edit(8, 0).find("0 bytes") != std::string::npos);
  CHECK(section_edit(8, 0xffffffffu).find("1 to 16777216") != std::string::npos);
  CHECK(section_edit(8, 16777216).find("runs past the section") != std::string::npos);
  CHECK(section_edit(8, 41) != "ok");  // the blocks after it are misread
  CHECK(section_edit(xmp_at + 4, 21).find("runs past the section") != std::string::npos);
  CHECK(section_edit(xmp_at + 4, 19).find("bytes after the last block") != std::string::npos);
  {  // The CRC itself.
    auto s = good;
    s[section + 20] ^= 0x40;
    CHECK(status_of(s) == CDC_STATUS_CORRUPT_STREAM);
    try {
      parse_header(s.data(), s.size());
      FAIL("parse_header missed a metadata checksum mismatch");
    } catch (const cdc::Error& e) {
      CHECK(std::string(e.what()).find("metadata section: checksum mismatch") !=
            std::string::npos);
    }
  }
  // Random damage of the section (CRC fixed, so the structure is what fails).
  std::mt19937_64 rng(5);
  for (int i = 0; i < 3000; ++i) {
    auto s = good;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k)
      s[section + rng() % (s.size() - 4 - section)] = static_cast<uint8_t>(rng());
    fix_metadata_crc(s, section);
    const cdc_status st = status_of(s);
    CHECK((st == CDC_STATUS_OK || st == CDC_STATUS_CORRUPT_STREAM));
    if (st == CDC_STATUS_OK) {  // only the block bytes changed
      const ParsedStream p = parse_stream(s.data(), s.size());
      CHECK(p.block(MetadataKind::kIcc).size == icc.size());
      CHECK(p.block(MetadataKind::kExif).size == exif.size());
      CHECK(p.block(MetadataKind::kXmp).size == xmp.size());
    }
  }
}

TEST_CASE("format: residual section round trip, with and without metadata") {
  const StreamHeader hd = sample_header(100, 70, 4, true);
  const auto z = bytes_of(10, 1), y = bytes_of(300, 2), a = bytes_of(17, 3);
  const auto v1 = write_stream(hd, z, y, a);
  const auto code = bytes_of(999, 8);
  ResidualParameters r;
  r.luma_step = 400;
  r.chroma_step = 401;
  r.base_steps = 3;
  r.band_tilt = 154;
  auto s = v1;
  attach_residual(s, r, code);
  ParsedStream p = parse_stream(s.data(), s.size());
  CHECK(p.header.format_version == 3);
  CHECK(cdc::load_u32(s.data() + 12) == (kFlagAlpha | kFlagResidual));
  CHECK(std::equal(v1.begin() + kHeaderSize, v1.end(), s.begin() + kHeaderSize));
  CHECK(p.residual_size == code.size() + kResidualSectionOverhead);
  CHECK(p.header_size + p.payload_size + p.residual_size == s.size());
  CHECK(span_bytes(p.residual_code) == code);
  CHECK(p.residual.luma_step == 400);
  CHECK(p.residual.chroma_step == 401);
  CHECK(p.residual.base_steps == 3);
  CHECK(p.residual.band_tilt == 154);
  CHECK(span_bytes(p.alpha) == a);
  // A second residual section is refused; bad parameters too.
  auto twice = s;
  CHECK_THROWS_AS(attach_residual(twice, r, code), cdc::Error);
  ResidualParameters bad = r;
  bad.base_steps = 0;
  auto t = v1;
  CHECK_THROWS_AS(attach_residual(t, bad, code), cdc::Error);
  CHECK(t == v1);
  // Metadata after the residual section: version 3 stays, both parse.
  const auto icc = bytes_of(70, 4);
  attach_metadata(s, blocks_of(icc, {}, {}));
  p = parse_stream(s.data(), s.size());
  CHECK(p.header.format_version == 3);
  CHECK(span_bytes(p.residual_code) == code);
  CHECK(span_bytes(p.block(MetadataKind::kIcc)) == icc);
  CHECK(p.header_size + p.payload_size + p.residual_size + p.metadata_size == s.size());
  CHECK_NOTHROW(parse_header(s.data(), s.size()));
  // The residual flag is unknown to version 2.
  auto v2 = s;
  cdc::store_u16(v2.data() + 8, 2);
  fix_header_crc(v2);
  CHECK(status_of(v2) == CDC_STATUS_CORRUPT_STREAM);
}

TEST_CASE("format: corrupt and truncated residual sections") {
  const StreamHeader hd = sample_header(130, 66, 3, false);
  const auto v1 = write_stream(hd, bytes_of(12, 1), bytes_of(50, 2), {});
  ResidualParameters r;
  r.luma_step = 16;
  r.chroma_step = 16;
  r.base_steps = 1;
  auto good = v1;
  attach_residual(good, r, bytes_of(40, 5));
  attach_metadata(good, blocks_of(bytes_of(9, 4), {}, {}));
  REQUIRE(status_of(good) == CDC_STATUS_OK);
  check_every_cut_and_flip(good);
  // Fields with a valid CRC: zero steps, unknown transform, tiny size.
  const size_t section = v1.size();
  auto field_edit = [&](size_t off, uint16_t value) {
    auto s = good;
    cdc::store_u16(s.data() + section + off, value);
    const uint32_t size = cdc::load_u32(s.data() + section);
    cdc::store_u32(s.data() + section + size - 4,
                   static_cast<uint32_t>(crc32_z(0, s.data() + section, size - 4)));
    return status_of(s);
  };
  CHECK(field_edit(4, 0) == CDC_STATUS_CORRUPT_STREAM);
  CHECK(field_edit(6, 0) == CDC_STATUS_CORRUPT_STREAM);
  CHECK(field_edit(8, 0) == CDC_STATUS_CORRUPT_STREAM);
  CHECK(field_edit(10, 1) == CDC_STATUS_CORRUPT_STREAM);  // transform 1: 8x8 blocks only
  CHECK(field_edit(10, 3) == CDC_STATUS_CORRUPT_STREAM);
  CHECK(field_edit(12, 1025) == CDC_STATUS_CORRUPT_STREAM);  // band tilt above 1
  CHECK(field_edit(14, 1) == CDC_STATUS_CORRUPT_STREAM);     // reserved
  CHECK(field_edit(4, 1) == CDC_STATUS_OK);
  CHECK(field_edit(12, 1024) == CDC_STATUS_OK);
  auto tiny = good;
  cdc::store_u32(tiny.data() + section, 19);
  CHECK(status_of(tiny) == CDC_STATUS_CORRUPT_STREAM);
}
