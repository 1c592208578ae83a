// set_compute_threads (common/threads.h): libtorch's thread count, which is
// also OpenMP's for the calling thread (libtorch's parallel backend).
#include <torch/torch.h>

#include "common/threads.h"

namespace cdc {

void set_compute_threads(int threads) {
  const int n = effective_threads(threads);
  if (torch::get_num_threads() != n) torch::set_num_threads(n);
}

}  // namespace cdc
