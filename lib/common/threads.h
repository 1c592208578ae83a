// Thread-count handling: libtorch starts with one intra-op thread; libcdc sets
// the count explicitly per call (0 = number of cores).
#pragma once

namespace cdc {

// The number of cores available to this process (at least 1).
int hardware_threads();

// Sets libtorch's intra-op thread count for the calling thread's work
// (0 = hardware_threads(); more than hardware_threads() is capped to it).
// Cheap when the count does not change.
void set_compute_threads(int threads);

}  // namespace cdc
