// One training run's state and its step: the library's network (compressor and
// U-Net), the training-only MSE head, Adam for both and a separate Adam for the
// prior's medians, the EMA copy that gets exported, the schedules (learning
// rate, lambda warm-up and steering) and the random generator. Everything is
// saved in a checkpoint, so that a resumed run continues bit-exactly.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "model/network.h"
#include "train/objective.h"
#include "train/train_options.h"

namespace cdc::train {

// The bytes of a model file given by path or by built-in model name. Throws
// cdc::Error (NOT_FOUND, IO_ERROR).
std::vector<uint8_t> model_file_bytes(const std::string& file_or_name);

struct StepStats {
  double loss = 0, bpp = 0, mse = 0, head_mse = 0, median_loss = 0, lambda = 0, lr = 0;
};

class Trainer {
 public:
  // A fresh run: options.init (a model file or a built-in model name) gives
  // the config and the starting weights if set, else options.config (a preset
  // name or a JSON file) with random initialisation from options.seed.
  explicit Trainer(const TrainOptions& options);

  // Resumes from a checkpoint written by save_checkpoint(). The result-shaping
  // options are the checkpoint's; the run-control ones are taken from
  // `run_control` (threads, device, budgets, logging, validation).
  static std::unique_ptr<Trainer> resume(const std::string& checkpoint_path,
                                         const TrainOptions& run_control);

  // One optimisation step on a batch drawn from `photos` (see PhotoSet) or on x.
  StepStats step(const torch::Tensor& x);

  // Full state, written atomically (temporary file + rename).
  void save_checkpoint(const std::string& path) const;

  // The EMA weights as a library model file (entropy tables built).
  std::vector<uint8_t> export_model_file() const;

  int64_t step_count() const { return step_; }
  const TrainOptions& options() const { return options_; }
  TrainOptions& mutable_run_control() { return options_; }
  const ModelConfig& config() const { return config_; }
  at::Generator& generator() { return gen_; }
  double learning_rate() const;  // at the current step
  double lambda() const;         // at the current step
  int64_t parameter_count() const;
  std::string describe_start() const { return start_; }
  // Wall-clock seconds spent in training steps, summed over resumed calls.
  double trained_seconds() const { return seconds_; }
  void add_trained_seconds(double s) { seconds_ += s; }

 private:
  Trainer(const TrainOptions& options, const ModelConfig& config);
  void build();
  void steer_lambda(double bpp);

  TrainOptions options_;
  ModelConfig config_;
  torch::Device device_{torch::kCPU};
  CdcNetwork net_{nullptr}, ema_{nullptr};
  torch::nn::Conv2d head_{nullptr};
  std::unique_ptr<torch::optim::Adam> adam_, median_adam_;
  std::vector<torch::Tensor> main_params_;
  DiffusionTables tables_;
  at::Generator gen_;
  int64_t step_ = 0;
  double lambda_ctrl_ = 0;  // the steered lambda (options.lambda until steering moves it)
  double bpp_avg_ = -1;     // running mean of the training rate (< 0: none yet)
  double seconds_ = 0;
  std::string start_;       // how the run started (for logs)
};

}  // namespace cdc::train
