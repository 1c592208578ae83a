#include "diffusion/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "diffusion/noise_schedule.h"
#include "diffusion/start_noise.h"

namespace cdc {

torch::Tensor start_noise(const std::vector<int64_t>& shape, double gamma, uint64_t seed) {
  if (gamma == 0.0) return torch::zeros(shape, torch::kFloat32);
  at::Generator gen = at::detail::createCPUGenerator(seed);
  torch::Tensor n = torch::randn(shape, gen, torch::TensorOptions().dtype(torch::kFloat32));
  return n * static_cast<float>(gamma);
}

torch::Tensor start_noise_region(int64_t channels, int64_t top, int64_t left, int64_t height,
                                 int64_t width, double gamma, uint64_t seed) {
  std::vector<float> v = start_noise_planar(channels, top, left, height, width, gamma, seed);
  return torch::from_blob(v.data(), {1, channels, height, width}, torch::kFloat32).clone();
}

torch::Tensor ddim_sample(const DenoiseFn& denoise, const std::vector<int64_t>& shape,
                          const DiffusionProcess& process, const CodecSettings& s,
                          const StepCallback& callback, const torch::Tensor& start) {
  const int T = process.num_timesteps;
  if (s.steps < 1 || s.steps > T)
    fail(CDC_STATUS_INVALID_ARGUMENT, "decoding steps must be in 1..{}, got {}", T, s.steps);
  if (!(s.gamma >= 0.0))
    fail(CDC_STATUS_INVALID_ARGUMENT, "gamma must be >= 0, got {}", s.gamma);
  CDC_CHECK(process.alphas_cumprod.defined() && process.alphas_cumprod.numel() == T);
  const bool predicts_noise = process.variant == ModelVariant::kEpsilonParam;
  torch::Tensor ac_t = process.alphas_cumprod.to(torch::kFloat32).contiguous();
  const std::vector<DdimStep> schedule = ddim_steps(ac_t.data_ptr<float>(), T, s.steps, process.variant);

  torch::Tensor x = start.defined() ? start.to(torch::kFloat32).reshape(shape)
                                    : start_noise(shape, s.gamma, s.seed);
  torch::Tensor x0;
  const int64_t batch = shape.at(0);
  const int n = s.steps;
  for (int done = 1; done <= n; ++done) {
    const DdimStep& st = schedule[static_cast<size_t>(done - 1)];
    const float sqrt_a_prev = st.sqrt_alpha_prev, sqrt_recip = st.sqrt_recip,
                sqrt_recipm1 = st.sqrt_recipm1, noise_coef = st.noise_coef;
    torch::Tensor t = torch::full({batch, 1}, st.t, torch::kFloat32);
    torch::Tensor eps;
    if (predicts_noise) {
      eps = denoise(x, t);
      x0 = x * sqrt_recip - eps * sqrt_recipm1;
    } else {
      x0 = denoise(x, t).clamp(-1.0, 1.0);
      eps = (x * sqrt_recip - x0) / sqrt_recipm1;
    }
    x = x0 * sqrt_a_prev + eps * noise_coef;
    if (callback && !callback(done, n, predicts_noise ? x0.clamp(-1.0, 1.0) : x0))
      fail(CDC_STATUS_CANCELLED, "decoding cancelled by the progress callback");
  }
  return x;
}

}  // namespace cdc
