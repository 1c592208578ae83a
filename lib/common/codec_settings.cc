#include "common/codec_settings.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "common/cpu_features.h"
#include "common/error.h"

namespace cdc {

bool bf16_allowed() {
  if (cpu_has_native_bf16()) return true;
  const char* allow = std::getenv("CDC_ALLOW_EMULATED_BF16");
  return allow != nullptr && std::strcmp(allow, "1") == 0;
}

double residual_step_for_quality(int quality) {
  if (quality <= kLastBaseQuality) return 0;
  const double step = 128.0 * std::exp2(-(quality - kLastBaseQuality) / 18.0);
  return std::round(step * 16.0) / 16.0;  // as the stream stores it
}

bool option_spec(cdc_option option, OptionSpec* spec) {
  const CodecSettings def;
  switch (option) {
    case CDC_OPTION_THREADS: *spec = {0, 1024, double(def.threads), true}; return true;
    case CDC_OPTION_STEPS: *spec = {0, 65536, double(def.steps), true}; return true;
    case CDC_OPTION_GAMMA: *spec = {-1, 10, def.gamma, false}; return true;
    case CDC_OPTION_SEED: *spec = {0, 9007199254740992.0, double(def.seed), true}; return true;
    case CDC_OPTION_MAX_PIXELS:
      *spec = {1, 2147483648.0, double(def.max_pixels), true};
      return true;
    case CDC_OPTION_TILE: *spec = {-1, 65536, double(def.tile), true}; return true;
    case CDC_OPTION_TILE_OVERLAP: *spec = {-1, 4096, double(def.tile_overlap), true}; return true;
    case CDC_OPTION_EFFORT: *spec = {0, kMaxEffort, double(def.effort), true}; return true;
    case CDC_OPTION_PRECISION: *spec = {0, 1, double(def.precision), true}; return true;
    case CDC_OPTION_DEVICE: *spec = {kDeviceCpu, kDeviceCuda, double(def.device), true}; return true;
    case CDC_OPTION_RESIDUAL: *spec = {0, kMaxResidualStep, def.residual, false}; return true;
    case CDC_OPTION_TARGET_BPP: *spec = {0, 64, def.target_bpp, false}; return true;
  }
  return false;
}

OptionSpec checked_spec(cdc_option option) {
  OptionSpec spec;
  if (!option_spec(option, &spec))
    fail(CDC_STATUS_INVALID_ARGUMENT, "unknown option {}", static_cast<int>(option));
  return spec;
}

void set_option(CodecSettings& settings, cdc_option option, double value) {
  const OptionSpec spec = checked_spec(option);
  if (!std::isfinite(value) || value < spec.min || value > spec.max)
    fail(CDC_STATUS_INVALID_ARGUMENT, "option {}: value {} is outside [{}, {}]",
         static_cast<int>(option), value, spec.min, spec.max);
  if (spec.integral && value != std::floor(value))
    fail(CDC_STATUS_INVALID_ARGUMENT, "option {}: value {} is not an integer",
         static_cast<int>(option), value);
  switch (option) {
    case CDC_OPTION_THREADS: settings.threads = static_cast<int>(value); break;
    case CDC_OPTION_STEPS: settings.steps = static_cast<int>(value); break;
    case CDC_OPTION_GAMMA: settings.gamma = value; break;
    case CDC_OPTION_SEED: settings.seed = static_cast<uint64_t>(value); break;
    case CDC_OPTION_MAX_PIXELS: settings.max_pixels = static_cast<int64_t>(value); break;
    case CDC_OPTION_TILE:
      if (value > 0 && value < 64)
        fail(CDC_STATUS_INVALID_ARGUMENT,
             "option {}: a tile side must be at least 64 pixels (0: whole image, -1: automatic), "
             "got {}", static_cast<int>(option), value);
      settings.tile = static_cast<int>(value);
      break;
    case CDC_OPTION_TILE_OVERLAP: settings.tile_overlap = static_cast<int>(value); break;
    case CDC_OPTION_EFFORT: settings.effort = static_cast<int>(value); break;
    case CDC_OPTION_PRECISION:
      if (value == 1 && !bf16_allowed())
        fail(CDC_STATUS_UNSUPPORTED,
             "option {}: this CPU has no native bfloat16 (AVX512-BF16 or AMX): bfloat16 would "
             "be emulated and slower than float32, so it is refused",
             static_cast<int>(option));
      settings.precision = static_cast<int>(value);
      break;
    case CDC_OPTION_DEVICE: settings.device = static_cast<int>(value); break;
    case CDC_OPTION_RESIDUAL:
      if (value > 0 && value < kMinResidualStep)
        fail(CDC_STATUS_INVALID_ARGUMENT,
             "option {}: a residual step must be at least {} (0: no residual layer), got {}",
             static_cast<int>(option), kMinResidualStep, value);
      settings.residual = value;
      break;
    case CDC_OPTION_TARGET_BPP: settings.target_bpp = value; break;
  }
}

double get_option(const CodecSettings& settings, cdc_option option) {
  checked_spec(option);
  switch (option) {
    case CDC_OPTION_THREADS: return settings.threads;
    case CDC_OPTION_STEPS: return settings.steps;
    case CDC_OPTION_GAMMA: return settings.gamma;
    case CDC_OPTION_SEED: return static_cast<double>(settings.seed);
    case CDC_OPTION_MAX_PIXELS: return static_cast<double>(settings.max_pixels);
    case CDC_OPTION_TILE: return settings.tile;
    case CDC_OPTION_TILE_OVERLAP: return settings.tile_overlap;
    case CDC_OPTION_EFFORT: return settings.effort;
    case CDC_OPTION_PRECISION: return settings.precision;
    case CDC_OPTION_DEVICE: return settings.device;
    case CDC_OPTION_RESIDUAL: return settings.residual;
    case CDC_OPTION_TARGET_BPP: return settings.target_bpp;
  }
  return 0;
}

}  // namespace cdc
