// The thread policy: a call uses no more threads than the cores that other
// runnable processes leave free.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "common/threads.h"

TEST_CASE("threads: the effective count is within 1..cores") {
  const int cores = cdc::hardware_threads();
  CHECK(cores >= 1);
  for (int asked : {0, 1, 2, 1000}) {
    const int n = cdc::effective_threads(asked);
    CHECK(n >= 1);
    CHECK(n <= cores);
    if (asked > 0) CHECK(n <= asked);
  }
  CHECK(cdc::effective_threads(1) == 1);
}

TEST_CASE("threads: busy processes at our priority take their cores away") {
  const int cores = cdc::hardware_threads();
  std::vector<pid_t> children;
  for (int i = 0; i < cores; ++i) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      for (volatile unsigned long k = 0;; ++k) {
      }
    }
    children.push_back(pid);
  }
  // Let the children become runnable; sample a few times (a child can be
  // between time slices at any one instant).
  int most = 0, fewest_threads = cores;
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    most = std::max(most, cdc::other_runnable_tasks());
    fewest_threads = std::min(fewest_threads, cdc::effective_threads(0));
  }
  for (pid_t pid : children) kill(pid, SIGKILL);
  for (pid_t pid : children) waitpid(pid, nullptr, 0);
  CHECK(most >= 1);
  CHECK(fewest_threads == 1);  // every core has a busy process beside us
}

namespace {

// A child that spins at nice 19, in a session (and so an autogroup) of its
// own when new_session.
pid_t spin_niced(bool new_session) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (new_session) setsid();
    const int ignored = nice(19);
    (void)ignored;
    for (volatile unsigned long k = 0;; ++k) {
    }
  }
  return pid;
}

// The most tasks of pid that count as competing over a few samples.
int most_competing(pid_t pid) {
  int most = 0;
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    most = std::max(most, cdc::competing_tasks_of(static_cast<int>(pid)));
  }
  return most;
}

}  // namespace

TEST_CASE("threads: a niced process competes only from another autogroup") {
  // Beside a nice-19 busy loop in our own session, 2 threads beat 1; beside
  // the same loop started in another session (another autogroup, whose
  // share the kernel sets by the group's nice, not the task's), 2 threads
  // were 6.7x slower than 1.
  const pid_t same = spin_niced(false);
  REQUIRE(same > 0);
  const int same_count = most_competing(same);
  kill(same, SIGKILL);
  waitpid(same, nullptr, 0);
  CHECK(same_count == 0);

  const pid_t other = spin_niced(true);
  REQUIRE(other > 0);
  const int other_count = most_competing(other);
  kill(other, SIGKILL);
  waitpid(other, nullptr, 0);
  if (cdc::autogroups_in_force()) {
    CHECK(other_count == 1);
  } else {
    CHECK(other_count == 0);  // nice alone ranks it
  }
}
