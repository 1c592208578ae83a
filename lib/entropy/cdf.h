// Building quantized CDFs: PMF quantization, the Gaussian conditional's tables
// and the factorized prior's tables. Used once, when a model's entropy tables
// are built (build_entropy_tables); the coder only ever sees the integers.
#pragma once

#include <cstdint>
#include <vector>

#include "entropy/entropy_tables.h"

namespace cdc::entropy {

// The default scale table of the Gaussian conditional.
inline constexpr double kScaleMin = 0.1;    // the model's scale floor
inline constexpr double kScaleMax = 256.0;
inline constexpr int kScaleCount = 256;     // log-spaced entries

// A symbol enters a table when its probability is at least this (the rest of
// the mass goes to the escape symbol). Cheaper than giving thousands of
// negligible tail symbols one unit each (see docs/format.md, "Entropy coding").
inline constexpr double kMinSymbolProbability = 1.0 / (1 << 20);

// The symbol range of the factorized prior's tables is bounded to
// [-kMaxPriorRange, kMaxPriorRange] around the median.
inline constexpr int kMaxPriorRange = 4096;

// Quantizes a probability mass function into a CDF with the given precision.
// pmf has n + 1 entries (the last is the escape symbol's); entries must be
// finite and >= 0 (they need not sum to 1). The result has n + 2 entries,
// starts at 0, ends at 1 << precision and is strictly increasing: every symbol
// gets at least one unit. The procedure is deterministic: rounding, then a
// greedy correction of the total that takes units from (or gives units to) the
// symbols where it costs the least expected code length (ties: lowest index).
// Throws cdc::Error(INVALID_ARGUMENT) for n + 1 < 2, n + 1 > 1 << precision,
// precision outside 1..16 or bad entries.
std::vector<uint32_t> quantize_pmf(const std::vector<double>& pmf,
                                   int precision = kCdfPrecision);

// Exact probability that round(y - mean) == k for y ~ N(mean, scale^2):
// Phi((k + 0.5) / scale) - Phi((k - 0.5) / scale), computed without
// cancellation in the tails.
double gaussian_pmf(int64_t k, double scale);

// The table of one scale: symbols -K..K where K is the largest k with
// gaussian_pmf(k) >= kMinSymbolProbability (at least 0), escape = the rest.
QuantizedCdf gaussian_cdf(double scale);

// kScaleCount log-spaced scales from kScaleMin to kScaleMax (exact ends).
std::vector<double> default_scale_table();

// The table of one factorized-prior channel from the logits of its CDF at the
// edges median + k - 0.5, k = -R .. R + 1 (2R + 2 values, R = kMaxPriorRange).
// Throws cdc::Error(INVALID_MODEL) on non-finite logits.
QuantizedCdf prior_cdf_from_edge_logits(const std::vector<double>& edge_logits);

// The mass of [v - 0.5, v + 0.5] from the CDF logits l = logit(v - 0.5),
// u = logit(v + 0.5), computed on the side of the median that avoids
// cancellation (as the reference's factorized prior does).
double logit_interval_mass(double l, double u);

}  // namespace cdc::entropy
