// The settings of encoding and decoding, declared once: the C API's context
// holds a CodecSettings, cdc_option values map onto its fields through the
// option table below, and the codec, the model and the sampler read it as it
// is passed down. A new setting is a field here, a row of the option table and
// a cdc_option value in include/cdc.h.
#pragma once

#include <cstdint>

#include "cdc.h"

namespace cdc {

// The default limit on an image's pixel count (encode and decode).
inline constexpr int64_t kDefaultMaxPixels = int64_t{1} << 26;
// The highest encoder effort level (CDC_OPTION_EFFORT).
inline constexpr int kMaxEffort = 4;
// CDC_OPTION_DEVICE values.
inline constexpr int kDeviceCpu = 0;
inline constexpr int kDeviceCuda = 1;
// The highest cdc_option value (options are numbered from CDC_OPTION_THREADS
// without gaps): loops over every option end here.
inline constexpr cdc_option kLastOption = CDC_OPTION_TARGET_BPP;
// CDC_OPTION_RESIDUAL's bounds: the quantizer step of the residual layer in
// 8-bit levels (stored in the stream in 1/16 of a level).
inline constexpr double kMinResidualStep = 0.25;
inline constexpr double kMaxResidualStep = 255;

struct CodecSettings {
  int threads = 0;        // computation threads; 0: all cores
  int steps = 0;          // diffusion decoding steps; 0: the model's default
  double gamma = -1.0;    // start noise scale; < 0: the model's default, 0: deterministic
  uint64_t seed = 0;      // seed of the start noise (gamma > 0)
  int64_t max_pixels = kDefaultMaxPixels;  // largest image accepted, in pixels
  int tile = -1;          // tile side in pixels; -1: automatic, 0: whole image
  int tile_overlap = -1;  // context each tile sees beyond its core, pixels; -1: automatic
  int effort = 0;         // encoder effort: 0 = the encoder network alone, 1..kMaxEffort refine
  int precision = 0;      // decoding arithmetic: 0 = float32, 1 = bfloat16 (CDC_OPTION_PRECISION)
  int device = kDeviceCpu;  // where the networks run (CDC_OPTION_DEVICE)
  double residual = 0;    // residual layer quantizer step in levels; 0: none (CDC_OPTION_RESIDUAL)
  double target_bpp = 0;  // encode to this rate with the residual layer; 0: off (CDC_OPTION_TARGET_BPP)
};

// Allows CDC_OPTION_PRECISION = 1 on CPUs without native bfloat16 when the
// environment variable CDC_ALLOW_EMULATED_BF16 is 1 (for measuring bfloat16's
// effect on quality on any machine; it is slow there).
bool bf16_allowed();

// The residual step of a quality 1..100 (cdc_quality_settings): 0 up to
// kLastBaseQuality, then 128 levels halving every 18 qualities.
inline constexpr int kLastBaseQuality = 10;
double residual_step_for_quality(int quality);

// The bounds and default of a cdc_option (the default is CodecSettings{}'s).
struct OptionSpec {
  double min = 0, max = 0, def = 0;
  bool integral = true;
};

// False for a value that is not a known cdc_option.
bool option_spec(cdc_option option, OptionSpec* spec);

// The spec of an option; throws cdc::Error(CDC_STATUS_INVALID_ARGUMENT) for
// a value that is not a known cdc_option.
OptionSpec checked_spec(cdc_option option);
// Sets the field of an option after checking the value against its spec;
// throws cdc::Error(CDC_STATUS_INVALID_ARGUMENT) naming the problem (the
// settings are then unchanged).
void set_option(CodecSettings& settings, cdc_option option, double value);
// The field of an option as a double; throws INVALID_ARGUMENT for an unknown
// option.
double get_option(const CodecSettings& settings, cdc_option option);

}  // namespace cdc
