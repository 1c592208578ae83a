// rANS coder: round trips (random, adversarial, escapes, INT32 extremes),
// corrupted and truncated substreams, rate vs the ideal code length.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "entropy/cdf.h"
#include "entropy/rans.h"

using namespace cdc::entropy;

namespace {

// A few tables: narrow, wide, skewed, tiny (one symbol + escape).
std::vector<QuantizedCdf> test_tables() {
  std::vector<QuantizedCdf> t;
  t.push_back(gaussian_cdf(0.1));
  t.push_back(gaussian_cdf(1.7));
  t.push_back(gaussian_cdf(40.0));
  QuantizedCdf skew;
  skew.offset = -3;
  skew.cdf = quantize_pmf({0.5, 0.2, 0.1, 0.05, 0.0, 0.0, 0.15, 1e-12});
  t.push_back(skew);
  QuantizedCdf tiny;
  tiny.offset = 1000;
  tiny.cdf = {0, 65535, 65536};
  t.push_back(tiny);
  return t;
}

struct Seq {
  std::vector<int32_t> values;
  std::vector<uint32_t> tables;
};

std::vector<uint8_t> encode(const CodingTableSet& set, const Seq& s) {
  SymbolEncoder enc(set);
  enc.reserve(s.values.size());
  for (size_t i = 0; i < s.values.size(); ++i) enc.put(s.values[i], s.tables[i]);
  return enc.finish();
}

std::vector<int32_t> decode(const CodingTableSet& set, const std::vector<uint8_t>& bytes,
                            const std::vector<uint32_t>& tables) {
  RansDecoder dec(bytes.data(), bytes.size());
  std::vector<int32_t> out;
  out.reserve(tables.size());
  for (uint32_t t : tables) out.push_back(dec.pop(set[t]));
  dec.finish();
  return out;
}

Seq random_seq(std::mt19937_64& rng, size_t n, uint32_t table_count, bool wild) {
  Seq s;
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<uint32_t> pick(0, table_count - 1);
  std::uniform_int_distribution<int32_t> any(std::numeric_limits<int32_t>::min(),
                                             std::numeric_limits<int32_t>::max());
  std::uniform_int_distribution<int> coin(0, 99);
  for (size_t i = 0; i < n; ++i) {
    // Without wild values: tables 1 and 2 only, values of their own scale
    // (almost never escaped).
    const uint32_t t = wild ? pick(rng) : 1 + static_cast<uint32_t>(rng() % 2);
    int32_t v = static_cast<int32_t>(std::lround(normal(rng) * (t == 2 ? 40 : 1.7)));
    if (wild) {
      const int c = coin(rng);
      if (c < 10) v = any(rng);
      else if (c < 12) v = std::numeric_limits<int32_t>::min();
      else if (c < 14) v = std::numeric_limits<int32_t>::max();
      else if (c < 30) v = static_cast<int32_t>(std::lround(normal(rng) * 5000));
    }
    s.values.push_back(v);
    s.tables.push_back(t);
  }
  return s;
}

}  // namespace

TEST_CASE("rans: empty sequence") {
  CodingTableSet set(test_tables());
  Seq s;
  auto bytes = encode(set, s);
  CHECK(bytes == std::vector<uint8_t>{0x00, 0x00, 0x01, 0x00});
  CHECK(decode(set, bytes, {}).empty());
}

TEST_CASE("rans: random and adversarial round trips") {
  CodingTableSet set(test_tables());
  std::mt19937_64 rng(1234);
  for (int round = 0; round < 60; ++round) {
    const bool wild = round % 2 == 1;
    const size_t n = (round % 7 == 0) ? 1 : static_cast<size_t>(rng() % 3000);
    Seq s = random_seq(rng, n, static_cast<uint32_t>(set.size()), wild);
    auto bytes = encode(set, s);
    CHECK(decode(set, bytes, s.tables) == s.values);
  }
}

TEST_CASE("rans: every escape boundary and extreme value") {
  CodingTableSet set(test_tables());
  Seq s;
  const int64_t specials[] = {std::numeric_limits<int32_t>::min(),
                              std::numeric_limits<int32_t>::min() + 1,
                              std::numeric_limits<int32_t>::max(),
                              std::numeric_limits<int32_t>::max() - 1,
                              0, -1, 1, 65535, -65536, 1 << 30, -(1 << 30)};
  for (uint32_t t = 0; t < set.size(); ++t) {
    const CodingTable& ct = set[t];
    for (int64_t d = -40; d <= 40; ++d) {
      for (int64_t base : {int64_t{ct.offset}, int64_t{ct.offset} + ct.count}) {
        const int64_t v = base + d;
        if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
          s.values.push_back(static_cast<int32_t>(v));
          s.tables.push_back(t);
        }
      }
    }
    for (int64_t v : specials) {
      s.values.push_back(static_cast<int32_t>(v));
      s.tables.push_back(t);
    }
    // Powers of two around the escape widths.
    for (int b = 0; b < 31; ++b)
      for (int sign : {-1, 1}) {
        s.values.push_back(sign * ((1 << b) - 1 + (b == 0)));
        s.tables.push_back(t);
      }
  }
  auto bytes = encode(set, s);
  CHECK(decode(set, bytes, s.tables) == s.values);
  // All INT32_MIN / INT32_MAX, a long run.
  Seq ext;
  for (int i = 0; i < 500; ++i) {
    ext.values.push_back(i % 2 ? std::numeric_limits<int32_t>::max()
                               : std::numeric_limits<int32_t>::min());
    ext.tables.push_back(static_cast<uint32_t>(i % set.size()));
  }
  CHECK(decode(set, encode(set, ext), ext.tables) == ext.values);
}

TEST_CASE("rans: raw bits round trip") {
  std::mt19937_64 rng(7);
  RansEncoder enc;
  std::vector<std::pair<uint32_t, int>> items;
  for (int i = 0; i < 2000; ++i) {
    const int n = 1 + static_cast<int>(rng() % 16);
    items.push_back({static_cast<uint32_t>(rng()) & ((1u << n) - 1), n});
  }
  for (size_t i = items.size(); i-- > 0;) enc.push_bits(items[i].first, items[i].second);
  auto bytes = enc.finish();
  RansDecoder dec(bytes.data(), bytes.size());
  for (auto& [v, n] : items) CHECK(dec.pop_bits(n) == v);
  dec.finish();
}

TEST_CASE("rans: damaged substreams throw CORRUPT_STREAM, never crash") {
  CodingTableSet set(test_tables());
  std::mt19937_64 rng(99);
  for (const bool wild : {false, true}) {
    Seq s = random_seq(rng, 300, static_cast<uint32_t>(set.size()), wild);
    const auto good = encode(set, s);
    // 0: error (always CORRUPT_STREAM), 1: decoded the original, 2: other values.
    auto outcome = [&](const std::vector<uint8_t>& bytes) {
      try {
        return decode(set, bytes, s.tables) == s.values ? 1 : 2;
      } catch (const cdc::Error& e) {
        CHECK(e.status() == CDC_STATUS_CORRUPT_STREAM);
        return 0;
      }
    };
    // Every truncation, and extra bytes: always detected.
    for (size_t len = 0; len < good.size(); ++len)
      CHECK(outcome(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(len))) == 0);
    auto longer = good;
    longer.push_back(0);
    longer.push_back(0);
    CHECK(outcome(longer) == 0);
    // Every single bit flip. The final-state check catches a flip that
    // disturbs the coder's state; flips inside bypass bits (escaped values)
    // change only those values and are caught by the container's CRC.
    int accepted = 0;
    for (size_t bit = 0; bit < good.size() * 8; ++bit) {
      auto b = good;
      b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      accepted += outcome(b) != 0;
    }
    MESSAGE(std::string(wild ? "with" : "without") << " escapes: " << accepted << " of "
                                        << good.size() * 8 << " bit flips decoded");
    if (!wild) CHECK(accepted <= static_cast<int>(good.size() * 8 / 100));
    // Random bytes.
    int random_accepted = 0;
    for (int i = 0; i < 1000; ++i) {
      std::vector<uint8_t> b(rng() % 800);
      for (auto& x : b) x = static_cast<uint8_t>(rng());
      random_accepted += outcome(b) != 0;
    }
    CHECK(random_accepted <= 5);
  }
}

TEST_CASE("rans: decoder rejects bad initial states and odd sizes") {
  CodingTableSet set(test_tables());
  const std::vector<uint8_t> low_state = {0xff, 0xff, 0x00, 0x00};
  CHECK_THROWS_AS(RansDecoder(low_state.data(), low_state.size()), cdc::Error);
  const std::vector<uint8_t> odd = {0x00, 0x00, 0x01, 0x00, 0x00};
  CHECK_THROWS_AS(RansDecoder(odd.data(), odd.size()), cdc::Error);
  CHECK_THROWS_AS(RansDecoder(nullptr, 0), cdc::Error);
}

TEST_CASE("rans: coding Gaussian samples costs within 1% of -log2 pmf") {
  EntropyTables t;
  t.scale_table = default_scale_table();
  for (double s : t.scale_table) t.gaussian.push_back(gaussian_cdf(s));
  CodingTableSet set(t.gaussian);
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> log_scale(std::log(0.1), std::log(50.0));
  std::uniform_real_distribution<double> mean_dist(-20.0, 20.0);
  const size_t n = 200000;
  RansEncoder enc;
  std::vector<int32_t> values(n), idx(n);
  double ideal = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double scale = std::exp(log_scale(rng));
    const double mean = mean_dist(rng);
    const double y = mean + scale * normal(rng);
    values[i] = static_cast<int32_t>(std::lround(y - mean));
    idx[i] = t.scale_index(scale);
    // The reference's estimate: Gaussian mass of the quantization bin, >= 1e-9.
    ideal += -std::log2(std::max(gaussian_pmf(values[i], scale), 1e-9));
  }
  for (size_t i = n; i-- > 0;) enc.push(values[i], set[static_cast<size_t>(idx[i])]);
  auto bytes = enc.finish();
  const double coded = 8.0 * static_cast<double>(bytes.size());
  MESSAGE("ideal " << ideal << " bits, coded " << coded << " bits, overhead "
                   << 100.0 * (coded / ideal - 1.0) << "%");
  CHECK(coded <= ideal * 1.01 + 64);
  CHECK(coded >= ideal * 0.99);
  RansDecoder dec(bytes.data(), bytes.size());
  for (size_t i = 0; i < n; ++i) REQUIRE(dec.pop(set[static_cast<size_t>(idx[i])]) == values[i]);
  dec.finish();
}
