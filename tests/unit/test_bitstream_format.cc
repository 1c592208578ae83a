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
    s[8] = 2;
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
