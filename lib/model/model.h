// A loaded CDC model: configuration, weights (compressor and conditional
// U-Net), diffusion schedule and entropy tables. Immutable after loading and
// shared read-only by any number of threads (every method is const and
// thread-safe; callers hold a torch::NoGradGuard / InferenceMode themselves).
//
// Tensor conventions: images are 1x3xHxW float32 in [-1, 1] with H and W
// multiples of size_multiple(); latents are 1xCxhxw float32.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/codec_settings.h"
#include "diffusion/sampler.h"
#include "entropy/entropy_tables.h"
#include "model/model_config.h"
#include "model/network.h"

namespace cdc {
class ContextDecoderOneDnn;
class UNetOneDnn;
namespace onednn {
class BufferPool;
}
}  // namespace cdc

namespace cdc {

struct HyperParameters {
  torch::Tensor mean;   // 1xCxhxw
  torch::Tensor scale;  // 1xCxhxw, >= the model's scale floor
};

class Model {
 public:
  // Builds a model from its parts; `tensors` must match the config exactly
  // (see load_network_tensors). Throws cdc::Error(CDC_STATUS_INVALID_MODEL);
  // `origin` prefixes messages (e.g. the file name).
  Model(ModelConfig config, std::string name, NamedTensors tensors,
        entropy::EntropyTables tables, std::array<uint8_t, 16> id, const std::string& origin);

  // Loading (throws cdc::Error with CDC_STATUS_IO_ERROR / INVALID_MODEL /
  // UNSUPPORTED).
  static std::shared_ptr<const Model> load_file(const std::string& path);
  static std::shared_ptr<const Model> load_memory(const uint8_t* data, size_t size);

  const ModelConfig& config() const { return config_; }
  const std::string& name() const { return name_; }
  // 16-byte content hash; id_hex() is its 32-digit lowercase hex form.
  const std::array<uint8_t, 16>& id() const { return id_; }
  const std::string& id_hex() const { return id_hex_; }
  int64_t parameter_count() const { return parameter_count_; }
  int size_multiple() const { return config_.size_multiple(); }  // 64 for the paper layout
  const entropy::EntropyTables& entropy_tables() const { return tables_; }

  // --- encoder side ---
  // device: CDC_OPTION_DEVICE's value; the result is on the CPU either way.
  torch::Tensor analysis(const torch::Tensor& x, int device = kDeviceCpu) const;  // -> y
  torch::Tensor hyper_analysis(const torch::Tensor& y) const;  // -> z
  // Per-channel medians of the factorized prior, shape C (float32).
  torch::Tensor prior_medians() const;
  // Mean and scale of y from the quantized hyper-latent z_hat. With
  // deterministic = true the computation is done in float64 and the result
  // rounded to a fixed grid, so that encoder and decoder get bit-identical
  // values whatever the thread count (used by the codec); false is the
  // reference's float32 path (used by the parity tests).
  HyperParameters hyper_synthesis(const torch::Tensor& z_hat, bool deterministic) const;
  // Likelihoods for the rate estimate, as the reference computes them.
  torch::Tensor prior_likelihood(const torch::Tensor& z_hat) const;
  torch::Tensor gaussian_likelihood(const torch::Tensor& y_hat, const HyperParameters& p) const;

  // --- decoder side ---
  // Multi-scale context features from y_hat (finest first), on `device`
  // (CDC_OPTION_DEVICE's value); sample() runs the U-Net where they are.
  std::vector<torch::Tensor> context(const torch::Tensor& y_hat, int device = kDeviceCpu) const;
  // One call of the conditional U-Net X_theta(x, t, context); t has shape Bx1.
  // pool (optional): where the oneDNN path takes its buffers from; pass the
  // same one to repeated calls to reuse them.
  torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& t,
                        const std::vector<torch::Tensor>& context,
                        onednn::BufferPool* pool = nullptr) const;
  // The DDIM-style decode from x_N = gamma * N(0, I) (seeded; gamma 0 gives
  // x_N = 0) with the settings' steps (1..T), gamma (>= 0) and seed (see
  // decoding_settings() for the model's defaults); returns x0 before clamping.
  // Throws cdc::Error(CDC_STATUS_CANCELLED) when the callback returns false.
  // A defined `start` (1x3xHxW, the context's size) is used as x_N instead.
  // `context` is taken by value: pass it with std::move to let the decode
  // free what the steps no longer need. The U-Net runs on the context's device; the sampler's arithmetic, the
  // previews and the result stay on the CPU.
  torch::Tensor sample(std::vector<torch::Tensor> context, const CodecSettings& settings,
                       const StepCallback& callback, const torch::Tensor& start = {}) const;
  // The settings with the model's decoding defaults filled in: steps 0 ->
  // the default steps, steps above T -> T, gamma < 0 -> the default gamma.
  CodecSettings decoding_settings(const CodecSettings& settings) const;

  // Multiply-accumulates of one U-Net call at the given (padded) size.
  int64_t unet_macs(int64_t height, int64_t width) const;

 private:
  CdcNetworkImpl& net() const { return *network_.ptr(); }
  // The networks on a device: the model's own on the CPU; on CUDA a copy
  // made on first use (throws CDC_STATUS_UNSUPPORTED where CUDA cannot run).
  CdcNetworkImpl& net_on(int device) const;
  torch::Tensor to_conv_format(const torch::Tensor& x) const { return x.contiguous(conv_format_); }
  // The U-Net on the oneDNN path (built on first use), or null where that
  // path does not apply: gradients on (encoder effort), autocast (bfloat16),
  // or CDC_ONEDNN=0 in the environment.
  const UNetOneDnn* unet_onednn() const;
  // The context decoder on the oneDNN path, under the same conditions.
  const ContextDecoderOneDnn* context_onednn() const;

  ModelConfig config_;
  std::string name_;
  std::array<uint8_t, 16> id_;
  std::string id_hex_;
  int64_t parameter_count_ = 0;
  torch::MemoryFormat conv_format_ = torch::MemoryFormat::ChannelsLast;
  CdcNetwork network_{nullptr};
  std::vector<torch::Tensor> hyper_dec_double_;
  entropy::EntropyTables tables_;
  mutable std::once_flag unet_onednn_once_;
  mutable std::shared_ptr<const UNetOneDnn> unet_onednn_;
  mutable std::mutex cuda_mutex_;
  mutable CdcNetwork cuda_network_{nullptr};
  mutable std::once_flag context_onednn_once_;
  mutable std::shared_ptr<const ContextDecoderOneDnn> context_onednn_;
};

}  // namespace cdc
