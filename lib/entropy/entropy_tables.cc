#include "entropy/entropy_tables.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/byte_io.h"
#include "entropy/cdf.h"

namespace cdc::entropy {

namespace {

// Serialization (all little-endian):
//   u32 magic "CDET" (0x54454443), u32 version (1), u32 precision,
//   u32 prior count P, P tables, u32 scale count S, S x f64 scales,
//   u32 gaussian count (== S), S tables.
// A table: i32 offset, u32 symbol count n, (n + 2) x u32 CDF.
constexpr uint32_t kTablesMagic = 0x54454443u;  // "CDET"
constexpr uint32_t kTablesVersion = 1;
constexpr uint32_t kMaxTables = 1u << 16;
constexpr int32_t kMaxOffset = 1 << 24;

void put_table(std::vector<uint8_t>& out, const QuantizedCdf& t) {
  put_i32(out, t.offset);
  put_u32(out, static_cast<uint32_t>(t.symbol_count()));
  for (uint32_t v : t.cdf) put_u32(out, v);
}

[[noreturn]] void bad(const std::string& what) {
  fail(CDC_STATUS_INVALID_MODEL, "entropy tables: {}", what);
}

QuantizedCdf read_table(ByteReader& in) {
  QuantizedCdf t;
  t.offset = in.i32();
  const uint32_t n = in.u32();
  if (t.offset < -kMaxOffset || t.offset > kMaxOffset) bad("table offset out of range");
  if (n < 1 || n >= (1u << kCdfPrecision)) bad("bad symbol count");
  in.need(static_cast<size_t>(n + 2) * 4);
  t.cdf.resize(n + 2);
  for (auto& v : t.cdf) v = in.u32();
  if (t.cdf.front() != 0 || t.cdf.back() != (1u << kCdfPrecision)) bad("bad CDF ends");
  for (size_t i = 1; i < t.cdf.size(); ++i)
    if (t.cdf[i] <= t.cdf[i - 1]) bad("CDF not strictly increasing");
  return t;
}

}  // namespace

int32_t EntropyTables::scale_index(double scale) const {
  if (scale_table.empty()) return 0;
  const int32_t last = static_cast<int32_t>(scale_table.size()) - 1;
  if (std::isnan(scale)) return last;
  auto it = std::lower_bound(scale_table.begin(), scale_table.end(), scale);
  if (it == scale_table.end()) return last;
  return static_cast<int32_t>(it - scale_table.begin());
}

std::vector<uint8_t> EntropyTables::serialize() const {
  std::vector<uint8_t> out;
  size_t total = 32 + scale_table.size() * 8;
  for (const auto& t : prior) total += 8 + t.cdf.size() * 4;
  for (const auto& t : gaussian) total += 8 + t.cdf.size() * 4;
  out.reserve(total);
  put_u32(out, kTablesMagic);
  put_u32(out, kTablesVersion);
  put_u32(out, kCdfPrecision);
  put_u32(out, static_cast<uint32_t>(prior.size()));
  for (const auto& t : prior) put_table(out, t);
  put_u32(out, static_cast<uint32_t>(scale_table.size()));
  for (double s : scale_table) put_f64(out, s);
  put_u32(out, static_cast<uint32_t>(gaussian.size()));
  for (const auto& t : gaussian) put_table(out, t);
  return out;
}

EntropyTables EntropyTables::deserialize(const uint8_t* data, size_t size) {
  if (data == nullptr && size != 0) bad("null data");
  ByteReader in(data, size, CDC_STATUS_INVALID_MODEL, "entropy tables");
  if (in.u32() != kTablesMagic) bad("bad magic");
  if (in.u32() != kTablesVersion) bad("unsupported version");
  const uint32_t precision = in.u32();
  if (precision != static_cast<uint32_t>(kCdfPrecision))
    bad(fmt::format("precision {} (expected {})", precision, kCdfPrecision));
  EntropyTables t;
  const uint32_t prior_count = in.u32();
  if (prior_count < 1 || prior_count > kMaxTables) bad("bad prior table count");
  t.prior.reserve(prior_count);
  for (uint32_t i = 0; i < prior_count; ++i) t.prior.push_back(read_table(in));
  const uint32_t scale_count = in.u32();
  if (scale_count < 1 || scale_count > kMaxTables) bad("bad scale count");
  in.need(static_cast<size_t>(scale_count) * 8);
  t.scale_table.resize(scale_count);
  for (auto& s : t.scale_table) {
    s = in.f64();
    if (!std::isfinite(s) || !(s > 0.0)) bad("bad scale");
  }
  for (size_t i = 1; i < t.scale_table.size(); ++i)
    if (!(t.scale_table[i] > t.scale_table[i - 1])) bad("scale table not increasing");
  const uint32_t gaussian_count = in.u32();
  if (gaussian_count != scale_count) bad("gaussian table count differs from scale count");
  t.gaussian.reserve(gaussian_count);
  for (uint32_t i = 0; i < gaussian_count; ++i) t.gaussian.push_back(read_table(in));
  if (in.remaining() != 0) bad("trailing bytes");
  return t;
}

EntropyTables build_entropy_tables(int prior_channels, const PriorCdfLogit& cdf_logit,
                                   const std::vector<double>& medians) {
  if (prior_channels < 1 || static_cast<uint32_t>(prior_channels) > kMaxTables)
    fail(CDC_STATUS_INVALID_MODEL, "entropy tables: bad prior channel count {}",
         prior_channels);
  if (medians.size() != static_cast<size_t>(prior_channels))
    fail(CDC_STATUS_INVALID_MODEL, "entropy tables: {} medians for {} channels",
         medians.size(), prior_channels);
  if (!cdf_logit) fail(CDC_STATUS_INVALID_ARGUMENT, "entropy tables: no prior CDF function");
  EntropyTables t;
  t.prior.reserve(static_cast<size_t>(prior_channels));
  std::vector<double> points(2 * kMaxPriorRange + 2);
  for (int c = 0; c < prior_channels; ++c) {
    const double median = medians[static_cast<size_t>(c)];
    if (!std::isfinite(median))
      fail(CDC_STATUS_INVALID_MODEL, "entropy tables: median of channel {} is not finite", c);
    for (size_t i = 0; i < points.size(); ++i)
      points[i] = median + (static_cast<double>(i) - kMaxPriorRange) - 0.5;
    std::vector<double> logits = cdf_logit(c, points);
    if (logits.size() != points.size())
      fail(CDC_STATUS_INVALID_MODEL, "entropy tables: prior CDF gave {} values for {} points",
           logits.size(), points.size());
    t.prior.push_back(prior_cdf_from_edge_logits(logits));
  }
  t.scale_table = default_scale_table();
  t.gaussian.reserve(t.scale_table.size());
  for (double s : t.scale_table) t.gaussian.push_back(gaussian_cdf(s));
  return t;
}

}  // namespace cdc::entropy
