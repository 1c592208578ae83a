#include "convert/checkpoint_import.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "common/error.h"
#include "common/file_io.h"
#include "convert/torch_checkpoint.h"
#include "diffusion/noise_schedule.h"
#include "model/model.h"
#include "model/model_export.h"
#include "model/model_file.h"

namespace cdc {

namespace {

constexpr cdc_status kInvalid = CDC_STATUS_INVALID_MODEL;

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

class ShapeMap {
 public:
  explicit ShapeMap(const NamedTensors& state) {
    for (const auto& [k, t] : state) shapes_[k] = t.sizes().vec();
  }
  bool has(const std::string& key) const { return shapes_.count(key) != 0; }
  const std::vector<int64_t>& get(const std::string& key) const {
    auto it = shapes_.find(key);
    if (it == shapes_.end()) fail(kInvalid, "checkpoint: missing tensor '{}'", key);
    return it->second;
  }
  int64_t dim(const std::string& key, size_t i, size_t ndim) const {
    const auto& s = get(key);
    if (s.size() != ndim)
      fail(kInvalid, "checkpoint: tensor '{}' has {} dimensions, expected {}", key, s.size(), ndim);
    return s[i];
  }

 private:
  std::unordered_map<std::string, std::vector<int64_t>> shapes_;
};

int mult_of(int64_t channels, int64_t base, const std::string& what) {
  if (base <= 0 || channels <= 0 || channels % base)
    fail(kInvalid, "checkpoint: {} has {} channels, not a multiple of the base width {}", what,
         channels, base);
  return static_cast<int>(channels / base);
}

}  // namespace

ModelConfig infer_config(const NamedTensors& state) {
  const ShapeMap s(state);
  // The compressor's layout tells the variant: x-param's ResnetCompressor has
  // stages [resnet, down] ("enc.0.1.conv"), epsilon-param's BigCompressor
  // [resnet, identity, down] ("enc.0.2.conv").
  const bool eps = s.has("context_fn.enc.0.2.conv.weight");
  if (!eps && !s.has("context_fn.enc.0.1.conv.weight"))
    fail(kInvalid, "checkpoint: no compressor found (context_fn.enc.0.1.conv or "
                   "context_fn.enc.0.2.conv)");
  ModelConfig c = ModelConfig::preset(eps ? "paper-epsilonparam" : "paper-xparam");
  const int resample_slot = eps ? 2 : 1;  // index of Downsample/Upsample in a stage

  // --- U-Net ---
  const std::string u = "denoise_fn.";
  if (!s.has(u + "time_mlp.0.weight") || s.get(u + "time_mlp.0.weight").size() != 2 ||
      s.get(u + "time_mlp.0.weight")[1] != 1)
    fail(CDC_STATUS_UNSUPPORTED,
         "checkpoint: the U-Net's time embedding is not the \"01\" type (time_mlp.0 must be a "
         "Linear(1, 4 dim))");
  c.dim = static_cast<int>(s.dim(u + "time_mlp.2.weight", 0, 2));
  if (s.dim(u + "time_mlp.0.weight", 0, 2) != 4 * c.dim)
    fail(kInvalid, "checkpoint: time_mlp.0 has {} outputs, expected 4 * dim = {}",
         s.dim(u + "time_mlp.0.weight", 0, 2), 4 * c.dim);
  c.channels = static_cast<int>(s.dim(u + "final_conv.1.weight", 0, 4));
  std::vector<int64_t> dims{c.channels};
  c.dim_mults.clear();
  for (int i = 0; s.has(fmt::format("{}downs.{}.1.block1.block.0.weight", u, i)); ++i) {
    const int64_t out = s.dim(fmt::format("{}downs.{}.1.block1.block.0.weight", u, i), 0, 4);
    c.dim_mults.push_back(mult_of(out, c.dim, fmt::format("U-Net level {}", i)));
    dims.push_back(out);
  }
  if (c.dim_mults.size() < 2) fail(kInvalid, "checkpoint: no U-Net levels found (denoise_fn.downs)");
  std::vector<int64_t> ctx;
  for (size_t i = 0; i + 1 < c.dim_mults.size(); ++i) {
    const int64_t in = s.dim(fmt::format("{}downs.{}.0.block1.block.0.weight", u, i), 1, 4);
    if (in < dims[i]) fail(kInvalid, "checkpoint: U-Net level {} has too few input channels", i);
    if (in == dims[i]) break;
    ctx.push_back(in - dims[i]);
  }
  if (ctx.empty()) fail(kInvalid, "checkpoint: the U-Net takes no context");
  c.context_channels = static_cast<int>(ctx[0]);

  // --- compressor ---
  const std::string k = "context_fn.";
  c.compressor_dim = static_cast<int>(s.dim(k + "enc.0.0.block1.block.0.weight", 0, 4));
  c.compressor_dim_mults.clear();
  for (int i = 0; s.has(fmt::format("{}enc.{}.0.block1.block.0.weight", k, i)); ++i)
    c.compressor_dim_mults.push_back(
        mult_of(s.dim(fmt::format("{}enc.{}.0.block1.block.0.weight", k, i), 0, 4),
                c.compressor_dim, fmt::format("encoder stage {}", i)));
  c.reverse_dim_mults.clear();
  int dec_stages = 0;
  for (; s.has(fmt::format("{}dec.{}.0.block1.block.0.weight", k, dec_stages)); ++dec_stages)
    c.reverse_dim_mults.push_back(
        mult_of(s.dim(fmt::format("{}dec.{}.0.block1.block.0.weight", k, dec_stages), 1, 4),
                c.compressor_dim, fmt::format("context decoder stage {}", dec_stages)));
  if (dec_stages == 0) fail(kInvalid, "checkpoint: no context decoder found (context_fn.dec)");
  c.out_channels = static_cast<int>(s.dim(
      fmt::format("{}dec.{}.{}.conv.weight", k, dec_stages - 1, resample_slot), 1, 4));
  c.hyper_dims_mults.clear();
  for (int i = 0; s.has(fmt::format("{}hyper_enc.{}.0.weight", k, i)); ++i)
    c.hyper_dims_mults.push_back(mult_of(s.dim(fmt::format("{}hyper_enc.{}.0.weight", k, i), 0, 4),
                                         c.compressor_dim, fmt::format("hyper encoder stage {}", i)));
  if (c.hyper_dims_mults.empty()) fail(kInvalid, "checkpoint: no hyper encoder found");

  // context_dim_mults: levels 1.. take dim * mult channels; the last entry is
  // not used by the U-Net and is set to the latent's width.
  c.context_dim_mults.clear();
  for (size_t i = 1; i < ctx.size(); ++i)
    c.context_dim_mults.push_back(mult_of(ctx[i], c.dim, fmt::format("context level {}", i)));
  const int64_t latent = int64_t{c.compressor_dim} * c.reverse_dim_mults.front();
  c.context_dim_mults.push_back(latent % c.dim == 0 ? static_cast<int>(latent / c.dim)
                                                    : c.context_dim_mults.empty()
                                                          ? 1
                                                          : c.context_dim_mults.back());

  // --- schedule ---
  if (s.has("train_alphas_cumprod")) {
    const auto& shp = s.get("train_alphas_cumprod");
    if (shp.size() != 1 || shp[0] < 1 || shp[0] > (1 << 20))
      fail(kInvalid, "checkpoint: bad train_alphas_cumprod shape");
    c.num_timesteps = static_cast<int>(shp[0]);
    torch::Tensor stored;
    for (const auto& [name, t] : state)
      if (name == "train_alphas_cumprod") stored = t.to(torch::kFloat64);
    bool matched = false;
    for (NoiseSchedule sched : {NoiseSchedule::kCosine, NoiseSchedule::kLinear}) {
      torch::Tensor ref = torch::tensor(make_alphas_cumprod(sched, c.num_timesteps), torch::kFloat64);
      if ((ref - stored).abs().max().item<double>() < 1e-5) {
        c.schedule = sched;
        matched = true;
        break;
      }
    }
    if (!matched)
      fail(kInvalid, "checkpoint: train_alphas_cumprod matches neither the cosine nor the linear "
                     "schedule with T = {}", c.num_timesteps);
  }
  c.default_steps = std::min(c.default_steps, c.num_timesteps);
  c.validate();
  return c;
}

ImportedCheckpoint import_checkpoint(const std::string& path) {
  std::vector<uint8_t> bytes = read_whole_file(path);
  const size_t file_size = bytes.size();
  c10::IValue root;
  try {
    root = load_torch_pickle(bytes.data(), bytes.size());
    bytes.clear();
    bytes.shrink_to_fit();
  } catch (const c10::Error& e) {
    fail(kInvalid, "{}: not a readable PyTorch checkpoint ({})", path,
         e.what_without_backtrace());
  } catch (const std::exception& e) {
    fail(kInvalid, "{}: not a readable PyTorch checkpoint ({})", path, e.what());
  }
  if (!root.isGenericDict()) fail(kInvalid, "{}: the checkpoint is not a dict", path);
  const c10::Dict<c10::IValue, c10::IValue> top = root.toGenericDict();
  auto lookup = [&](const char* key) -> c10::optional<c10::IValue> {
    for (const auto& kv : top)
      if (kv.key().isString() && kv.key().toStringRef() == key) return kv.value();
    return c10::nullopt;
  };
  // x-param: ckpt["ema"], the EMA wrapper's state dict, model under
  // "ema_model." (online_model.*, initted, step skipped). epsilon-param:
  // ckpt["model"], the diffusion model's state dict itself.
  const char* entry = "ema";
  c10::optional<c10::IValue> dict = lookup("ema");
  std::string prefix = "ema_model.";
  if (!dict) {
    dict = lookup("model");
    entry = "model";
    prefix.clear();
  }
  if (!dict)
    fail(kInvalid,
         "{}: no \"ema\" (x-param) or \"model\" (epsilon-param) entry: not a CDC checkpoint",
         path);
  if (!dict->isGenericDict()) fail(kInvalid, "{}: ckpt[\"{}\"] is not a state dict", path, entry);
  const c10::Dict<c10::IValue, c10::IValue> sd = dict->toGenericDict();
  if (prefix.empty()) {
    // A state dict saved from a DataParallel wrapper has every key under "module.".
    bool all_module = sd.size() > 0;
    for (const auto& kv : sd)
      if (!kv.key().isString() || !starts_with(kv.key().toStringRef(), "module.")) all_module = false;
    if (all_module) prefix = "module.";
  }

  NamedTensors state;
  for (const auto& kv : sd) {
    if (!kv.key().isString()) fail(kInvalid, "{}: a state-dict key is not a string", path);
    const std::string& key = kv.key().toStringRef();
    if (!starts_with(key, prefix.c_str())) continue;  // online_model.*, initted, step
    const std::string name = key.substr(prefix.size());
    if (starts_with(name, "loss_fn_vgg.")) continue;  // LPIPS, training only
    if (starts_with(name, "train_") && name != "train_alphas_cumprod") continue;  // derived
    if (!kv.value().isTensor())
      fail(kInvalid, "{}: '{}' is not a tensor", path, key);
    state.emplace_back(name, kv.value().toTensor());
  }
  if (state.empty())
    fail(kInvalid, "{}: ckpt[\"{}\"] holds no {}* tensors", path, entry,
         prefix.empty() ? "model " : prefix);
  // One tensor may appear under many names (memo references): the model built
  // from them must still be bounded by the file (float32 weights, at most twice
  // the file's bytes, e.g. a float16 checkpoint).
  double state_bytes = 0;
  for (const auto& nt : state) state_bytes += 4.0 * static_cast<double>(nt.second.numel());
  if (state_bytes > 2.0 * static_cast<double>(file_size) + 1048576.0)
    fail(kInvalid, "{}: its state dict names {} bytes of float32 weights, more than the file "
                   "({} bytes) can hold",
         path, state_bytes, file_size);
  ImportedCheckpoint out;
  try {
    out.config = infer_config(state);
  } catch (const Error& e) {
    throw Error(e.status(), path + ": " + e.what());
  }
  out.tensors = std::move(state);
  return out;
}

namespace {

bool is_model_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[8] = {};
  return f.read(magic, sizeof magic) && std::memcmp(magic, "CDCMODEL", sizeof magic) == 0;
}

}  // namespace

void convert_checkpoint(const std::string& checkpoint_path, const std::string& output_path,
                        const ConvertOptions& options_in) {
  ImportedCheckpoint ck;
  ConvertOptions options = options_in;
  if (is_model_file(checkpoint_path)) {
    // A libcdc model file: the same weights and config; a new name and new
    // decoding defaults (the model id changes with them).
    const std::vector<uint8_t> bytes = read_whole_file(checkpoint_path);
    ModelFileContents m = read_model_file(bytes.data(), bytes.size());
    ck.config = m.config;
    ck.tensors = std::move(m.tensors);
    if (options.name.empty()) options.name = m.name;
    if (!options.storage) options.storage = m.storage;
  } else {
    ck = import_checkpoint(checkpoint_path);
  }
  if (options.default_steps > 0)
    ck.config.default_steps = std::min(options.default_steps, ck.config.num_timesteps);
  if (options.default_gamma >= 0) ck.config.default_gamma = options.default_gamma;
  if (options.rate_lambda > 0) ck.config.rate_lambda = options.rate_lambda;
  ck.config.validate();
  std::string model_name = options.name;
  if (model_name.empty()) {
    const size_t slash = output_path.find_last_of('/');
    model_name = slash == std::string::npos ? output_path : output_path.substr(slash + 1);
    const size_t dot = model_name.find_last_of('.');
    if (dot != std::string::npos && dot > 0) model_name.resize(dot);
  }
  std::vector<uint8_t> bytes = make_model_file(ck.config, model_name, ck.tensors, checkpoint_path,
                                               options.storage.value_or(WeightStorage::kFloat32));
  write_file_atomically(output_path, bytes);
}

}  // namespace cdc
