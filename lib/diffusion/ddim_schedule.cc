#include "diffusion/ddim_schedule.h"

#include <algorithm>
#include <cmath>

#include "common/cpu_features.h"
#include "common/error.h"

namespace cdc {

std::vector<int64_t> sample_indices(int T, int steps, ModelVariant variant) {
  CDC_CHECK(T >= 1 && steps >= 1 && steps <= T);
  if (steps == 1) return {variant == ModelVariant::kXParam ? T - 1 : 0};
  // linspace(0, T - 1, steps) in float32 exactly as libtorch's CPU kernel
  // computes it (the reference's indices; measured against it for T up to
  // 20000 and every step count to 1500): the first half counted up from the
  // start, the second down from the end, one value at a time (a fused
  // multiply-add where libtorch runs its AVX2 kernels) except in pairs of
  // 8-float vectors, whose lanes step from the vector's first value by a
  // separate multiply and add. This file is compiled without contraction.
  const bool fused = cpu_has_avx2_fma();
  const float start = 0.0f, end = static_cast<float>(T - 1);
  const float step = (end - start) / static_cast<float>(steps - 1);
  const int64_t halfway = steps / 2;
  auto one = [&](int64_t i) {
    if (i < halfway) {
      const float k = static_cast<float>(i);
      return fused ? std::fma(step, k, start) : start + step * k;
    }
    const float k = static_cast<float>(steps - i - 1);
    return fused ? std::fma(-step, k, end) : end - step * k;
  };
  constexpr int64_t kLanes = 8;
  std::vector<int64_t> idx(static_cast<size_t>(steps));
  int64_t i = 0;
  for (; i + 2 * kLanes <= steps;) {
    for (int vector = 0; vector < 2; ++vector, i += kLanes) {
      const float base = one(i);
      for (int64_t k = 0; k < kLanes; ++k) {
        const float offset = static_cast<float>(k) * step;
        idx[static_cast<size_t>(i + k)] = static_cast<int64_t>(base + offset);
      }
    }
  }
  for (; i < steps; ++i) idx[static_cast<size_t>(i)] = static_cast<int64_t>(one(i));
  return idx;
}

std::vector<DdimStep> ddim_steps(const float* ac, int T, int n, ModelVariant variant) {
  if (n < 1 || n > T)
    fail(CDC_STATUS_INVALID_ARGUMENT, "decoding steps must be in 1..{}, got {}", T, n);
  const bool predicts_noise = variant == ModelVariant::kEpsilonParam;
  const std::vector<int64_t> idx = sample_indices(T, n, variant);
  std::vector<DdimStep> out;
  for (int i = n - 1; i >= 0; --i) {
    const float a = ac[idx[static_cast<size_t>(i)]];
    const float a_prev = i > 0 ? ac[idx[static_cast<size_t>(i - 1)]] : 1.0f;
    DdimStep s;
    s.sqrt_alpha_prev = std::sqrt(a_prev);
    s.sqrt_recip = std::sqrt(1.0f / a);
    s.sqrt_recipm1 = std::sqrt(1.0f / a - 1.0f);
    s.noise_coef = std::sqrt(std::max(1.0f - a_prev, 0.0f));
    s.t = predicts_noise ? static_cast<float>(i) / static_cast<float>(n)
                         : static_cast<float>(idx[static_cast<size_t>(i)]) / static_cast<float>(T);
    out.push_back(s);
  }
  return out;
}

}  // namespace cdc
