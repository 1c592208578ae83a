#include "common/threads.h"

#include <sched.h>
#include <omp.h>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

namespace {

// State and nice value of a task from its /proc stat line; false if unreadable.
bool task_state(const char* path, char* state, long* nice) {
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  char buf[1024];
  const size_t got = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[got] = '\0';
  // "pid (comm) S ppid ...": fields after the last ')'; nice is field 19.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return false;
  *state = p[2];
  p += 2;
  for (int field = 3; field < 19 && p != nullptr; ++field) p = std::strchr(p + 1, ' ');
  if (p == nullptr) return false;
  *nice = std::strtol(p + 1, nullptr, 10);
  return true;
}

bool is_number(const char* s) {
  if (*s == '\0') return false;
  for (; *s != '\0'; ++s)
    if (*s < '0' || *s > '9') return false;
  return true;
}

}  // namespace

int other_runnable_tasks() {
  // Every task (thread) of every other process: /proc/PID/task/TID/stat.
  const long own_pid = static_cast<long>(getpid());
  const int own_nice = getpriority(PRIO_PROCESS, 0);
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  int count = 0;
  while (dirent* e = readdir(proc)) {
    if (!is_number(e->d_name) || std::strtol(e->d_name, nullptr, 10) == own_pid) continue;
    char dir_path[64];
    std::snprintf(dir_path, sizeof(dir_path), "/proc/%s/task", e->d_name);
    DIR* tasks = opendir(dir_path);
    if (tasks == nullptr) continue;
    while (dirent* t = readdir(tasks)) {
      if (!is_number(t->d_name)) continue;
      char path[128];
      std::snprintf(path, sizeof(path), "/proc/%s/task/%s/stat", e->d_name, t->d_name);
      char state = 0;
      long nice = 0;
      // A task niced well below us gets a small share of a core (CFS weights:
      // 1.25x per nice level) and does not stall our threads: measured, 2
      // threads beside a nice-19 busy loop were faster than 1.
      if (task_state(path, &state, &nice) && state == 'R' && nice <= own_nice + 5) ++count;
    }
    closedir(tasks);
  }
  closedir(proc);
  return count;
}

int effective_threads(int threads) {
  const int cores = hardware_threads();
  int n = threads > 0 ? std::min(threads, cores) : cores;
  if (n > 1) n = std::min(n, std::max(1, cores - other_runnable_tasks()));
  return n;
}

void set_openmp_threads(int threads) {
  const int n = effective_threads(threads);
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

}  // namespace cdc
