#include "onednn/runtime.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "common/memory.h"

namespace cdc::onednn {

bool enabled() {
  static const bool on = [] {
    const char* v = std::getenv("CDC_ONEDNN");
    return v == nullptr || std::string(v) != "0";
  }();
  return on;
}

bool engine_forced() {
  static const bool on = [] {
    const char* v = std::getenv("CDC_ENGINE");
    return v != nullptr && std::string(v) == "1";
  }();
  return on;
}

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

struct BufferPool::State {
  mutable std::mutex mutex;
  std::multimap<size_t, float*> free;  // by size in floats
  size_t held = 0;                     // bytes, in use or free

  ~State() {
    for (auto& [size, p] : free) std::free(p);
  }
};

BufferPool::BufferPool() : state_(std::make_shared<State>()) {}

std::shared_ptr<float> BufferPool::get(size_t count) {
  if (count == 0) count = 1;
  float* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    // Best fit: the smallest free buffer that is large enough.
    auto it = state_->free.lower_bound(count);
    if (it != state_->free.end()) {
      p = it->second;
      count = it->first;
      state_->free.erase(it);
    }
  }
  if (p == nullptr) {
    p = static_cast<float*>(allocate_large(count * sizeof(float)));
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->held += count * sizeof(float);
  }
  // The deleter keeps the pool's state alive: a buffer may outlive the pool.
  std::shared_ptr<State> state = state_;
  return std::shared_ptr<float>(p, [state, count](float* q) {
    std::lock_guard<std::mutex> lock(state->mutex);
    state->free.emplace(count, q);
  });
}

size_t BufferPool::bytes_held() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->held;
}

Activation Activation::make(BufferPool& pool, int64_t n, int64_t h, int64_t w, int64_t c) {
  Activation a;
  a.n = n;
  a.h = h;
  a.w = w;
  a.c = c;
  a.buffer = pool.get(a.numel());
  return a;
}

#if defined(CDC_TSAN_FORK_JOIN)
// Under ThreadSanitizer (tests/scripts/tsan.sh): libgomp is not instrumented,
// so the fork and join of a parallel region are invisible to it. This file is
// then compiled without instrumentation and tells it about both, so that the
// chunk bodies (instrumented, in their own files) are checked against each
// other and against the caller, without reports about the region itself.
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#define CDC_HAPPENS_BEFORE(addr) __tsan_release(addr)
#define CDC_HAPPENS_AFTER(addr) __tsan_acquire(addr)
#else
#define CDC_HAPPENS_BEFORE(addr) static_cast<void>(addr)
#define CDC_HAPPENS_AFTER(addr) static_cast<void>(addr)
#endif

namespace {

// The first exception thrown by any of several threads, kept to be rethrown
// on the caller's thread once they are done.
class FirstError {
 public:
  // Call from a catch block.
  void capture() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
};

}  // namespace

void parallel_chunks(int64_t count, int64_t chunk,
                     const std::function<void(int64_t, int64_t, int64_t)>& body) {
  if (count <= 0) return;
  const int64_t chunks = (count + chunk - 1) / chunk;
  // The caller's OpenMP thread count (set per call by set_compute_threads);
  // one thread inside another parallel region.
  const int64_t threads =
      omp_in_parallel() ? 1 : std::min<int64_t>(omp_get_max_threads(), chunks);
  if (threads <= 1) {
    for (int64_t i = 0; i < chunks; ++i) body(i, i * chunk, std::min(count, (i + 1) * chunk));
    return;
  }
  char fork = 0, join = 0;
  FirstError error;
  CDC_HAPPENS_BEFORE(&fork);
#pragma omp parallel num_threads(static_cast<int>(threads))
  {
    CDC_HAPPENS_AFTER(&fork);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < chunks; ++i) {
      try {
        body(i, i * chunk, std::min(count, (i + 1) * chunk));
      } catch (...) {
        error.capture();
      }
    }
    CDC_HAPPENS_BEFORE(&join);
  }
  CDC_HAPPENS_AFTER(&join);
  error.rethrow();
}

void run_plan_jobs(const PlanJobs& jobs) {
  const int threads = omp_get_max_threads();
  const Precision precision = current_precision();
  std::atomic<size_t> next{0};
  FirstError error;
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < jobs.size(); i = next.fetch_add(1)) {
      try {
        jobs[i]();
      } catch (...) {
        error.capture();
      }
    }
  };
  const size_t helpers =
      std::min(jobs.size(), static_cast<size_t>(std::max(threads, 1))) - (jobs.empty() ? 0 : 1);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < helpers; ++t)
    pool.emplace_back([&] {
      omp_set_num_threads(threads);
      const PrecisionScope scope(precision);
      work();
    });
  work();
  for (std::thread& thread : pool) thread.join();
  error.rethrow();
}

namespace {
bool profiling() {
  static const bool on = std::getenv("CDC_ONEDNN_PROFILE") != nullptr;
  return on;
}
double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

ProfileScope::ProfileScope(const char* what, const Activation& shape) {
  if (!profiling()) return;
  what_ = what;
  h_ = shape.h;
  w_ = shape.w;
  c_ = shape.c;
  start_ = now_ms();
}

ProfileScope::~ProfileScope() {
  if (what_ == nullptr) return;
  std::fprintf(stderr, "%s %ldx%ld c%ld %.2f ms\n", what_, static_cast<long>(h_),
               static_cast<long>(w_), static_cast<long>(c_), now_ms() - start_);
}

dnnl::memory::desc nhwc_desc(int64_t n, int64_t c, int64_t h, int64_t w,
                             dnnl::memory::data_type type) {
  return dnnl::memory::desc({n, c, h, w}, type, dnnl::memory::format_tag::nhwc);
}

namespace {
thread_local Precision precision_now = Precision::kFloat32;

CDC_VECTOR_CLONES void round_span_to_bf16(const float* src, uint16_t* dst, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &src[i], sizeof bits);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    dst[i] = static_cast<uint16_t>(bits >> 16);
  }
}
}  // namespace

Precision current_precision() { return precision_now; }

PrecisionScope::PrecisionScope(Precision precision) : was_(precision_now) {
  precision_now = precision;
}

PrecisionScope::~PrecisionScope() { precision_now = was_; }

void round_to_bf16(const float* src, uint16_t* dst, size_t count) {
  constexpr int64_t kChunk = 1 << 16;
  parallel_chunks(static_cast<int64_t>(count), kChunk, [&](int64_t, int64_t begin, int64_t end) {
    round_span_to_bf16(src + begin, dst + begin, static_cast<size_t>(end - begin));
  });
}

}  // namespace cdc::onednn
