// The reference's DDIM-style decoding loop for the x-parametrised model
// (eta = 0): from x_N = gamma * N(0, I) (x_N = 0 when gamma is 0), for
// i = N-1 ... 0 with a_i = alphas_cumprod[idx[i]] and a_prev (1 for i = 0):
//   x0 = clamp(X(x, idx[i] / T), -1, 1)
//   eps = (x / sqrt(a_i) - x0) / sqrt(1 / a_i - 1)
//   x = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps
// The epsilon-parametrised model (the reference's epsilonparam/, its test
// script: ddim, eta = 0, clip_noise "none") predicts the noise instead, is fed
// t = i / N (the step's position, not the schedule index) and does not clamp:
//   eps = E(x, i / N)
//   x0 = sqrt(1 / a_i) x - sqrt(1 / a_i - 1) eps
//   x = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps
// Every coefficient is computed in float32 as the reference does.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "common/codec_settings.h"
#include "diffusion/parametrization.h"

namespace cdc {

// One call of the denoiser: (x, t of shape Bx1) -> x0 (or noise) prediction.
using DenoiseFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& t)>;

// Called after each diffusion step with (step index done 1..total, total, the
// current x0 prediction 1x3xHxW in [-1, 1]). Returning false cancels.
using StepCallback = std::function<bool(int done, int total, const torch::Tensor& x0)>;

// The diffusion process a network was trained with.
struct DiffusionProcess {
  int num_timesteps = 0;         // T
  torch::Tensor alphas_cumprod;  // float32, shape T
  ModelVariant variant = ModelVariant::kXParam;  // x0 or noise prediction
};

// The start x_N: gamma * N(0, I) from a CPU generator seeded with seed, or
// zeros when gamma is 0.
torch::Tensor start_noise(const std::vector<int64_t>& shape, double gamma, uint64_t seed);

// The start x_N of the rectangle [top, top + height) x [left, left + width) of
// an image (diffusion/start_noise.h): 1 x channels x height x width.
torch::Tensor start_noise_region(int64_t channels, int64_t top, int64_t left, int64_t height,
                                 int64_t width, double gamma, uint64_t seed);
// Runs the loop with settings.steps steps (1..T, else INVALID_ARGUMENT) from
// x_N = start if it is defined, else start_noise(shape, settings.gamma,
// settings.seed) (gamma >= 0). Throws cdc::Error(CDC_STATUS_CANCELLED) when
// the callback returns false. The result is x0 of the last step (in [-1, 1]
// for x-param, unclamped for epsilon-param).
torch::Tensor ddim_sample(const DenoiseFn& denoise, const std::vector<int64_t>& shape,
                          const DiffusionProcess& process, const CodecSettings& settings,
                          const StepCallback& callback, const torch::Tensor& start = {});

}  // namespace cdc
