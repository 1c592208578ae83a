// The DDIM-style decode's schedule, without libtorch: which timesteps an
// N-step decode visits and the float32 coefficients of each step, shared by
// the libtorch sampler (sampler.h) and the inference core's.
#pragma once

#include <cstdint>
#include <vector>

#include "diffusion/parametrization.h"

namespace cdc {

// The timestep indices of an N-step decode, as the reference picks them:
// long(linspace(0, T - 1, N)) in float32. For N = 1 the x-param code uses
// [T - 1]; the epsilon-param code has no such case and gets [0].
std::vector<int64_t> sample_indices(int num_timesteps, int steps,
                                    ModelVariant variant = ModelVariant::kXParam);

// One step, from x_t to x_{t-1}: the U-Net's time input and the update's
// coefficients (alpha = alphas_cumprod at the step, alpha_prev at the next
// one, 1 after the last):
//   x-param:   x0 = clamp(X(x, t), -1, 1), eps = (x * sqrt_recip - x0) / sqrt_recipm1
//   eps-param: eps = X(x, t), x0 = x * sqrt_recip - eps * sqrt_recipm1
//   then x = x0 * sqrt_alpha_prev + eps * noise_coef.
struct DdimStep {
  float t = 0;
  float sqrt_recip = 0, sqrt_recipm1 = 0, sqrt_alpha_prev = 0, noise_coef = 0;
};

// The steps of an N-step decode in the order they run. Throws
// INVALID_ARGUMENT unless 1 <= steps <= num_timesteps.
std::vector<DdimStep> ddim_steps(const float* alphas_cumprod, int num_timesteps, int steps,
                                 ModelVariant variant);

}  // namespace cdc
