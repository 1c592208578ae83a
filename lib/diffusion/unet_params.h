// The U-Net's sizes (no libtorch: shared by UNetImpl and UNetOneDnn).
#pragma once

#include <cstdint>
#include <vector>

namespace cdc {

// Level i has dim * dim_mults[i] channels; the context features (finest
// first) have context_channels, then dim * context_dim_mults[i] for the
// coarser ones.
struct UNetParams {
  int64_t dim = 64;
  std::vector<int> dim_mults{1, 2, 3, 4, 5, 6};
  std::vector<int> context_dim_mults{1, 2, 3, 4};
  int64_t channels = 3;
  int64_t context_channels = 64;
};

}  // namespace cdc
