#include "diffusion/noise_schedule.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace cdc {

namespace {
// numpy.linspace(start, stop, num): i * step + start, last point = stop.
std::vector<double> np_linspace(double start, double stop, int num) {
  std::vector<double> v(static_cast<size_t>(num));
  if (num == 1) {
    v[0] = start;
    return v;
  }
  const double step = (stop - start) / (num - 1);
  for (int i = 0; i < num; ++i) v[static_cast<size_t>(i)] = i * step + start;
  v.back() = stop;
  return v;
}
}  // namespace

std::vector<double> make_betas(NoiseSchedule schedule, int T) {
  CDC_CHECK(T >= 1);
  if (schedule == NoiseSchedule::kLinear) {
    const double scale = 1000.0 / T;
    return np_linspace(scale * 0.0001, scale * 0.02, T);
  }
  const double s = 0.008;
  const int steps = T + 1;
  const std::vector<double> x = np_linspace(0.0, steps, steps);
  std::vector<double> ac(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double c = std::cos(((x[i] / steps) + s) / (1 + s) * M_PI * 0.5);
    ac[i] = c * c;
  }
  const double a0 = ac[0];
  for (double& a : ac) a = a / a0;
  std::vector<double> betas(static_cast<size_t>(T));
  for (size_t i = 0; i < betas.size(); ++i)
    betas[i] = std::clamp(1 - (ac[i + 1] / ac[i]), 0.0, 0.999);
  return betas;
}

std::vector<double> make_alphas_cumprod(NoiseSchedule schedule, int T) {
  std::vector<double> betas = make_betas(schedule, T);
  std::vector<double> out(betas.size());
  double p = 1.0;
  for (size_t i = 0; i < betas.size(); ++i) {
    p *= 1.0 - betas[i];
    out[i] = p;
  }
  return out;
}

torch::Tensor alphas_cumprod_tensor(NoiseSchedule schedule, int T) {
  return torch::tensor(make_alphas_cumprod(schedule, T), torch::kFloat64).to(torch::kFloat32);
}


}  // namespace cdc
