// Diffusion noise schedules of the reference, computed in float64:
//   cosine (s = 0.008): with n = T + 1 points x = linspace(0, n, n),
//     abar(x) = cos(((x / n) + s) / (1 + s) * pi / 2)^2 / abar(0),
//     beta = clip(1 - abar[1:] / abar[:-1], 0, 0.999);
//   linear: beta = linspace(0.1 / T, 20 / T, T).
// alphas_cumprod = cumprod(1 - beta).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "diffusion/ddim_schedule.h"
#include "diffusion/parametrization.h"

namespace cdc {

std::vector<double> make_betas(NoiseSchedule schedule, int num_timesteps);
std::vector<double> make_alphas_cumprod(NoiseSchedule schedule, int num_timesteps);
// As stored by the reference: float32, shape T.
torch::Tensor alphas_cumprod_tensor(NoiseSchedule schedule, int num_timesteps);


}  // namespace cdc
