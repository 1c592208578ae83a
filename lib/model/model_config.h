// The configuration of a CDC model: architecture of the conditional U-Net and
// of the compressor, diffusion schedule and decoding defaults. It is stored in
// every model file as JSON (see docs/model-format.md) and fully determines the
// set of tensors (names and shapes) a model holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/codec_settings.h"
#include "diffusion/parametrization.h"
#include "diffusion/unet_params.h"

namespace cdc {

struct ModelConfig {
  ModelVariant variant = ModelVariant::kXParam;

  // Conditional U-Net (denoise_fn).
  int dim = 64;
  std::vector<int> dim_mults{1, 2, 3, 4, 5, 6};
  std::vector<int> context_dim_mults{1, 2, 3, 4};
  int channels = 3;
  int context_channels = 64;
  std::string embd_type = "01";

  // Compressor (context_fn).
  int compressor_dim = 64;
  std::vector<int> compressor_dim_mults{1, 2, 3, 4};
  std::vector<int> reverse_dim_mults{4, 3, 2, 1};
  std::vector<int> hyper_dims_mults{4, 4, 4};
  int out_channels = 64;

  // Diffusion.
  int num_timesteps = 8193;
  NoiseSchedule schedule = NoiseSchedule::kCosine;
  PredictionMode pred_mode = PredictionMode::kX;

  // Decoding defaults (used when the caller passes 0 steps / negative gamma).
  int default_steps = 65;
  double default_gamma = 0.8;

  // The rate weight the model was trained with (loss = rate_lambda * bpp +
  // MSE of images in [-1, 1]); 0 = unknown. Encoder effort levels above 0
  // optimize the latents of an image for this same trade-off. Optional in
  // the JSON ("rate_lambda"), written only when known.
  double rate_lambda = 0.0;

  // Throws cdc::Error(CDC_STATUS_INVALID_MODEL) naming the first problem
  // (including a network of more than kMaxParameterCount elements).
  void validate() const;
  static constexpr int64_t kMaxParameterCount = int64_t{1} << 31;

  // The number of float32 elements (parameters and buffers) of the network
  // this config describes, computed without building it (the module structure
  // of model/network.cc mirrored). A model file must hold exactly this many.
  int64_t parameter_count() const;

  // Images are padded to a multiple of this (64 for the paper layout).
  int size_multiple() const;
  // The U-Net's sizes.
  UNetParams unet_params() const;
  // Channels of the latent y, of the hyper-latent z and of the hyper
  // synthesis output (mean and scale).
  int latent_channels() const;
  int hyper_latent_channels() const;
  // Channels of the context features, finest first.
  std::vector<int> context_feature_channels() const;

  // JSON text (a flat object; see docs/model-format.md). from_json accepts
  // exactly what to_json writes (unknown keys are rejected); it validates.
  std::string to_json(int indent = 0) const;
  static ModelConfig from_json(const std::string& text);

  // Named presets: "paper-xparam" (the published x-param models),
  // "paper-epsilonparam" (the published epsilon-param models), "golden-x8" and
  // "golden-eps8" (the reference test configs, dim 8), "compact" (the layout
  // of the built-in models: U-Net dim 8, compressor dim 24, 1 decoding step),
  // "small" (dim 16, a fast config for tests and benchmarks).
  static ModelConfig preset(const std::string& name);
  static std::vector<std::string> preset_names();

  bool operator==(const ModelConfig& other) const;
  bool operator!=(const ModelConfig& other) const { return !(*this == other); }
};

const char* to_string(ModelVariant v);
const char* to_string(NoiseSchedule s);
const char* to_string(PredictionMode m);

// The settings of a decode with this config's defaults filled in (steps 0:
// default_steps; a negative gamma: default_gamma). More steps than the
// config's timesteps is an error (INVALID_ARGUMENT).
CodecSettings decoding_settings_for(const ModelConfig& config, const CodecSettings& settings);

}  // namespace cdc
