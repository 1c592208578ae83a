// Import of the reference implementation's checkpoints (torch.save files).
// x-param: ckpt["ema"] holds the EMA wrapper's state dict; the model is under
// "ema_model." (online_model.*, initted, step are ignored). epsilon-param:
// ckpt["model"] is the model's state dict (a "module." prefix on every key is
// removed). In both the LPIPS weights loss_fn_vgg.* and the derived train_*
// schedule buffers (all but train_alphas_cumprod) are ignored. The variant
// and the configuration are inferred from the tensor names and shapes; the
// decoding defaults come from the variant's paper preset.
#pragma once

#include <optional>
#include <string>

#include "model/model_config.h"
#include "model/model_file.h"
#include "model/network.h"

namespace cdc {

struct ImportedCheckpoint {
  ModelConfig config;
  NamedTensors tensors;  // names as in network.h
};

// Reads and checks a checkpoint. Throws cdc::Error: IO_ERROR (unreadable
// file), INVALID_MODEL (not a checkpoint, inconsistent shapes),
// UNSUPPORTED (a layout this version cannot run, e.g. another time embedding).
ImportedCheckpoint import_checkpoint(const std::string& path);

// Infers the configuration from the state-dict shapes (keys without the
// "ema_model." prefix), the variant from the compressor's layout. Throws
// cdc::Error(CDC_STATUS_INVALID_MODEL).
ModelConfig infer_config(const NamedTensors& state);

struct ConvertOptions {
  std::string name;            // empty: the output file's name without extension
  int default_steps = 0;       // 0: keep the preset's
  double default_gamma = -1.0; // negative: keep the preset's
  double rate_lambda = -1.0;   // <= 0: keep the input's (none for a checkpoint)
  // Weight storage of the output; empty: the input's (float32 for a checkpoint).
  std::optional<WeightStorage> storage;
};

// Converts a checkpoint into a libcdc model file written atomically at
// output_path. A libcdc model file as input keeps its weights, config and
// (unless options.name is set) name; only the decoding defaults change.
void convert_checkpoint(const std::string& checkpoint_path, const std::string& output_path,
                        const ConvertOptions& options);

}  // namespace cdc
