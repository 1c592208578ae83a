// A convolution of NHWC activations with oneDNN. The weights (OIHW, dense)
// are reordered once per primitive layout; the
// primitive for an input shape and the caller's OpenMP thread count is
// created on first use and cached (a oneDNN primitive keeps the thread count
// it was created for: run under more threads it would use only those, and
// its scratchpad is sized for them). Bias, a
// ReLU and a residual sum are fused into the primitive as post-ops.
// Thread-safe: one instance serves concurrent calls (scratchpads are the
// caller's, primitives are read-only).
#pragma once

#include <array>
#include <mutex>
#include <vector>

#include "common/float_tensor.h"
#include "onednn/runtime.h"

namespace cdc::onednn {

class Convolution {
 public:
  // weight: O x I x K x K; bias: O or undefined. stride/padding as torch's.
  Convolution(const FloatTensor& weight, const FloatTensor& bias, int64_t stride, int64_t padding);
  // A convolution with padding that differs per side (top, left, bottom,
  // right).
  Convolution(const FloatTensor& weight, const FloatTensor& bias, int64_t stride,
              const std::array<int64_t, 4>& padding);

  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }
  // Output height / width for an input height / width.
  int64_t output_height(int64_t input) const;
  int64_t output_width(int64_t input) const;

  // dst = conv(src) + bias, then dst += what dst held before when accumulate
  // (a residual sum), then ReLU when relu (a leaky one for a nonzero
  // negative_slope). dst must have the output shape. Under a bfloat16
  // PrecisionScope the source and weights are rounded to bfloat16 (where
  // oneDNN has an optimized bfloat16 kernel for the shape; float32 otherwise).
  void run(const Activation& src, const Activation& dst, BufferPool& pool, bool accumulate = false,
           bool relu = false, float negative_slope = 0.0f) const;
  // Allocates dst from the pool.
  Activation operator()(const Activation& src, BufferPool& pool) const;
  // Creates now the primitive that run() would create on first use for a
  // source of n x h x w and these flags, under the calling thread's thread
  // count and precision (nothing when it exists). Thread-safe.
  void prepare(int64_t n, int64_t h, int64_t w, bool accumulate = false, bool relu = false,
               float negative_slope = 0.0f) const;

  // The primitives created so far (one per input shape, fusion, precision
  // and thread count met); for tests and diagnostics.
  size_t plan_count() const;
  // Primitives created in this process by all convolutions: in all, and by
  // prepare() (for tests: a network's plan_jobs() meet every shape its run
  // does when a run creates none itself).
  static size_t plans_created();
  static size_t plans_created_ahead();

 private:
  struct Plan {
    int64_t n, h, w;
    bool accumulate, relu;
    float negative_slope;
    bool bf16_asked;  // the precision asked for
    bool bf16;        // the precision the primitive runs in
    int threads;      // omp_get_max_threads() when it was created
    dnnl::primitive primitive;
    dnnl::memory weights;  // in the primitive's layout
    dnnl::memory::desc scratchpad;
  };
  const Plan& plan(int64_t n, int64_t h, int64_t w, bool accumulate, bool relu,
                   float negative_slope, bool bf16, bool ahead = false) const;

  FloatTensor weight_, bias_;
  int64_t in_ = 0, out_ = 0, kernel_ = 0, stride_ = 1;
  std::array<int64_t, 4> padding_{};  // top, left, bottom, right
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Plan>> plans_;
};

}  // namespace cdc::onednn
