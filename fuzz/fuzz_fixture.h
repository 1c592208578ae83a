// Fixed small entropy tables and limits shared by the fuzz target and its seed
// generator: a 4-channel logistic factorized prior and the default Gaussian
// scale table. Scale indices of y are derived from the decoded z the way a
// codec would derive them from the hyper decoder (deterministically).
#pragma once

#include <cstdint>
#include <vector>

#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "entropy/entropy_tables.h"

namespace cdc_fuzz {

inline constexpr uint32_t kPriorChannels = 4;

inline const cdc::entropy::EntropyTables& tables() {
  static const cdc::entropy::EntropyTables t = [] {
    std::vector<double> medians = {0.0, 0.3, -0.2, 1.5};
    auto fn = [medians](int c, const std::vector<double>& x) {
      std::vector<double> out(x.size());
      const double b = 0.1 + 0.8 * c;
      for (size_t i = 0; i < x.size(); ++i) out[i] = (x[i] - medians[c]) / b;
      return out;
    };
    return cdc::entropy::build_entropy_tables(kPriorChannels, fn, medians);
  }();
  return t;
}

inline const cdc::bitstream::PreparedTables& prepared() {
  static const cdc::bitstream::PreparedTables p(tables());
  return p;
}

inline cdc::bitstream::Limits limits() {
  cdc::bitstream::Limits l;
  l.max_pixels = 300 * 300;
  l.max_latent_channels = 16;
  return l;
}

inline std::vector<int32_t> scale_indices(const std::vector<int32_t>& z, uint64_t count) {
  std::vector<int32_t> idx(count);
  const uint32_t n = static_cast<uint32_t>(tables().gaussian.size());
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t zv = z.empty() ? 0u : static_cast<uint32_t>(z[i % z.size()]);
    idx[i] = static_cast<int32_t>(((zv * 2654435761u) ^ static_cast<uint32_t>(i * 40503u)) % n);
  }
  return idx;
}

}  // namespace cdc_fuzz
