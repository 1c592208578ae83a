#include "common/threads.h"

#include <sched.h>
#include <torch/torch.h>

#include <algorithm>
#include <thread>

namespace cdc {

int hardware_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

void set_compute_threads(int threads) {
  // More threads than cores only adds contention: the count is capped.
  const int cores = hardware_threads();
  const int n = threads > 0 ? std::min(threads, cores) : cores;
  if (torch::get_num_threads() != n) torch::set_num_threads(n);
}

}  // namespace cdc
