// The settings of one cdc-train run. Everything that shapes the result is
// stored in the run's checkpoint, so that a resumed run continues with the
// settings it started with; the run-control settings (threads, budgets,
// logging, validation) come from each call's command line.
#pragma once

#include <cstdint>
#include <string>

#include "common/json.h"

namespace cdc::train {

enum class Stage {
  kFull,        // compressor, U-Net and MSE head together
  kCompressor,  // compressor and MSE head only (no U-Net call: ~4x more steps per hour)
  kDecoder,     // context decoder, U-Net and head; the encoder and hyperprior stay fixed
                // (test-time rounding, no rate term), so every stream's bits stay as they are
};

const char* to_string(Stage stage);
Stage stage_from_string(const std::string& text);

struct TrainOptions {
  // --- shapes the result (stored in the checkpoint) ---
  std::string config = "compact";  // fresh runs: a preset name or a JSON file
  std::string init;                // warm start: a model file or a built-in model name
  std::string name = "trained";    // the exported model's name
  Stage stage = Stage::kFull;
  int crop = 128;                  // training crops are crop x crop
  int batch = 8;
  int64_t steps = 10000;           // the length of the learning-rate and lambda schedules
  uint64_t seed = 1;               // < 2^53
  double lambda = 0.0064;          // rate weight (bits per pixel)
  double target_bpp = 0.0;         // > 0: steer lambda so the training rate meets it
  double lambda_start_frac = 0.05; // the warm-up starts at lambda * this (a high rate)...
  double lambda_warmup_frac = 0.2; // ...and reaches lambda after this fraction of the steps
  double aux_weight = 1.0;         // weight of the MSE head's loss
  int64_t head_warmup = 0;         // first steps train the head alone (warm starts: a fresh
                                   // head's gradients would disturb a trained compressor)
  double snr_floor = 1.0;          // the x0-MSE weight is clamp(SNR(t), floor, cap)
  double snr_cap = 5.0;
  double diffusion_weight = 1.0;   // weight of the SNR-weighted x0-MSE over uniform t
  double decode_weight = 0.0;      // weight of the MSE of the 1-step decode (x_N = 0 at
                                   // t = (T-1)/T): the path the library decodes by default
  double rho = 0.0;                // LPIPS weight; must be 0 (no LPIPS network in this version)
  bool rate_ste = true;            // rate of straight-through rounded y (else uniform noise)
  double lr = 4e-4;
  double lr_min_frac = 0.1;        // cosine decay to lr * this
  double lr_warmup_frac = 0.02;    // linear warm-up from lr / 10 over this fraction
  double median_lr = 5e-3;         // the prior's medians have their own Adam
  double clip = 1.0;               // gradient-norm clip (0: none)
  double ema = 0.999;
  int default_steps = 1;           // the exported model's default decoding steps (one U-Net
                                   // call at t = (T-1)/T: measured as good as 2 for these models)

  // --- run control (each call's own) ---
  int threads = 0;                 // 0: all cores
  std::string device = "cpu";      // "cpu" or "cuda[:N]"
  bool channels_last = true;
  bool bf16 = false;               // CPU: the networks' convolutions and matrix products in
                                   // bfloat16 (autocast), the rate and losses in float32
  double minutes = 0.0;            // stop this call after this much wall time (0: none)
  int64_t stop_after = 0;          // stop this call after this many steps (0: none)
  int64_t save_every = 500;        // steps between checkpoints
  int64_t val_every = 1000;        // steps between validations (0: only at the end)
  int val_photos = 16;             // validation photos used (at most)
  int val_max_side = 512;          // validation centre crops of at most this side
  int val_steps = 0;               // decoding steps in validation (0: the model's default)
  int64_t log_every = 10;          // steps between log lines / CSV rows

  // The result-shaping settings as JSON, and back (unknown keys rejected).
  json::Value to_json() const;
  void apply_json(const json::Value& value);
  // Checks ranges; throws cdc::Error(CDC_STATUS_INVALID_ARGUMENT).
  void validate() const;
};

}  // namespace cdc::train
