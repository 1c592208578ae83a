// The oneDNN side of libcdc's inference path: one CPU engine for the process,
// activations in NHWC (channels last, dense) held in a pool of reusable
// buffers, and parallel loops whose split never depends on the thread count.
//
// Why NHWC: the non-convolution work (norms over channels, linear attention,
// concatenation) is row-wise in NHWC, and oneDNN's convolutions (brgconv on
// AVX-512, jit on AVX2) take NHWC sources and destinations directly, so no
// reorder runs between layers. Weights are reordered once, into the layout the
// primitive asks for (format_tag::any), when a shape is first seen.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

// Compiles a function for AVX-512, AVX2 and the baseline, picked at load
// time by the CPU (GCC function multiversioning). Not under ThreadSanitizer:
// the versions are picked by resolvers that run while libcdc.so is being
// relocated, before the sanitizer's runtime is initialized.
#if defined(__SANITIZE_THREAD__)
#define CDC_VECTOR_CLONES
#else
#define CDC_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

namespace cdc::onednn {

// False when the environment sets CDC_ONEDNN=0: the decoder's networks then
// run on libtorch, as before this path existed (for comparisons).
bool enabled();
// True when the environment sets CDC_ENGINE=1: libcdc.so then forwards every
// encode and decode to its libtorch engine instead of running the inference
// core (for comparisons).
bool engine_forced();

// The CPU engine (created on first use, shared by all threads).
const dnnl::engine& cpu_engine();

// A pool of 64-byte aligned float buffers, reused best-fit (the smallest free
// buffer large enough): the activations of one denoising step are the sizes
// of the last one's, so after the first step nothing is allocated (no page
// faults, no munmap), and what the pool holds stays near the step's peak of
// live activations. Thread-safe; buffers return to the pool when their last
// holder lets go, and to the system when the pool and they are gone.
class BufferPool {
 public:
  BufferPool();
  std::shared_ptr<float> get(size_t count);
  // Bytes held now, in use or free.
  size_t bytes_held() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// An NHWC float32 activation: n images of h x w pixels with c channels, rows
// of c floats, dense.
struct Activation {
  std::shared_ptr<float> buffer;
  int64_t n = 0, h = 0, w = 0, c = 0;

  float* data() const { return buffer.get(); }
  int64_t rows() const { return n * h * w; }
  size_t numel() const { return static_cast<size_t>(rows() * c); }
  static Activation make(BufferPool& pool, int64_t n, int64_t h, int64_t w, int64_t c);
};

// Runs body(begin, end) over [0, count) in chunks of `chunk` (the last one
// shorter), in parallel on the caller's thread count. Chunk boundaries do not
// depend on the thread count, so per-chunk partial results combined in chunk
// order are the same with any number of threads.
void parallel_chunks(int64_t count, int64_t chunk,
                     const std::function<void(int64_t chunk_index, int64_t begin, int64_t end)>& body);

// Jobs that create convolution plans ahead of a network's first run at a new
// input size (Convolution::prepare), collected by the networks' plan_jobs().
using PlanJobs = std::vector<std::function<void()>>;
// Runs the jobs in parallel on the caller's OpenMP thread count, each worker
// with the caller's thread count and precision, so that the plans made are
// the ones the caller's runs look up. Creating a primitive (JIT code
// generation) runs on one thread: a network's first run at a new size
// otherwise creates its primitives one by one while the other cores wait.
// Rethrows the first error.
void run_plan_jobs(const PlanJobs& jobs);

// With CDC_ONEDNN_PROFILE set in the environment, prints one line per
// operation to stderr when it ends (what, its shape, milliseconds): the
// per-layer profile of cdc_bench_model. Costs nothing otherwise.
class ProfileScope {
 public:
  ProfileScope(const char* what, const Activation& shape);
  ~ProfileScope();
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  const char* what_ = nullptr;
  int64_t h_ = 0, w_ = 0, c_ = 0;
  double start_ = 0;
};

// A oneDNN memory descriptor of an activation ({n, c, h, w} in NHWC order).
dnnl::memory::desc nhwc_desc(int64_t n, int64_t c, int64_t h, int64_t w,
                             dnnl::memory::data_type type = dnnl::memory::data_type::f32);

// The arithmetic of the convolutions run on the calling thread: float32, or
// bfloat16 (CDC_OPTION_PRECISION = 1), where a convolution rounds its source
// and weights to bfloat16 and accumulates, adds the bias and the post-ops in
// float32; activations between layers stay float32. Like an autocast scope:
// set for the duration of a decode, on the thread that runs it.
enum class Precision : int { kFloat32 = 0, kBfloat16 = 1 };

Precision current_precision();

class PrecisionScope {
 public:
  explicit PrecisionScope(Precision precision);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  Precision was_;
};

// dst[i] = src[i] rounded to bfloat16 (to nearest, ties to even; the upper
// 16 bits of the float32), in parallel chunks.
void round_to_bf16(const float* src, uint16_t* dst, size_t count);

}  // namespace cdc::onednn
