#include "model/network.h"

#include <unordered_map>

#include "common/error.h"
#include "diffusion/noise_schedule.h"

namespace cdc {

namespace {

// compressor_dim * each multiplier.
std::vector<int64_t> widths(int base, const std::vector<int>& mults) {
  std::vector<int64_t> out;
  for (int m : mults) out.push_back(int64_t{base} * m);
  return out;
}

}  // namespace

CompressorImpl::CompressorImpl(const ModelConfig& config) {
  const bool identity_slots = config.variant == ModelVariant::kEpsilonParam;
  const int64_t latent = config.latent_channels();
  const std::vector<int64_t> hyper = widths(config.compressor_dim, config.hyper_dims_mults);
  std::vector<int64_t> context = widths(config.compressor_dim, config.reverse_dim_mults);
  context.push_back(config.out_channels);
  // Registration order follows the reference's state dict.
  prior = register_module("prior", FactorizedPrior(config.hyper_latent_channels()));
  enc = register_module(
      "enc", AnalysisTransform(config.channels,
                               widths(config.compressor_dim, config.compressor_dim_mults),
                               identity_slots));
  dec = register_module("dec", ContextDecoder(context, identity_slots));
  hyper_enc = register_module("hyper_enc", HyperAnalysis(latent, hyper));
  hyper_dec = register_module("hyper_dec", HyperSynthesis(latent, hyper));
}

CdcNetworkImpl::CdcNetworkImpl(const ModelConfig& config) {
  config.validate();
  train_alphas_cumprod = register_buffer(
      "train_alphas_cumprod", alphas_cumprod_tensor(config.schedule, config.num_timesteps));
  denoise_fn = register_module("denoise_fn", UNet(config.unet_params()));
  context_fn = register_module("context_fn", Compressor(config));
}

NamedTensors network_tensors(const CdcNetworkImpl& network) {
  NamedTensors out;
  for (const auto& b : network.named_buffers(true)) out.emplace_back(b.key(), b.value());
  for (const auto& p : network.named_parameters(true)) out.emplace_back(p.key(), p.value());
  return out;
}

namespace {
std::string shape_string(torch::IntArrayRef s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out.empty() ? "scalar" : out;
}
}  // namespace

void check_tensor_total(const ModelConfig& config, const NamedTensors& tensors,
                        const std::string& origin) {
  int64_t total = 0;
  for (const auto& nt : tensors) {
    if (nt.second.numel() > ModelConfig::kMaxParameterCount - total) {
      total = ModelConfig::kMaxParameterCount + 1;
      break;
    }
    total += nt.second.numel();
  }
  const int64_t expected = config.parameter_count();
  if (total != expected)
    fail(CDC_STATUS_INVALID_MODEL, "{}: the tensors hold {} elements but the configuration needs {}",
         origin, total > ModelConfig::kMaxParameterCount ? std::string("too many")
                                                         : std::to_string(total),
         expected);
}

namespace {

// release: each source tensor is dropped once copied, so that a caller that
// owns the only reference does not hold two copies of the weights at once.
void load_tensors(CdcNetworkImpl& network, NamedTensors& tensors, const std::string& origin,
                  bool release) {
  torch::NoGradGuard no_grad;
  std::unordered_map<std::string, torch::Tensor> targets;
  for (auto& nt : network_tensors(network)) targets.emplace(nt.first, nt.second);
  std::unordered_map<std::string, bool> seen;
  for (auto& [name, src] : tensors) {
    auto it = targets.find(name);
    if (it == targets.end())
      fail(CDC_STATUS_INVALID_MODEL, "{}: unexpected tensor '{}' (not part of this configuration)",
           origin, name);
    if (seen.count(name))
      fail(CDC_STATUS_INVALID_MODEL, "{}: tensor '{}' given twice", origin, name);
    seen[name] = true;
    torch::Tensor dst = it->second;
    if (src.sizes() != dst.sizes())
      fail(CDC_STATUS_INVALID_MODEL, "{}: tensor '{}' has shape {} but the configuration needs {}",
           origin, name, shape_string(src.sizes()), shape_string(dst.sizes()));
    if (!src.is_floating_point())
      fail(CDC_STATUS_INVALID_MODEL, "{}: tensor '{}' is not floating point", origin, name);
    torch::Tensor value = src.to(torch::kFloat32);
    if (!torch::isfinite(value).all().item<bool>())
      fail(CDC_STATUS_INVALID_MODEL, "{}: tensor '{}' holds non-finite values", origin, name);
    dst.copy_(value);
    if (release) {
      value = torch::Tensor();
      src = torch::Tensor();
    }
  }
  for (const auto& [name, dst] : targets) {
    (void)dst;
    if (!seen.count(name))
      fail(CDC_STATUS_INVALID_MODEL, "{}: missing tensor '{}'", origin, name);
  }
}

}  // namespace

void load_network_tensors(CdcNetworkImpl& network, const NamedTensors& tensors,
                          const std::string& origin) {
  NamedTensors shared = tensors;  // handles only: the storage stays the caller's
  load_tensors(network, shared, origin, false);
}

void load_network_tensors(CdcNetworkImpl& network, NamedTensors&& tensors,
                          const std::string& origin) {
  load_tensors(network, tensors, origin, true);
  tensors.clear();
}

}  // namespace cdc
