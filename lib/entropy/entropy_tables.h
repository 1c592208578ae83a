// Entropy-coder tables owned by a model: quantized CDFs of the factorized prior
// (one per hyper-latent channel) and of the Gaussian conditional (one per entry
// of the scale table). They are built once, when a model is converted or
// trained, and stored in the model file, so that encoder and decoder always use
// the very same integers.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace cdc::entropy {

// Bits of precision of every quantized CDF: the masses of a table sum to
// 1 << kCdfPrecision. The rANS coder (entropy/rans.h) needs <= 16.
inline constexpr int kCdfPrecision = 16;

// A quantized CDF over the symbols offset, offset+1, ..., offset+n-1 plus one
// escape symbol (index n) for values outside that range.
// cdf has n + 2 entries: cdf[0] = 0, cdf[n + 1] = 1 << kCdfPrecision, strictly
// increasing (every symbol, the escape included, has nonzero mass).
struct QuantizedCdf {
  int32_t offset = 0;
  std::vector<uint32_t> cdf;
  int32_t symbol_count() const { return static_cast<int32_t>(cdf.size()) - 2; }
};

struct EntropyTables {
  // Factorized prior of the hyper-latent: prior[c] codes round(z - median[c]).
  std::vector<QuantizedCdf> prior;
  // Gaussian conditional: scale_table is increasing; an element of scale s
  // uses gaussian[i] with i = index of the entry chosen by scale_index().
  std::vector<double> scale_table;
  std::vector<QuantizedCdf> gaussian;

  // The table index for a scale: the smallest i with scale_table[i] >= scale
  // (the last one for larger scales).
  int32_t scale_index(double scale) const;

  // Exact byte serialization (little-endian) for the model file.
  std::vector<uint8_t> serialize() const;
  // Parses serialize()'s output; throws cdc::Error(CDC_STATUS_INVALID_MODEL)
  // on any inconsistency (sizes, non-increasing CDFs, bad precision).
  static EntropyTables deserialize(const uint8_t* data, size_t size);
};

// Evaluates the logit of the CDF of the factorized prior for one channel at
// the given points (in z units, not relative to the median).
using PriorCdfLogit =
    std::function<std::vector<double>(int channel, const std::vector<double>& points)>;

// Builds all tables: the prior's from its CDF function and per-channel
// medians, the Gaussian's from the default scale table.
EntropyTables build_entropy_tables(int prior_channels, const PriorCdfLogit& cdf_logit,
                                   const std::vector<double>& medians);

}  // namespace cdc::entropy
