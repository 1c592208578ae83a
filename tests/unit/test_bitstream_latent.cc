// Latent coding: round trips of z and y through their substreams, rate,
// and damaged substreams.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "common/error.h"
#include "entropy/cdf.h"

using namespace cdc::bitstream;
using namespace cdc::entropy;

namespace {

const EntropyTables& tables() {
  static const EntropyTables t = [] {
    const int channels = 8;
    std::vector<double> medians;
    for (int c = 0; c < channels; ++c) medians.push_back(0.1 * c);
    auto fn = [medians](int c, const std::vector<double>& x) {
      std::vector<double> out(x.size());
      const double b = 0.2 + 0.5 * c;
      for (size_t i = 0; i < x.size(); ++i) out[i] = (x[i] - medians[c]) / b;
      return out;
    };
    return build_entropy_tables(channels, fn, medians);
  }();
  return t;
}

}  // namespace

TEST_CASE("latent: hyper-latent round trip") {
  const EntropyTables& t = tables();
  PreparedTables pt(t);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal(0.0, 1.0);
  const uint32_t C = 8, h = 5, w = 7;
  std::vector<int32_t> z(C * h * w);
  for (uint32_t c = 0; c < C; ++c)
    for (uint32_t i = 0; i < h * w; ++i)
      z[c * h * w + i] = static_cast<int32_t>(std::lround(normal(rng) * (0.2 + 0.5 * c)));
  z[3] = std::numeric_limits<int32_t>::max();
  z[4] = std::numeric_limits<int32_t>::min();
  auto bytes = encode_hyper_latent(z.data(), C, h, w, t);
  CHECK(decode_hyper_latent(bytes.data(), bytes.size(), C, h, w, pt) == z);
  CHECK(decode_hyper_latent(bytes.data(), bytes.size(), C, h, w, t) == z);
  // Channel count differing from the prior.
  CHECK_THROWS_AS(encode_hyper_latent(z.data(), C - 1, h, w, pt), cdc::Error);
  try {
    decode_hyper_latent(bytes.data(), bytes.size(), C + 1, h, w, pt);
    FAIL("expected an error");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_CORRUPT_STREAM);
  }
  // Fewer symbols than coded: bytes left over.
  CHECK_THROWS_AS(decode_hyper_latent(bytes.data(), bytes.size(), C, h, w - 1, pt), cdc::Error);
}

TEST_CASE("latent: y round trip, rate and damage") {
  const EntropyTables& t = tables();
  PreparedTables pt(t);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> log_scale(std::log(0.1), std::log(30.0));
  const size_t n = 64 * 12 * 12;
  std::vector<int32_t> y(n), idx(n);
  double ideal = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double s = std::exp(log_scale(rng));
    y[i] = static_cast<int32_t>(std::lround(s * normal(rng)));
    idx[i] = t.scale_index(s);
    ideal -= std::log2(std::max(gaussian_pmf(y[i], s), 1e-9));
  }
  auto bytes = encode_latent(y.data(), idx.data(), n, pt);
  CHECK(decode_latent(bytes.data(), bytes.size(), idx.data(), n, pt) == y);
  const double coded = 8.0 * bytes.size();
  const double table_bits = latent_table_bits(y.data(), idx.data(), n, pt);
  MESSAGE("y: ideal " << ideal << " bits, tables " << table_bits << ", coded " << coded);
  CHECK(coded <= ideal * 1.01 + 64);
  CHECK(coded <= table_bits + 48);
  CHECK(coded >= table_bits);

  // Bad scale indices.
  auto bad = idx;
  bad[5] = static_cast<int32_t>(t.gaussian.size());
  CHECK_THROWS_AS(encode_latent(y.data(), bad.data(), n, pt), cdc::Error);
  bad[5] = -1;
  CHECK_THROWS_AS(decode_latent(bytes.data(), bytes.size(), bad.data(), n, pt), cdc::Error);

  // Truncations and flips: an error or (rarely, for flips) other values, never a crash.
  auto status = [&](const std::vector<uint8_t>& b) {
    try {
      decode_latent(b.data(), b.size(), idx.data(), n, pt);
      return CDC_STATUS_OK;
    } catch (const cdc::Error& e) {
      return e.status();
    }
  };
  for (size_t len = 0; len < bytes.size(); len += 1 + len / 16)
    CHECK(status(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(len))) ==
          CDC_STATUS_CORRUPT_STREAM);
  int accepted = 0;
  for (int i = 0; i < 500; ++i) {
    auto b = bytes;
    const size_t bit = rng() % (b.size() * 8);
    b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    const cdc_status st = status(b);
    CHECK((st == CDC_STATUS_OK || st == CDC_STATUS_CORRUPT_STREAM));
    accepted += st == CDC_STATUS_OK;
  }
  CHECK(accepted < 50);
}

TEST_CASE("latent: empty and all-extreme latents") {
  const EntropyTables& t = tables();
  PreparedTables pt(t);
  auto e = encode_latent(nullptr, nullptr, 0, pt);
  CHECK(decode_latent(e.data(), e.size(), nullptr, 0, pt).empty());
  std::vector<int32_t> y(1000), idx(1000);
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] = (i % 2) ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
    idx[i] = static_cast<int32_t>(i % t.gaussian.size());
  }
  auto b = encode_latent(y.data(), idx.data(), y.size(), pt);
  CHECK(decode_latent(b.data(), b.size(), idx.data(), y.size(), pt) == y);
}

TEST_CASE("latent: whole stream, every truncation and bit flip is an error") {
  const EntropyTables& t = tables();
  PreparedTables pt(t);
  StreamHeader h;
  h.width = 40;
  h.height = 70;
  h.channels = 3;
  set_geometry(h, 4, 8);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<int32_t> z(h.z.count()), y(h.y.count()), idx(h.y.count());
  for (auto& v : z) v = static_cast<int32_t>(std::lround(normal(rng)));
  for (size_t i = 0; i < y.size(); ++i) {
    idx[i] = static_cast<int32_t>((i * 37) % t.gaussian.size());
    y[i] = static_cast<int32_t>(std::lround(normal(rng) * t.scale_table[idx[i]]));
  }
  const auto stream =
      write_stream(h, encode_hyper_latent(z.data(), h.z.channels, h.z.height, h.z.width, pt),
                   encode_latent(y.data(), idx.data(), y.size(), pt), {});
  auto decode_all = [&](const std::vector<uint8_t>& s) {
    try {
      const ParsedStream p = parse_stream(s.data(), s.size());
      const auto z2 = decode_hyper_latent(p.z.data, p.z.size, p.header.z.channels,
                                          p.header.z.height, p.header.z.width, pt);
      const auto y2 = decode_latent(p.y.data, p.y.size, idx.data(), idx.size(), pt);
      CHECK(z2 == z);
      CHECK(y2 == y);
      return CDC_STATUS_OK;
    } catch (const cdc::Error& e) {
      return e.status();
    }
  };
  REQUIRE(decode_all(stream) == CDC_STATUS_OK);
  for (size_t len = 0; len < stream.size(); ++len)
    REQUIRE(decode_all(std::vector<uint8_t>(stream.begin(), stream.begin() + static_cast<long>(len))) ==
            CDC_STATUS_TRUNCATED_STREAM);
  for (size_t bit = 0; bit < stream.size() * 8; ++bit) {
    auto s = stream;
    s[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    REQUIRE(decode_all(s) != CDC_STATUS_OK);
  }
}
