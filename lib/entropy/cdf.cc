#include "entropy/cdf.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "common/error.h"

namespace cdc::entropy {

std::vector<uint32_t> quantize_pmf(const std::vector<double>& pmf, int precision) {
  if (precision < 1 || precision > 16)
    fail(CDC_STATUS_INVALID_ARGUMENT, "quantize_pmf: precision {} outside 1..16", precision);
  const uint32_t total = 1u << precision;
  const size_t count = pmf.size();  // symbols + escape
  if (count < 2 || count > total)
    fail(CDC_STATUS_INVALID_ARGUMENT, "quantize_pmf: {} entries for precision {}", count,
         precision);
  double sum = 0.0;
  for (double p : pmf) {
    if (!std::isfinite(p) || p < 0.0)
      fail(CDC_STATUS_INVALID_ARGUMENT, "quantize_pmf: bad probability {}", p);
    sum += p;
  }
  std::vector<double> prob(count);
  for (size_t i = 0; i < count; ++i)
    prob[i] = sum > 0.0 ? pmf[i] / sum : 1.0 / static_cast<double>(count);

  // 1. Rounding, at least one unit each.
  std::vector<uint32_t> freq(count);
  int64_t assigned = 0;
  for (size_t i = 0; i < count; ++i) {
    double f = std::floor(prob[i] * total + 0.5);
    f = std::min(std::max(f, 1.0), static_cast<double>(total));
    freq[i] = static_cast<uint32_t>(f);
    assigned += freq[i];
  }

  // 2. Greedy correction of the total. The cost of moving one unit is the
  // change of expected code length, prob * log2(f / (f -+ 1)).
  struct Item {
    double cost;
    size_t index;
  };
  // Smallest cost first; ties broken by the lowest index.
  auto worse = [](const Item& a, const Item& b) {
    return a.cost != b.cost ? a.cost > b.cost : a.index > b.index;
  };
  if (assigned > static_cast<int64_t>(total)) {
    std::priority_queue<Item, std::vector<Item>, decltype(worse)> queue(worse);
    auto cost_down = [&](size_t i) {
      return prob[i] * std::log2(static_cast<double>(freq[i]) / (freq[i] - 1));
    };
    for (size_t i = 0; i < count; ++i)
      if (freq[i] > 1) queue.push({cost_down(i), i});
    while (assigned > static_cast<int64_t>(total)) {
      CDC_CHECK(!queue.empty());
      Item item = queue.top();
      queue.pop();
      --freq[item.index];
      --assigned;
      if (freq[item.index] > 1) queue.push({cost_down(item.index), item.index});
    }
  } else if (assigned < static_cast<int64_t>(total)) {
    std::priority_queue<Item, std::vector<Item>, decltype(worse)> queue(worse);
    // Cost of adding a unit is negative (a gain); smallest = largest gain.
    auto cost_up = [&](size_t i) {
      return -prob[i] * std::log2(static_cast<double>(freq[i] + 1) / freq[i]);
    };
    for (size_t i = 0; i < count; ++i) queue.push({cost_up(i), i});
    while (assigned < static_cast<int64_t>(total)) {
      Item item = queue.top();
      queue.pop();
      ++freq[item.index];
      ++assigned;
      queue.push({cost_up(item.index), item.index});
    }
  }

  std::vector<uint32_t> cdf(count + 1);
  cdf[0] = 0;
  for (size_t i = 0; i < count; ++i) cdf[i + 1] = cdf[i] + freq[i];
  CDC_CHECK(cdf[count] == total);
  return cdf;
}

double gaussian_pmf(int64_t k, double scale) {
  // Symmetric: mass of [|k| - 0.5, |k| + 0.5] in units of scale, through the
  // upper tail erfc so that far tails keep their relative precision.
  const double a = static_cast<double>(k < 0 ? -k : k);
  const double inv = 1.0 / (scale * std::sqrt(2.0));
  if (a == 0.0) return std::erf(0.5 * inv);
  return 0.5 * (std::erfc((a - 0.5) * inv) - std::erfc((a + 0.5) * inv));
}

QuantizedCdf gaussian_cdf(double scale) {
  if (!(scale > 0.0) || !std::isfinite(scale))
    fail(CDC_STATUS_INVALID_ARGUMENT, "gaussian_cdf: bad scale {}", scale);
  int64_t k_max = 0;
  const int64_t limit = (1 << kCdfPrecision) / 2 - 2;  // room for every symbol
  while (k_max < limit && gaussian_pmf(k_max + 1, scale) >= kMinSymbolProbability) ++k_max;
  std::vector<double> pmf;
  pmf.reserve(static_cast<size_t>(2 * k_max + 2));
  for (int64_t k = -k_max; k <= k_max; ++k) pmf.push_back(gaussian_pmf(k, scale));
  // Escape: both tails beyond k_max + 0.5.
  pmf.push_back(std::erfc((static_cast<double>(k_max) + 0.5) / (scale * std::sqrt(2.0))));
  QuantizedCdf q;
  q.offset = static_cast<int32_t>(-k_max);
  q.cdf = quantize_pmf(pmf);
  return q;
}

std::vector<double> default_scale_table() {
  std::vector<double> table(kScaleCount);
  const double lo = std::log(kScaleMin), hi = std::log(kScaleMax);
  for (int i = 0; i < kScaleCount; ++i)
    table[i] = std::exp(lo + (hi - lo) * i / (kScaleCount - 1));
  table.front() = kScaleMin;
  table.back() = kScaleMax;
  return table;
}

namespace {
double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}
}  // namespace

double logit_interval_mass(double l, double u) {
  // On the upper side of the median, work with upper tails (1 - sigma(x) =
  // sigma(-x)) to avoid cancellation.
  if (l + u > 0) return std::fabs(sigmoid(-l) - sigmoid(-u));
  return std::fabs(sigmoid(u) - sigmoid(l));
}

QuantizedCdf prior_cdf_from_edge_logits(const std::vector<double>& edge_logits) {
  const int64_t range = kMaxPriorRange;
  CDC_CHECK(edge_logits.size() == static_cast<size_t>(2 * range + 2));
  for (double v : edge_logits)
    if (std::isnan(v))
      fail(CDC_STATUS_INVALID_MODEL, "factorized prior: the CDF's logit is NaN");
  // Symbol k (from -range) lies between edges k + range and k + range + 1.
  auto mass = [&](int64_t k) {
    const size_t e = static_cast<size_t>(k + range);
    return logit_interval_mass(edge_logits[e], edge_logits[e + 1]);
  };
  int64_t lo = 0, hi = 0;
  for (int64_t k = -range; k < 0; ++k)
    if (mass(k) >= kMinSymbolProbability) {
      lo = k;
      break;
    }
  for (int64_t k = range; k > 0; --k)
    if (mass(k) >= kMinSymbolProbability) {
      hi = k;
      break;
    }
  std::vector<double> pmf;
  pmf.reserve(static_cast<size_t>(hi - lo + 2));
  for (int64_t k = lo; k <= hi; ++k) pmf.push_back(mass(k));
  const double lower_tail = sigmoid(edge_logits[static_cast<size_t>(lo + range)]);
  const double upper_tail = sigmoid(-edge_logits[static_cast<size_t>(hi + range + 1)]);
  pmf.push_back(lower_tail + upper_tail);
  QuantizedCdf q;
  q.offset = static_cast<int32_t>(lo);
  q.cdf = quantize_pmf(pmf);
  return q;
}

}  // namespace cdc::entropy
