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
