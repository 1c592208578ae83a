// The networks of a CDC model as one torch::nn module tree whose parameter
// names are the reference's state-dict keys (without the "ema_model." prefix):
//   context_fn.{enc, hyper_enc, hyper_dec, dec, prior}.*   the compressor
//   denoise_fn.*                                          the U-Net
//   train_alphas_cumprod                                  the schedule (buffer)
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "analysis/analysis_transform.h"
#include "context/context_decoder.h"
#include "diffusion/unet.h"
#include "hyperprior/factorized_prior.h"
#include "hyperprior/hyper_transforms.h"
#include "model/model_config.h"

namespace cdc {

// The reference's compressor (context_fn).
class CompressorImpl : public torch::nn::Module {
 public:
  explicit CompressorImpl(const ModelConfig& config);

  AnalysisTransform enc{nullptr};
  HyperAnalysis hyper_enc{nullptr};
  HyperSynthesis hyper_dec{nullptr};
  ContextDecoder dec{nullptr};
  FactorizedPrior prior{nullptr};
};
TORCH_MODULE(Compressor);

class CdcNetworkImpl : public torch::nn::Module {
 public:
  explicit CdcNetworkImpl(const ModelConfig& config);

  Compressor context_fn{nullptr};
  UNet denoise_fn{nullptr};
  torch::Tensor train_alphas_cumprod;  // float32, shape T
};
TORCH_MODULE(CdcNetwork);

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Every parameter and buffer with its name, in registration order.
NamedTensors network_tensors(const CdcNetworkImpl& network);

// Throws cdc::Error(CDC_STATUS_INVALID_MODEL) unless `tensors` hold exactly
// config.parameter_count() elements: called before a network is built for
// them, so that a config far bigger than its weights is refused at once.
void check_tensor_total(const ModelConfig& config, const NamedTensors& tensors,
                        const std::string& origin);

// Copies `tensors` into the network. Each of the network's tensors must be
// given exactly once with its exact shape, and nothing else; otherwise
// cdc::Error(CDC_STATUS_INVALID_MODEL) names the first offending tensor.
// `origin` prefixes messages (e.g. the file name).
void load_network_tensors(CdcNetworkImpl& network, const NamedTensors& tensors,
                          const std::string& origin);
// The same, taking the tensors over: each is released once copied (model
// loading holds one copy of the weights at a time, not two).
void load_network_tensors(CdcNetworkImpl& network, NamedTensors&& tensors,
                          const std::string& origin);

}  // namespace cdc
