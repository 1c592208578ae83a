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
  if (!(rate_lambda >= 0.0 && rate_lambda <= 100.0))
    fail(kInvalid, "model config: rate_lambda is {} (expected 0..100)", rate_lambda);
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
  // The limits above still allow terabyte-scale networks; a loader must not
  // be asked to build one.
  const int64_t params = parameter_count();
  if (params > kMaxParameterCount)
    fail(kInvalid, "model config: the network would have {} parameters (at most {})", params,
         kMaxParameterCount);
}

namespace {

// Element counts of the building blocks of lib/nn (weights and biases).
int64_t linear_count(int64_t in, int64_t out) { return in * out + out; }
int64_t conv_count(int64_t in, int64_t out, int64_t k, bool bias = true) {
  return in * out * k * k + (bias ? out : 0);
}
int64_t layer_norm_count(int64_t dim) { return 2 * dim; }
int64_t block_count(int64_t in, int64_t out, bool large) {
  return conv_count(in, out, large ? 7 : 3) + layer_norm_count(out);
}
int64_t resnet_count(int64_t in, int64_t out, int64_t time_dim, bool large) {
  return (time_dim > 0 ? linear_count(time_dim, out) : 0) + block_count(in, out, large) +
         block_count(out, out, false) + (in != out ? conv_count(in, out, 1) : 0);
}
int64_t attention_count(int64_t dim) {
  return layer_norm_count(dim) + conv_count(dim, 3 * dim, 1, false) + conv_count(dim, dim, 1);
}
int64_t downsample_count(int64_t in, int64_t out) { return conv_count(in, out, 3); }
int64_t upsample_count(int64_t in, int64_t out) { return conv_count(in, out, 4); }

// diffusion/unet.cc
int64_t unet_count(const ModelConfig& c) {
  const int64_t d = c.dim, time_dim = d;
  int64_t n = linear_count(1, 4 * d) + linear_count(4 * d, d);
  std::vector<int64_t> dims{c.channels};
  for (int m : c.dim_mults) dims.push_back(d * m);
  std::vector<int64_t> ctx{c.context_channels};
  for (int m : c.context_dim_mults) ctx.push_back(d * m);
  const size_t levels = dims.size() - 1;
  for (size_t i = 0; i < levels; ++i) {
    const bool last = i + 1 == levels;
    const bool with_ctx = !last && i < ctx.size() - 1;
    n += resnet_count(dims[i] + (with_ctx ? ctx[i] : 0), dims[i + 1], time_dim, i == 0);
    n += resnet_count(dims[i + 1], dims[i + 1], time_dim, false);
    n += attention_count(dims[i + 1]);
    if (!last) n += downsample_count(dims[i + 1], dims[i + 1]);
  }
  const int64_t mid = dims.back();
  n += 2 * resnet_count(mid, mid, time_dim, false) + attention_count(mid);
  for (size_t j = levels - 1; j >= 1; --j) {
    const int64_t dim_in = dims[j], dim_out = dims[j + 1];
    n += resnet_count(dim_out * 2, dim_in, time_dim, false);
    n += resnet_count(dim_in, dim_in, time_dim, false);
    n += attention_count(dim_in) + upsample_count(dim_in, dim_in);
  }
  return n + layer_norm_count(d) + conv_count(d, c.channels, 7);
}

// model/network.cc's Compressor: hyperprior/factorized_prior.cc,
// analysis/analysis_transform.cc, context/context_decoder.cc,
// hyperprior/hyper_transforms.cc.
int64_t compressor_count(const ModelConfig& c) {
  const int64_t base = c.compressor_dim;
  // Factorized prior: per channel, affine maps 1 -> 3 -> 3 -> 3 -> 1 (weights
  // and biases), factors after the first three, and the median.
  const int64_t z = c.hyper_latent_channels();
  const int64_t filters[] = {1, 3, 3, 3, 1};
  int64_t n = z;
  for (size_t i = 0; i + 1 < 5; ++i) {
    n += z * filters[i] * filters[i + 1] + z * filters[i + 1];
    if (i + 2 < 5) n += z * filters[i + 1];
  }
  // Analysis transform.
  int64_t in = c.channels;
  for (size_t i = 0; i < c.compressor_dim_mults.size(); ++i) {
    const int64_t out = base * c.compressor_dim_mults[i];
    n += resnet_count(in, out, 0, i == 0) + downsample_count(out, out);
    in = out;
  }
  // Context decoder: the last stage keeps its width in the resnet block.
  std::vector<int64_t> dims;
  for (int m : c.reverse_dim_mults) dims.push_back(base * m);
  dims.push_back(c.out_channels);
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    const int64_t mid = i + 2 == dims.size() ? dims[i] : dims[i + 1];
    n += resnet_count(dims[i], mid, 0, false) + upsample_count(mid, dims[i + 1]);
  }
  // Hyper analysis (3x3, then 5x5 convs) and synthesis (5x5 transposed convs
  // from z's width back up, then a 3x3 conv to mean and scale).
  const int64_t latent = c.latent_channels();
  std::vector<int64_t> hyper{latent};
  for (int m : c.hyper_dims_mults) hyper.push_back(base * m);
  for (size_t i = 0; i + 1 < hyper.size(); ++i)
    n += conv_count(hyper[i], hyper[i + 1], i == 0 ? 3 : 5);
  hyper.front() = 2 * latent;
  std::reverse(hyper.begin(), hyper.end());
  for (size_t i = 0; i + 1 < hyper.size(); ++i)
    n += conv_count(hyper[i], hyper[i + 1], i + 2 < hyper.size() ? 5 : 3);
  return n;
}

}  // namespace

int64_t ModelConfig::parameter_count() const {
  // The schedule buffer train_alphas_cumprod, the U-Net and the compressor.
  return num_timesteps + unet_count(*this) + compressor_count(*this);
}

int ModelConfig::size_multiple() const {
  // Compressor: 2^stages to the latent, then 2^(hyper stages - 1) to the
  // hyper-latent. U-Net: 2^(levels - 1).
  const int compressor = (1 << compressor_dim_mults.size()) *
                         (1 << (hyper_dims_mults.size() - 1));
  const int unet = 1 << (dim_mults.size() - 1);
  return std::max(compressor, unet);
}

UNetParams ModelConfig::unet_params() const {
  UNetParams unet;
  unet.dim = dim;
  unet.dim_mults = dim_mults;
  unet.context_dim_mults = context_dim_mults;
  unet.channels = channels;
  unet.context_channels = context_channels;
  return unet;
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
  if (rate_lambda > 0) o.set("rate_lambda", rate_lambda);
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
      "default_steps", "default_gamma", "rate_lambda"};
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
  if (const json::Value* v = o.find("rate_lambda")) c.rate_lambda = v->as_number("rate_lambda", kInvalid);
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
         default_steps == o.default_steps && default_gamma == o.default_gamma &&
         rate_lambda == o.rate_lambda;
}

CodecSettings decoding_settings_for(const ModelConfig& config, const CodecSettings& settings) {
  CodecSettings s = settings;
  if (s.steps > config.num_timesteps)
    fail(CDC_STATUS_INVALID_ARGUMENT,
         "{} decoding steps asked: the model has {} timesteps, at most that many steps", s.steps,
         config.num_timesteps);
  s.steps = s.steps > 0 ? s.steps : config.default_steps;
  if (s.gamma < 0) s.gamma = config.default_gamma;
  return s;
}

}  // namespace cdc
