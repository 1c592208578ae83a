#include "model/network.h"

#include <unordered_map>

#include "common/error.h"
#include "diffusion/noise_schedule.h"

namespace cdc {

CompressorImpl::CompressorImpl(const ModelConfig& config) {
  // Registration order follows the reference's state dict.
  prior = register_module("prior", FactorizedPrior(config.hyper_latent_channels()));
  enc = register_module("enc", AnalysisTransform(config));
  dec = register_module("dec", ContextDecoder(config));
  hyper_enc = register_module("hyper_enc", HyperAnalysis(config));
  hyper_dec = register_module("hyper_dec", HyperSynthesis(config));
}

CdcNetworkImpl::CdcNetworkImpl(const ModelConfig& config) {
  config.validate();
  train_alphas_cumprod = register_buffer(
      "train_alphas_cumprod", alphas_cumprod_tensor(config.schedule, config.num_timesteps));
  denoise_fn = register_module("denoise_fn", UNet(config));
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

void load_network_tensors(CdcNetworkImpl& network, const NamedTensors& tensors,
                          const std::string& origin) {
  torch::NoGradGuard no_grad;
  std::unordered_map<std::string, torch::Tensor> targets;
  for (auto& nt : network_tensors(network)) targets.emplace(nt.first, nt.second);
  std::unordered_map<std::string, bool> seen;
  for (const auto& [name, src] : tensors) {
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
  }
  for (const auto& [name, dst] : targets) {
    (void)dst;
    if (!seen.count(name))
      fail(CDC_STATUS_INVALID_MODEL, "{}: missing tensor '{}'", origin, name);
  }
}

}  // namespace cdc
