#include "model/model_config.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/json.h"

namespace cdc {

namespace {

constexpr cdc_status kInvalid = CDC_STATUS_INVALID_MODEL;

// Limits that keep a hostile config from asking for absurd allocations.
constexpr int kMaxDim = 4096;
constexpr int kMaxMult = 64;
constexpr int kMaxLevels = 8;
constexpr int kMaxTimesteps = 1 << 20;

void check_mults(const char* what, const std::vector<int>& mults, size_t min_len, size_t max_len) {
  if (mults.size() < min_len || mults.size() > max_len)
    fail(kInvalid, "model config: {} has {} entries (expected {}..{})", what, mults.size(),
         min_len, max_len);
  for (int m : mults)
    if (m < 1 || m > kMaxMult)
      fail(kInvalid, "model config: {} holds {} (expected 1..{})", what, m, kMaxMult);
}

void check_range(const char* what, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    fail(kInvalid, "model config: {} is {} (expected {}..{})", what, v, lo, hi);
}

json::Value int_array(const std::vector<int>& v) {
  std::vector<json::Value> items;
  for (int x : v) items.emplace_back(x);
  return json::Value::array(std::move(items));
}

std::vector<int> read_int_array(const json::Value& v, const std::string& what) {
  std::vector<int> out;
  const auto& items = v.as_array(what, kInvalid);
  if (items.size() > static_cast<size_t>(kMaxLevels)) fail(kInvalid, "{}: too many entries", what);
  for (const auto& item : items) out.push_back(static_cast<int>(item.as_int(what, kInvalid, 0, 1 << 20)));
  return out;
}

template <typename Enum>
Enum parse_enum(const std::string& s, const std::string& what,
                std::initializer_list<std::pair<const char*, Enum>> names) {
  for (const auto& n : names)
    if (s == n.first) return n.second;
  fail(kInvalid, "model config: unknown {} '{}'", what, s);
}

}  // namespace

const char* to_string(ModelVariant v) {
  return v == ModelVariant::kXParam ? "xparam" : "epsilonparam";
}
const char* to_string(NoiseSchedule s) { return s == NoiseSchedule::kCosine ? "cosine" : "linear"; }
const char* to_string(PredictionMode m) {
  switch (m) {
    case PredictionMode::kX: return "x";
    case PredictionMode::kNoise: return "noise";
    case PredictionMode::kV: return "v";
  }
  return "?";
}

void ModelConfig::validate() const {
  check_range("dim", dim, 1, kMaxDim);
  check_range("compressor_dim", compressor_dim, 1, kMaxDim);
  check_range("channels", channels, 3, 3);
  check_range("context_channels", context_channels, 1, kMaxDim * kMaxMult);
  check_range("out_channels", out_channels, 1, kMaxDim * kMaxMult);
  check_mults("dim_mults", dim_mults, 2, kMaxLevels);
  check_mults("context_dim_mults", context_dim_mults, 1, kMaxLevels);
  check_mults("compressor_dim_mults", compressor_dim_mults, 1, kMaxLevels);
  check_mults("reverse_dim_mults", reverse_dim_mults, 1, kMaxLevels);
  check_mults("hyper_dims_mults", hyper_dims_mults, 1, kMaxLevels);
  check_range("num_timesteps", num_timesteps, 1, kMaxTimesteps);
  check_range("default_steps", default_steps, 1, num_timesteps);
  if (!(default_gamma >= 0.0 && default_gamma <= 10.0))
    fail(kInvalid, "model config: default_gamma is {} (expected 0..10)", default_gamma);
  if (embd_type != "01")
    fail(kInvalid, "model config: embd_type '{}' is not supported (only \"01\")", embd_type);
  // x-param predicts x0; epsilon-param (the reference's epsilonparam/) predicts
  // the noise and its BigCompressor decodes with the encoder's widths reversed.
  const PredictionMode want_pred =
      variant == ModelVariant::kXParam ? PredictionMode::kX : PredictionMode::kNoise;
  if (pred_mode != want_pred)
    fail(kInvalid, "model config: the {} variant predicts '{}', not '{}'", to_string(variant),
         to_string(want_pred), to_string(pred_mode));
  if (variant == ModelVariant::kEpsilonParam &&
      !std::equal(reverse_dim_mults.begin(), reverse_dim_mults.end(),
                  compressor_dim_mults.rbegin(), compressor_dim_mults.rend()))
    fail(kInvalid,
         "model config: the epsilonparam compressor needs reverse_dim_mults = "
         "compressor_dim_mults reversed");
  // The compressor's encoder, decoder and the U-Net levels must line up.
  if (compressor_dim * compressor_dim_mults.back() != compressor_dim * reverse_dim_mults.front())
    fail(kInvalid,
         "model config: the latent has {} channels but the context decoder expects {}",
         compressor_dim * compressor_dim_mults.back(), compressor_dim * reverse_dim_mults.front());
  if (reverse_dim_mults.size() != compressor_dim_mults.size())
    fail(kInvalid, "model config: reverse_dim_mults needs {} entries (one per encoder stage)",
         compressor_dim_mults.size());
  if (context_dim_mults.size() != reverse_dim_mults.size())
    fail(kInvalid,
         "model config: context_dim_mults has {} entries but the compressor gives {} context "
         "features",
         context_dim_mults.size(), reverse_dim_mults.size());
  if (context_dim_mults.size() >= dim_mults.size())
    fail(kInvalid, "model config: more context levels ({}) than U-Net levels below the last ({})",
         context_dim_mults.size(), dim_mults.size() - 1);
  if (out_channels != context_channels)
    fail(kInvalid, "model config: out_channels ({}) != context_channels ({})", out_channels,
         context_channels);
  const std::vector<int> ctx = context_feature_channels();
  // U-Net level i takes context_dims[i] = [context_channels, dim * cm...][i].
  for (size_t i = 1; i < ctx.size(); ++i) {
    const int unet = dim * context_dim_mults[i - 1];
    if (unet != ctx[i])
      fail(kInvalid,
           "model config: context level {} has {} channels but the U-Net expects {} "
           "(dim * context_dim_mults[{}])",
           i, ctx[i], unet, i - 1);
  }
  // The U-Net's final LayerNorm and conv take `dim` channels.
  if (dim_mults.front() != 1)
    fail(kInvalid, "model config: dim_mults must start with 1, not {}", dim_mults.front());
}

int ModelConfig::size_multiple() const {
  // Compressor: 2^stages to the latent, then 2^(hyper stages - 1) to the
  // hyper-latent. U-Net: 2^(levels - 1).
  const int compressor = (1 << compressor_dim_mults.size()) *
                         (1 << (hyper_dims_mults.size() - 1));
  const int unet = 1 << (dim_mults.size() - 1);
  return std::max(compressor, unet);
}

int ModelConfig::latent_channels() const { return compressor_dim * compressor_dim_mults.back(); }

int ModelConfig::hyper_latent_channels() const {
  return compressor_dim * hyper_dims_mults.back();
}

std::vector<int> ModelConfig::context_feature_channels() const {
  // The context decoder's stage outputs are reversed_dims[1:], finest last;
  // the list is returned finest first.
  std::vector<int> rev;
  for (size_t i = 1; i < reverse_dim_mults.size(); ++i)
    rev.push_back(compressor_dim * reverse_dim_mults[i]);
  rev.push_back(out_channels);
  std::reverse(rev.begin(), rev.end());
  return rev;
}

std::string ModelConfig::to_json(int indent) const {
  json::Value o = json::Value::object();
  o.set("variant", to_string(variant));
  o.set("dim", dim);
  o.set("dim_mults", int_array(dim_mults));
  o.set("context_dim_mults", int_array(context_dim_mults));
  o.set("channels", channels);
  o.set("context_channels", context_channels);
  o.set("embd_type", embd_type);
  o.set("compressor_dim", compressor_dim);
  o.set("compressor_dim_mults", int_array(compressor_dim_mults));
  o.set("reverse_dim_mults", int_array(reverse_dim_mults));
  o.set("hyper_dims_mults", int_array(hyper_dims_mults));
  o.set("out_channels", out_channels);
  o.set("num_timesteps", num_timesteps);
  o.set("var_schedule", to_string(schedule));
  o.set("pred_mode", to_string(pred_mode));
  o.set("default_steps", default_steps);
  o.set("default_gamma", default_gamma);
  return o.dump(indent);
}

ModelConfig ModelConfig::from_json(const std::string& text) {
  const json::Value o = json::Value::parse(text, kInvalid);
  if (!o.is_object()) fail(kInvalid, "model config: expected a JSON object");
  ModelConfig c;
  auto need = [&](const char* key) -> const json::Value& {
    const json::Value* v = o.find(key);
    if (v == nullptr) fail(kInvalid, "model config: missing key '{}'", key);
    return *v;
  };
  static const char* const kKeys[] = {
      "variant", "dim", "dim_mults", "context_dim_mults", "channels", "context_channels",
      "embd_type", "compressor_dim", "compressor_dim_mults", "reverse_dim_mults",
      "hyper_dims_mults", "out_channels", "num_timesteps", "var_schedule", "pred_mode",
      "default_steps", "default_gamma"};
  for (const auto& kv : o.items()) {
    if (std::find_if(std::begin(kKeys), std::end(kKeys),
                     [&](const char* k) { return kv.first == k; }) == std::end(kKeys))
      fail(kInvalid, "model config: unknown key '{}'", kv.first);
  }
  c.variant = parse_enum<ModelVariant>(need("variant").as_string("variant", kInvalid), "variant",
                                       {{"xparam", ModelVariant::kXParam},
                                        {"epsilonparam", ModelVariant::kEpsilonParam}});
  auto geti = [&](const char* key) {
    return static_cast<int>(need(key).as_int(key, kInvalid, 0, 1 << 24));
  };
  c.dim = geti("dim");
  c.dim_mults = read_int_array(need("dim_mults"), "dim_mults");
  c.context_dim_mults = read_int_array(need("context_dim_mults"), "context_dim_mults");
  c.channels = geti("channels");
  c.context_channels = geti("context_channels");
  c.embd_type = need("embd_type").as_string("embd_type", kInvalid);
  c.compressor_dim = geti("compressor_dim");
  c.compressor_dim_mults = read_int_array(need("compressor_dim_mults"), "compressor_dim_mults");
  c.reverse_dim_mults = read_int_array(need("reverse_dim_mults"), "reverse_dim_mults");
  c.hyper_dims_mults = read_int_array(need("hyper_dims_mults"), "hyper_dims_mults");
  c.out_channels = geti("out_channels");
  c.num_timesteps = geti("num_timesteps");
  c.schedule = parse_enum<NoiseSchedule>(
      need("var_schedule").as_string("var_schedule", kInvalid), "var_schedule",
      {{"cosine", NoiseSchedule::kCosine}, {"linear", NoiseSchedule::kLinear}});
  c.pred_mode = parse_enum<PredictionMode>(
      need("pred_mode").as_string("pred_mode", kInvalid), "pred_mode",
      {{"x", PredictionMode::kX}, {"noise", PredictionMode::kNoise}, {"v", PredictionMode::kV}});
  c.default_steps = geti("default_steps");
  c.default_gamma = need("default_gamma").as_number("default_gamma", kInvalid);
  c.validate();
  return c;
}

ModelConfig ModelConfig::preset(const std::string& name) {
  ModelConfig c;  // the defaults are the paper x-param config
  if (name == "paper-xparam") return c;
  if (name == "paper-epsilonparam") {
    c.variant = ModelVariant::kEpsilonParam;
    c.context_channels = 3;
    c.out_channels = 3;
    c.num_timesteps = 20000;
    c.schedule = NoiseSchedule::kLinear;
    c.pred_mode = PredictionMode::kNoise;
    c.default_steps = 200;  // the reference's test_epsilonparam.py
    return c;
  }
  if (name == "golden-eps8") {
    c = preset("paper-epsilonparam");
    c.dim = 8;
    c.compressor_dim = 8;
    return c;
  }
  if (name == "golden-x8") {
    c.dim = 8;
    c.compressor_dim = 8;
    c.context_channels = 8;
    c.out_channels = 8;
    return c;
  }
  if (name == "compact") {  // the layout of the built-in models
    c.dim = 8;
    c.context_dim_mults = {3, 6, 9, 12};
    c.compressor_dim = 24;
    c.context_channels = 24;
    c.out_channels = 24;
    c.default_steps = 1;
    c.default_gamma = 0.0;
    return c;
  }
  if (name == "small") {
    c.dim = 16;
    c.compressor_dim = 16;
    c.context_channels = 16;
    c.out_channels = 16;
    return c;
  }
  fail(CDC_STATUS_NOT_FOUND, "no model config preset named '{}'", name);
}

std::vector<std::string> ModelConfig::preset_names() {
  return {"paper-xparam", "paper-epsilonparam", "golden-x8", "golden-eps8", "compact", "small"};
}

bool ModelConfig::operator==(const ModelConfig& o) const {
  return variant == o.variant && dim == o.dim && dim_mults == o.dim_mults &&
         context_dim_mults == o.context_dim_mults && channels == o.channels &&
         context_channels == o.context_channels && embd_type == o.embd_type &&
         compressor_dim == o.compressor_dim && compressor_dim_mults == o.compressor_dim_mults &&
         reverse_dim_mults == o.reverse_dim_mults && hyper_dims_mults == o.hyper_dims_mults &&
         out_channels == o.out_channels && num_timesteps == o.num_timesteps &&
         schedule == o.schedule && pred_mode == o.pred_mode &&
         default_steps == o.default_steps && default_gamma == o.default_gamma;
}

}  // namespace cdc
