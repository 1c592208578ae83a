// What kind of diffusion model a network is: its parametrization (what the
// denoiser predicts, and so how the sampler steps), its noise schedule and the
// prediction mode stored in the reference's configs.
#pragma once

namespace cdc {

// x-param (the denoiser predicts x0) or epsilon-param (it predicts the noise);
// the two also differ in their checkpoint layouts.
enum class ModelVariant { kXParam, kEpsilonParam };
enum class NoiseSchedule { kCosine, kLinear };
enum class PredictionMode { kX, kNoise, kV };

}  // namespace cdc
