// Entropy tables: CDF quantization, Gaussian and prior tables, scale_index,
// serialization and its validation.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "common/error.h"
#include "entropy/cdf.h"
#include "entropy/entropy_tables.h"

using namespace cdc::entropy;

namespace {

void check_cdf(const std::vector<uint32_t>& cdf, size_t entries) {
  REQUIRE(cdf.size() == entries + 1);
  CHECK(cdf.front() == 0);
  CHECK(cdf.back() == (1u << kCdfPrecision));
  for (size_t i = 1; i < cdf.size(); ++i) REQUIRE(cdf[i] > cdf[i - 1]);
}

// A logistic prior: logit(CDF(x)) = (x - median) / b, b depending on channel.
EntropyTables logistic_tables(int channels) {
  std::vector<double> medians;
  for (int c = 0; c < channels; ++c) medians.push_back(0.37 * c - 1.0);
  auto fn = [&](int c, const std::vector<double>& x) {
    std::vector<double> out(x.size());
    const double b = 0.05 + 0.9 * c;
    for (size_t i = 0; i < x.size(); ++i) out[i] = (x[i] - medians[c]) / b;
    return out;
  };
  return build_entropy_tables(channels, fn, medians);
}

}  // namespace

TEST_CASE("quantize_pmf: sums, nonzero masses, determinism") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int round = 0; round < 200; ++round) {
    const size_t n = 2 + rng() % (round < 100 ? 20 : 5000);
    std::vector<double> pmf(n);
    for (auto& p : pmf) {
      const double r = u(rng);
      p = r < 0.3 ? 0.0 : (r < 0.5 ? 1e-12 * u(rng) : std::pow(u(rng), 4));
    }
    auto cdf = quantize_pmf(pmf);
    check_cdf(cdf, n);
    CHECK(quantize_pmf(pmf) == cdf);
  }
  // All zeros: uniform.
  check_cdf(quantize_pmf(std::vector<double>(7, 0.0)), 7);
  // Exactly 2^16 entries: one unit each.
  auto full = quantize_pmf(std::vector<double>(1 << 16, 1.0));
  check_cdf(full, 1 << 16);
  // Too many entries, too few, bad values.
  CHECK_THROWS_AS(quantize_pmf(std::vector<double>((1 << 16) + 1, 1.0)), cdc::Error);
  CHECK_THROWS_AS(quantize_pmf({1.0}), cdc::Error);
  CHECK_THROWS_AS(quantize_pmf({1.0, NAN}), cdc::Error);
  CHECK_THROWS_AS(quantize_pmf({1.0, -0.5}), cdc::Error);
  // Close to the PMF: a dominant symbol keeps almost all the mass.
  auto peaked = quantize_pmf({1e-7, 1.0 - 2e-7, 1e-7, 1e-9});
  CHECK(peaked[2] - peaked[1] == (1u << 16) - 3);
}

TEST_CASE("gaussian tables: shape and closeness to the exact PMF") {
  const auto scales = default_scale_table();
  REQUIRE(scales.size() == static_cast<size_t>(kScaleCount));
  CHECK(scales.front() == kScaleMin);
  CHECK(scales.back() == kScaleMax);
  for (size_t i = 1; i < scales.size(); ++i) CHECK(scales[i] > scales[i - 1]);
  for (double s : {0.1, 0.5, 3.0, 77.0, 256.0}) {
    QuantizedCdf q = gaussian_cdf(s);
    check_cdf(q.cdf, static_cast<size_t>(q.symbol_count()) + 1);
    CHECK(q.offset == -(q.symbol_count() - 1) / 2);  // symmetric range
    // Relative error on central symbols is small.
    const double p0 = gaussian_pmf(0, s);
    const double q0 = (q.cdf[-q.offset + 1] - q.cdf[-q.offset]) / 65536.0;
    CHECK(std::fabs(q0 - p0) <= 2.0 / 65536 + 1e-3 * p0);
  }
  CHECK(std::fabs(gaussian_pmf(0, 1.0) - 0.3829249225480262) < 1e-12);
  CHECK(gaussian_pmf(3, 1.0) == doctest::Approx(0.00597703651).epsilon(1e-8));
}

TEST_CASE("scale_index: smallest entry >= scale, clamped") {
  EntropyTables t;
  t.scale_table = {0.1, 0.2, 0.4, 0.8};
  CHECK(t.scale_index(0.0) == 0);
  CHECK(t.scale_index(0.1) == 0);
  CHECK(t.scale_index(0.1000001) == 1);
  CHECK(t.scale_index(0.2) == 1);
  CHECK(t.scale_index(0.5) == 3);
  CHECK(t.scale_index(0.8) == 3);
  CHECK(t.scale_index(100.0) == 3);
  CHECK(t.scale_index(INFINITY) == 3);
  CHECK(t.scale_index(NAN) == 3);
  CHECK(t.scale_index(-1.0) == 0);
}

TEST_CASE("prior tables from the CDF's logits") {
  EntropyTables t = logistic_tables(6);
  REQUIRE(t.prior.size() == 6);
  REQUIRE(t.gaussian.size() == t.scale_table.size());
  for (const auto& q : t.prior) {
    check_cdf(q.cdf, static_cast<size_t>(q.symbol_count()) + 1);
    CHECK(q.offset <= 0);
    CHECK(q.offset + q.symbol_count() - 1 >= 0);
    CHECK(q.offset >= -kMaxPriorRange);
  }
  // The narrowest channel (b = 0.05) is almost a single symbol.
  CHECK(t.prior[0].symbol_count() <= 3);
  // Wider channels have wider ranges.
  CHECK(t.prior[5].symbol_count() > t.prior[1].symbol_count());
  // Mismatched medians, NaN logits.
  auto fn = [](int, const std::vector<double>& x) { return std::vector<double>(x.size(), NAN); };
  CHECK_THROWS_AS(build_entropy_tables(2, fn, {0.0}), cdc::Error);
  try {
    build_entropy_tables(1, fn, {0.0});
    FAIL("expected an error");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_INVALID_MODEL);
  }
}

TEST_CASE("serialize / deserialize round trip and validation") {
  EntropyTables t = logistic_tables(3);
  auto bytes = t.serialize();
  EntropyTables u = EntropyTables::deserialize(bytes.data(), bytes.size());
  CHECK(u.scale_table == t.scale_table);
  REQUIRE(u.prior.size() == t.prior.size());
  REQUIRE(u.gaussian.size() == t.gaussian.size());
  for (size_t i = 0; i < t.prior.size(); ++i) {
    CHECK(u.prior[i].offset == t.prior[i].offset);
    CHECK(u.prior[i].cdf == t.prior[i].cdf);
  }
  for (size_t i = 0; i < t.gaussian.size(); ++i) CHECK(u.gaussian[i].cdf == t.gaussian[i].cdf);
  CHECK(u.serialize() == bytes);

  auto expect_invalid = [](const std::vector<uint8_t>& b) {
    try {
      EntropyTables::deserialize(b.data(), b.size());
      return false;
    } catch (const cdc::Error& e) {
      return e.status() == CDC_STATUS_INVALID_MODEL;
    }
  };
  // Truncations (a sample of lengths, all short ones) and trailing bytes.
  for (size_t len = 0; len < bytes.size(); len += (len < 64 ? 1 : 997))
    CHECK(expect_invalid(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(len))));
  {
    auto b = bytes;
    b.push_back(0);
    CHECK(expect_invalid(b));
  }
  // Bad precision.
  {
    auto b = bytes;
    b[8] = 15;
    CHECK(expect_invalid(b));
  }
  // Non-increasing CDF: the first prior table's second entry set to 0.
  {
    auto b = bytes;
    const size_t first_cdf = 16 + 8;  // header, offset + count
    b[first_cdf + 4] = 0;
    b[first_cdf + 5] = 0;
    b[first_cdf + 6] = 0;
    b[first_cdf + 7] = 0;
    CHECK(expect_invalid(b));
  }
  // Random corruptions never crash; most are rejected.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 300; ++i) {
    auto b = bytes;
    b[rng() % 64] ^= static_cast<uint8_t>(1 + rng() % 255);
    try {
      EntropyTables::deserialize(b.data(), b.size());
    } catch (const cdc::Error& e) {
      CHECK(e.status() == CDC_STATUS_INVALID_MODEL);
    }
  }
  CHECK(expect_invalid({}));
}
