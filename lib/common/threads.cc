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
#include <string>
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

// The scheduling group of a process under the kernel's autogroup feature
// ("/autogroup-61 nice 0" in /proc/PID/autogroup: every session, e.g. each
// terminal or each setsid'd job, is one): between groups the CPU is shared
// by the groups' nice values, so a task's own nice only ranks it within its
// group. false where there is no such file or the feature is off.
bool autogroup_of(const char* pid, std::string* group, long* nice) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%s/autogroup", pid);
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  char name[64];
  const bool ok = std::fscanf(f, "%63s nice %ld", name, nice) == 2;
  std::fclose(f);
  if (ok) *group = name;
  return ok;
}

// Whether the kernel's autogroup switch is on.
bool autogroup_switch_on() {
  std::FILE* f = std::fopen("/proc/sys/kernel/sched_autogroup_enabled", "r");
  if (f == nullptr) return false;
  int on = 0;
  const bool ok = std::fscanf(f, "%d", &on) == 1;
  std::fclose(f);
  return ok && on != 0;
}

// Who we are, for the comparisons of competing_tasks_in.
struct OwnPriority {
  int nice = 0;
  bool groups = false;  // autogroups in force and ours known
  std::string group;
  long group_nice = 0;
};

OwnPriority own_priority() {
  OwnPriority own;
  own.nice = getpriority(PRIO_PROCESS, 0);
  own.groups = autogroup_switch_on() && autogroup_of("self", &own.group, &own.group_nice);
  return own;
}

// The runnable tasks of process `pid` (a /proc name) that compete with us.
int competing_tasks_in(const char* pid, const OwnPriority& own) {
  char dir_path[64];
  std::snprintf(dir_path, sizeof(dir_path), "/proc/%s/task", pid);
  DIR* tasks = opendir(dir_path);
  if (tasks == nullptr) return 0;
  int count = 0;
  // Whether the process is in another autogroup, and that group's nice (read
  // once, when a runnable task of it is found).
  int other_group = -1;  // -1: not read yet; 0: ours (or unknown); 1: another
  long group_nice = 0;
  while (dirent* t = readdir(tasks)) {
    if (!is_number(t->d_name)) continue;
    char path[128];
    std::snprintf(path, sizeof(path), "/proc/%s/task/%s/stat", pid, t->d_name);
    char state = 0;
    long nice = 0;
    if (!task_state(path, &state, &nice) || state != 'R') continue;
    if (own.groups && other_group < 0) {
      std::string group;
      other_group = autogroup_of(pid, &group, &group_nice) && group != own.group ? 1 : 0;
    }
    // A task niced well below us gets a small share of a core (CFS weights:
    // 1.25x per nice level) and does not stall our threads: measured, 2
    // threads beside a nice-19 busy loop were faster than 1. But a task in
    // another autogroup competes with the weight of its group, whatever its
    // own nice: beside a nice-19 busy loop started in another session, 2
    // threads were 6.7x slower than 1.
    const bool competes = other_group == 1 ? group_nice <= own.group_nice + 5
                                           : nice <= own.nice + 5;
    if (competes) ++count;
  }
  closedir(tasks);
  return count;
}

}  // namespace

int other_runnable_tasks() {
  // Every task (thread) of every other process: /proc/PID/task/TID/stat.
  const long own_pid = static_cast<long>(getpid());
  const OwnPriority own = own_priority();
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  int count = 0;
  while (dirent* e = readdir(proc)) {
    if (!is_number(e->d_name) || std::strtol(e->d_name, nullptr, 10) == own_pid) continue;
    count += competing_tasks_in(e->d_name, own);
  }
  closedir(proc);
  return count;
}

bool autogroups_in_force() { return own_priority().groups; }

int competing_tasks_of(int pid) {
  char name[32];
  std::snprintf(name, sizeof(name), "%d", pid);
  return competing_tasks_in(name, own_priority());
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
