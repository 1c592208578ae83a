// Thread-count handling: libtorch starts with one intra-op thread; libcdc sets
// the count explicitly per call (0 = number of cores).
#pragma once

namespace cdc {

// The number of cores available to this process (at least 1).
int hardware_threads();

// Threads of other processes that are runnable now at a priority near ours
// (Linux: state R in /proc/PID/task/TID/stat, nice at most ours + 5; for a
// process in another autogroup (/proc/PID/autogroup, e.g. a job started in
// another terminal or session) the group's nice instead, since the kernel
// shares the CPU between autogroups by their nice, whatever the tasks' own);
// 0 where unknown. Costs a scan of /proc (about a millisecond). Control
// groups with CPU weights are not looked at.
int other_runnable_tasks();
// Whether the kernel's autogroups are on and this process's group is known.
bool autogroups_in_force();
// The runnable threads of process pid that other_runnable_tasks() counts.
int competing_tasks_of(int pid);
// The thread count a call uses: threads (0 = hardware_threads()), capped to
// the cores, and to the cores that other runnable tasks leave free (at least
// one): libtorch's OpenMP threads wait for each other at every layer by
// spinning, so a thread that loses its core to another process stalls all of
// them, and 2 threads on a busy 2-core machine were measured slower than 1.
int effective_threads(int threads);
// Sets libtorch's intra-op thread count for the calling thread's work to
// effective_threads(threads). Cheap when the count does not change. Defined
// on the libtorch side (common/compute_threads.cc).
void set_compute_threads(int threads);
// The same for OpenMP alone (the oneDNN path's loops and oneDNN itself), for
// code that runs without libtorch.
void set_openmp_threads(int threads);

}  // namespace cdc
