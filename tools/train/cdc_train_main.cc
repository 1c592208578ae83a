// cdc-train: trains a CDC model (x-param) on folders of photos with the
// library's own networks and libtorch autograd, and exports the EMA weights as
// a library model file. See training/README.md for the recipe of the built-in
// models.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/threads.h"
#include "model/model_file.h"
#include "train/photo_set.h"
#include "train/train_log.h"
#include "train/trainer.h"
#include "train/validation.h"
#include "common/file_io.h"

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted = true; }

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Paths {
  std::string run, checkpoint, model;
};

void save(cdc::train::Trainer& trainer, const Paths& paths) {
  trainer.save_checkpoint(paths.checkpoint);
  cdc::write_file_atomically(paths.model, trainer.export_model_file());
}

// --validate-only: the validation of a model (a run's export, a model file or
// a built-in name) on the held-out photos, written to stdout; nothing is saved.
int validate_only(const cdc::train::TrainOptions& o, const std::string& model,
                  const std::string& val_dir) {
  using namespace cdc::train;
  if (val_dir.empty()) cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "--validate-only needs --val-dir");
  cdc::set_compute_threads(o.threads);
  PhotoSet val = PhotoSet::load_folder(val_dir, 16, o.val_photos);
  ValidationResult r = validate_model_file(model_file_bytes(model), val, o.val_photos,
                                           o.val_max_side, o.val_steps, o.threads);
  fmt::print("photos,bpp,psnr,encode_s,decode_s\n{},{:.5f},{:.4f},{:.2f},{:.2f}\n", r.photos, r.bpp,
             r.psnr, r.encode_s, r.decode_s);
  return 0;
}

int run(cdc::train::TrainOptions options, const std::string& run_dir, const std::string& train_dir,
        const std::string& val_dir) {
  using namespace cdc::train;
  const auto t_start = Clock::now();
  cdc::set_compute_threads(options.threads);
  std::filesystem::create_directories(run_dir);
  Paths paths{run_dir, run_dir + "/checkpoint.ckpt", run_dir + "/model.cdcm"};

  std::unique_ptr<Trainer> trainer;
  std::error_code ec;
  if (std::filesystem::exists(paths.checkpoint, ec)) {
    trainer = Trainer::resume(paths.checkpoint, options);
    fmt::print("cdc-train: resuming {}: the settings that shape the result are the checkpoint's "
               "(run.json){}\n",
               paths.checkpoint, options.steps > 0 ? "; --steps extends or shortens the schedule" : "");
  } else {
    if (options.steps <= 0) options.steps = 10000;
    trainer = std::make_unique<Trainer>(options);
  }
  const TrainOptions& o = trainer->options();
  fmt::print("cdc-train: {}\n", trainer->describe_start());
  fmt::print("cdc-train: {} parameters, stage {}, batch {} x {}x{}, {} threads, device {}\n",
             trainer->parameter_count(), to_string(o.stage), o.batch, o.crop, o.crop,
             o.threads == 0 ? cdc::hardware_threads() : o.threads,
             o.device);

  const auto t_data = Clock::now();
  PhotoSet train = PhotoSet::load_folder(train_dir, o.crop);
  fmt::print("cdc-train: {} training photos ({:.1f} Mpixel, {} smaller than the crop skipped), "
             "decoded in {:.1f} s\n",
             train.size(), static_cast<double>(train.total_pixels()) / 1e6, train.skipped(),
             since(t_data));
  std::optional<PhotoSet> val;
  if (!val_dir.empty() && o.val_photos > 0) {
    val = PhotoSet::load_folder(val_dir, 16, o.val_photos);
    fmt::print("cdc-train: {} validation photos\n", val->size());
  }
  {
    cdc::json::Value info = o.to_json();
    info.set("model_config",
             cdc::json::Value::parse(trainer->config().to_json(), CDC_STATUS_INTERNAL_ERROR));
    const std::string text = info.dump(1) + "\n";
    cdc::write_file_atomically(run_dir + "/run.json", std::vector<uint8_t>(text.begin(), text.end()));
  }

  TrainLog log(run_dir);
  auto validate = [&]() {
    if (!val) return;
    ValidationResult r = validate_model_file(trainer->export_model_file(), *val, o.val_photos,
                                             o.val_max_side, o.val_steps, o.threads);
    log.validation_row(trainer->step_count(), trainer->trained_seconds(), r);
    fmt::print("\ncdc-train: validation at step {}: {} photos, {:.4f} bpp, {:.2f} dB "
               "(encode {:.1f} s, decode {:.1f} s)\n",
               trainer->step_count(), r.photos, r.bpp, r.psnr, r.encode_s, r.decode_s);
  };

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool tty = isatty(fileno(stdout));
  const int64_t first_step = trainer->step_count();
  auto t_interval = Clock::now();
  int64_t interval_start = first_step;
  const char* stop_reason = "done";
  while (trainer->step_count() < o.steps) {
    if (g_interrupted) { stop_reason = "interrupted"; break; }
    if (o.minutes > 0 && since(t_start) > o.minutes * 60.0) { stop_reason = "time budget reached"; break; }
    if (o.stop_after > 0 && trainer->step_count() - first_step >= o.stop_after) {
      stop_reason = "--stop-after reached";
      break;
    }
    const auto t0 = Clock::now();
    torch::Tensor x = train.sample_crops(o.batch, o.crop, trainer->generator());
    const StepStats s = trainer->step(x);
    trainer->add_trained_seconds(since(t0));
    log.add(s);
    const int64_t step = trainer->step_count();
    if (step % o.log_every == 0 || step == o.steps) {
      const double n = static_cast<double>(step - interval_start);
      const double rate = n / std::max(since(t_interval), 1e-9);
      const StepStats avg = log.flush_row(step, trainer->trained_seconds(), rate);
      fmt::print(tty ? "\r{}\x1b[K" : "{}\n", progress_line(step, o.steps, rate, avg));
      std::fflush(stdout);
      interval_start = step;
      t_interval = Clock::now();
    }
    if (step % o.save_every == 0 && step < o.steps) save(*trainer, paths);
    if (o.val_every > 0 && step % o.val_every == 0 && step < o.steps) validate();
  }
  save(*trainer, paths);
  if (trainer->step_count() >= o.steps && trainer->step_count() > first_step) validate();
  fmt::print("{}cdc-train: {} at step {}/{} ({} of training); checkpoint {}, model {}\n",
             tty ? "\n" : "", stop_reason, trainer->step_count(), o.steps,
             format_duration(trainer->trained_seconds()), paths.checkpoint, paths.model);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cdc::train::TrainOptions o;
  std::string run_dir, train_dir, val_dir, stage = "full", config_json;
  CLI::App app{
      "cdc-train: trains a CDC (x-param) model on folders of PNG/JPEG photos and exports the EMA "
      "weights as a libcdc model file (RUN/model.cdcm). A run folder with a checkpoint is resumed "
      "(the settings that shape the result come from the checkpoint)."};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // last one wins
  std::string validate_model;
  auto* run_opt = app.add_option("--run", run_dir,
                                 "run folder: checkpoint.ckpt, model.cdcm, train.csv, val.csv, run.json");
  auto* train_opt = app.add_option("--train-dir", train_dir, "folder of training photos (PNG/JPEG)");
  auto* validate_opt = app.add_option(
      "--validate-only", validate_model,
      "validate MODEL (a file or a built-in name) on --val-dir with the --val-* settings; no training");
  run_opt->excludes(validate_opt);
  train_opt->excludes(validate_opt);
  app.add_option("--val-dir", val_dir, "folder of held-out photos for validation");
  app.add_option("--config", o.config, "fresh runs: model config preset or JSON file")
      ->capture_default_str();
  app.add_option("--init", o.init, "warm start: a model file or a built-in model name (e.g. default-mid)");
  app.add_option("--name", o.name, "name of the exported model")->capture_default_str();
  app.add_option("--stage", stage,
                 "full (compressor + U-Net), compressor (compressor + MSE head) or decoder (context "
                 "decoder + U-Net; encoder and hyperprior fixed, the rate unchanged)")
      ->capture_default_str();
  app.add_option("--steps", o.steps, "total steps (schedules span these)")->capture_default_str();
  app.add_option("--batch", o.batch, "crops per step")->capture_default_str();
  app.add_option("--crop", o.crop, "crop side (multiple of 64)")->capture_default_str();
  app.add_option("--seed", o.seed, "random seed")->capture_default_str();
  app.add_option("--lambda", o.lambda, "rate weight")->capture_default_str();
  app.add_option("--target-bpp", o.target_bpp, "steer lambda so the training rate meets this (0: off)")
      ->capture_default_str();
  app.add_option("--lambda-start-frac", o.lambda_start_frac, "lambda warm-up starts at lambda * this")
      ->capture_default_str();
  app.add_option("--lambda-warmup-frac", o.lambda_warmup_frac, "fraction of the steps of the lambda warm-up")
      ->capture_default_str();
  app.add_option("--aux-weight", o.aux_weight, "weight of the MSE head")->capture_default_str();
  app.add_option("--head-warmup", o.head_warmup,
                 "first steps train only the MSE head (use with --init)")->capture_default_str();
  app.add_option("--snr-floor", o.snr_floor, "floor of the x0-MSE weight clamp(SNR)")->capture_default_str();
  app.add_option("--snr-cap", o.snr_cap, "cap of the x0-MSE weight clamp(SNR)")->capture_default_str();
  app.add_option("--diffusion-weight", o.diffusion_weight,
                 "weight of the SNR-weighted x0-MSE over uniform t")->capture_default_str();
  app.add_option("--decode-weight", o.decode_weight,
                 "weight of the MSE of the 1-step decode from x_N = 0 (the default decode path)")
      ->capture_default_str();
  app.add_option("--rho", o.rho, "LPIPS weight (must be 0: no LPIPS network in this version)")
      ->capture_default_str();
  app.add_option("--rate-ste", o.rate_ste, "rate of straight-through rounded y (0: uniform noise)")
      ->capture_default_str();
  app.add_option("--lr", o.lr, "peak learning rate")->capture_default_str();
  app.add_option("--lr-min-frac", o.lr_min_frac, "cosine decay to lr * this")->capture_default_str();
  app.add_option("--lr-warmup-frac", o.lr_warmup_frac, "linear LR warm-up fraction")->capture_default_str();
  app.add_option("--median-lr", o.median_lr, "learning rate of the prior's medians")->capture_default_str();
  app.add_option("--clip", o.clip, "gradient-norm clip (0: none)")->capture_default_str();
  app.add_option("--ema", o.ema, "EMA decay")->capture_default_str();
  app.add_option("--default-steps", o.default_steps, "default decoding steps of the exported model")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "compute threads (0: all cores)")->capture_default_str();
  app.add_option("--device", o.device, "cpu or cuda[:N]")->capture_default_str();
  app.add_option("--channels-last", o.channels_last, "channels-last tensors (faster convs on CPU)")
      ->capture_default_str();
  app.add_option("--bf16", o.bf16,
                 "CPU: convolutions in bfloat16 (autocast; only where the CPU has AVX512-BF16 or AMX), "
                 "rates and losses in float32")
      ->capture_default_str();
  app.add_option("--minutes", o.minutes, "stop this call after this many minutes (0: none)")
      ->capture_default_str();
  app.add_option("--stop-after", o.stop_after, "stop this call after this many steps (0: none)")
      ->capture_default_str();
  app.add_option("--save-every", o.save_every, "steps between checkpoints")->capture_default_str();
  app.add_option("--val-every", o.val_every, "steps between validations (0: at the end only)")
      ->capture_default_str();
  app.add_option("--val-photos", o.val_photos, "validation photos (at most)")->capture_default_str();
  app.add_option("--val-max-side", o.val_max_side, "validation centre-crop side")->capture_default_str();
  app.add_option("--val-steps", o.val_steps, "decoding steps in validation (0: the model's default)")
      ->capture_default_str();
  app.add_option("--log-every", o.log_every, "steps between progress lines and CSV rows")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
    if (validate_model.empty() && (run_dir.empty() || train_dir.empty()))
      throw CLI::RequiredError("--run and --train-dir (or --validate-only)");
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (app.count("--steps") == 0) o.steps = 0;  // fresh runs: 10000; resumed: the checkpoint's
  try {
    o.stage = cdc::train::stage_from_string(stage);
    if (!validate_model.empty()) return validate_only(o, validate_model, val_dir);
    return run(o, run_dir, train_dir, val_dir);
  } catch (const cdc::Error& e) {
    fmt::print(stderr, "\ncdc-train: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "\ncdc-train: error: {}\n", e.what());
    return 1;
  }
}
