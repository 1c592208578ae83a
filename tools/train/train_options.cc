#include "train/train_options.h"

#include "common/codec_settings.h"
#include "common/error.h"

namespace cdc::train {

const char* to_string(Stage stage) {
  switch (stage) {
    case Stage::kCompressor: return "compressor";
    case Stage::kDecoder: return "decoder";
    case Stage::kFull: break;
  }
  return "full";
}

Stage stage_from_string(const std::string& text) {
  if (text == "full") return Stage::kFull;
  if (text == "compressor") return Stage::kCompressor;
  if (text == "decoder") return Stage::kDecoder;
  fail(CDC_STATUS_INVALID_ARGUMENT, "unknown stage '{}' (full, compressor or decoder)", text);
}

json::Value TrainOptions::to_json() const {
  json::Value v = json::Value::object();
  v.set("config", config);
  v.set("init", init);
  v.set("name", name);
  v.set("stage", to_string(stage));
  v.set("crop", crop);
  v.set("batch", batch);
  v.set("steps", steps);
  v.set("seed", static_cast<int64_t>(seed));
  v.set("lambda", lambda);
  v.set("target_bpp", target_bpp);
  v.set("lambda_start_frac", lambda_start_frac);
  v.set("lambda_warmup_frac", lambda_warmup_frac);
  v.set("aux_weight", aux_weight);
  v.set("head_warmup", head_warmup);
  v.set("snr_floor", snr_floor);
  v.set("snr_cap", snr_cap);
  v.set("diffusion_weight", diffusion_weight);
  v.set("decode_weight", decode_weight);
  v.set("rho", rho);
  v.set("rate_ste", rate_ste);
  v.set("lr", lr);
  v.set("lr_min_frac", lr_min_frac);
  v.set("lr_warmup_frac", lr_warmup_frac);
  v.set("median_lr", median_lr);
  v.set("clip", clip);
  v.set("ema", ema);
  v.set("default_steps", default_steps);
  return v;
}

void TrainOptions::apply_json(const json::Value& v) {
  constexpr cdc_status kBad = CDC_STATUS_INVALID_ARGUMENT;
  for (const auto& [key, item] : v.items()) {
    if (key == "config") config = item.as_string(key, kBad);
    else if (key == "init") init = item.as_string(key, kBad);
    else if (key == "name") name = item.as_string(key, kBad);
    else if (key == "stage") stage = stage_from_string(item.as_string(key, kBad));
    else if (key == "crop") crop = static_cast<int>(item.as_int(key, kBad, 1, 1 << 16));
    else if (key == "batch") batch = static_cast<int>(item.as_int(key, kBad, 1, 1 << 16));
    else if (key == "steps") steps = item.as_int(key, kBad, 1, int64_t{1} << 40);
    else if (key == "seed") seed = static_cast<uint64_t>(item.as_int(key, kBad, 0, int64_t{1} << 53));
    else if (key == "lambda") lambda = item.as_number(key, kBad);
    else if (key == "target_bpp") target_bpp = item.as_number(key, kBad);
    else if (key == "lambda_start_frac") lambda_start_frac = item.as_number(key, kBad);
    else if (key == "lambda_warmup_frac") lambda_warmup_frac = item.as_number(key, kBad);
    else if (key == "aux_weight") aux_weight = item.as_number(key, kBad);
    else if (key == "head_warmup") head_warmup = item.as_int(key, kBad, 0, int64_t{1} << 40);
    else if (key == "snr_floor") snr_floor = item.as_number(key, kBad);
    else if (key == "snr_cap") snr_cap = item.as_number(key, kBad);
    else if (key == "diffusion_weight") diffusion_weight = item.as_number(key, kBad);
    else if (key == "decode_weight") decode_weight = item.as_number(key, kBad);
    else if (key == "rho") rho = item.as_number(key, kBad);
    else if (key == "rate_ste") rate_ste = item.as_bool(key, kBad);
    else if (key == "lr") lr = item.as_number(key, kBad);
    else if (key == "lr_min_frac") lr_min_frac = item.as_number(key, kBad);
    else if (key == "lr_warmup_frac") lr_warmup_frac = item.as_number(key, kBad);
    else if (key == "median_lr") median_lr = item.as_number(key, kBad);
    else if (key == "clip") clip = item.as_number(key, kBad);
    else if (key == "ema") ema = item.as_number(key, kBad);
    else if (key == "default_steps") default_steps = static_cast<int>(item.as_int(key, kBad, 1, 1000));
    else fail(kBad, "unknown training setting '{}'", key);
  }
}

void TrainOptions::validate() const {
  auto check = [](bool ok, const char* what) {
    if (!ok) fail(CDC_STATUS_INVALID_ARGUMENT, "invalid setting: {}", what);
  };
  check(crop >= 64 && crop % 64 == 0, "--crop must be a multiple of 64 (at least 64)");
  check(!bf16 || device == "cpu", "--bf16 is a CPU setting");
  if (bf16 && !bf16_allowed())
    fail(CDC_STATUS_UNSUPPORTED,
         "--bf16: this CPU has no native bfloat16 (AVX512-BF16 or AMX): it would be slower than "
         "float32");
  check(batch >= 1 && batch <= 4096, "--batch must be in 1..4096");
  check(steps >= 1, "--steps must be at least 1");
  check(seed < (uint64_t{1} << 53), "--seed must be below 2^53");
  check(lambda > 0 && lambda < 1e3, "--lambda must be in (0, 1000)");
  check(target_bpp >= 0 && target_bpp < 24, "--target-bpp must be in [0, 24)");
  check(lambda_start_frac > 0 && lambda_start_frac <= 1, "--lambda-start-frac must be in (0, 1]");
  check(lambda_warmup_frac >= 0 && lambda_warmup_frac <= 1, "--lambda-warmup-frac must be in [0, 1]");
  check(aux_weight >= 0, "--aux-weight must be >= 0");
  check(head_warmup >= 0 && head_warmup < steps, "--head-warmup must be in [0, --steps)");
  check(snr_floor >= 0 && snr_cap >= snr_floor, "need 0 <= --snr-floor <= --snr-cap");
  check(diffusion_weight >= 0 && decode_weight >= 0,
        "--diffusion-weight and --decode-weight must be >= 0");
  check(stage == Stage::kCompressor || diffusion_weight > 0 || decode_weight > 0,
        "the U-Net needs a loss: --diffusion-weight or --decode-weight above 0");
  check(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  check(lr_min_frac >= 0 && lr_min_frac <= 1, "--lr-min-frac must be in [0, 1]");
  check(lr_warmup_frac >= 0 && lr_warmup_frac < 1, "--lr-warmup-frac must be in [0, 1)");
  check(median_lr > 0 && median_lr < 1, "--median-lr must be in (0, 1)");
  check(clip >= 0, "--clip must be >= 0");
  check(ema >= 0 && ema < 1, "--ema must be in [0, 1)");
  check(threads >= 0 && threads <= 1024, "--threads must be in 0..1024");
  check(minutes >= 0, "--minutes must be >= 0");
  check(stop_after >= 0, "--stop-after must be >= 0");
  check(save_every >= 1, "--save-every must be at least 1");
  check(val_every >= 0, "--val-every must be >= 0");
  check(val_photos >= 0, "--val-photos must be >= 0");
  check(val_max_side >= 64, "--val-max-side must be at least 64");
  check(default_steps >= 1 && default_steps <= 1000, "--default-steps must be in 1..1000");
  check(val_steps >= 0 && val_steps <= 1000, "--val-steps must be in 0..1000");
  check(log_every >= 1, "--log-every must be at least 1");
  if (rho != 0.0)
    fail(CDC_STATUS_INVALID_ARGUMENT,
         "--rho {} asks for the LPIPS term, which needs LPIPS network weights; this version of "
         "cdc-train has no LPIPS network, so rho must be 0 (pure MSE training)",
         rho);
}

}  // namespace cdc::train
