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
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "entropy/entropy_tables.h"
#include "model/model_config.h"

namespace cdc {

struct HyperParameters {
  torch::Tensor mean;   // 1xCxhxw
  torch::Tensor scale;  // 1xCxhxw, >= the model's scale floor
};

// Called after each diffusion step with (step index done 1..total, total, the
// current x0 prediction 1x3xHxW in [-1, 1]). Returning false cancels.
using StepCallback = std::function<bool(int done, int total, const torch::Tensor& x0)>;

class Model {
 public:
  virtual ~Model() = default;

  // Loading (throws cdc::Error with CDC_STATUS_IO_ERROR / INVALID_MODEL /
  // UNSUPPORTED).
  static std::shared_ptr<const Model> load_file(const std::string& path);
  static std::shared_ptr<const Model> load_memory(const uint8_t* data, size_t size);

  virtual const ModelConfig& config() const = 0;
  virtual const std::string& name() const = 0;
  // 16-byte content hash; id_hex() is its 32-digit lowercase hex form.
  virtual const std::array<uint8_t, 16>& id() const = 0;
  virtual const std::string& id_hex() const = 0;
  virtual int64_t parameter_count() const = 0;
  virtual int size_multiple() const = 0;  // 64 for the paper layout

  // --- encoder side ---
  virtual torch::Tensor analysis(const torch::Tensor& x) const = 0;        // -> y
  virtual torch::Tensor hyper_analysis(const torch::Tensor& y) const = 0;  // -> z
  // Per-channel medians of the factorized prior, shape C (float32).
  virtual torch::Tensor prior_medians() const = 0;
  // Mean and scale of y from the quantized hyper-latent z_hat. With
  // deterministic = true the computation is done in float64 and the result
  // rounded to a fixed grid, so that encoder and decoder get bit-identical
  // values whatever the thread count (used by the codec); false is the
  // reference's float32 path (used by the parity tests).
  virtual HyperParameters hyper_synthesis(const torch::Tensor& z_hat,
                                          bool deterministic) const = 0;
  // Likelihoods for the rate estimate, as the reference computes them.
  virtual torch::Tensor prior_likelihood(const torch::Tensor& z_hat) const = 0;
  virtual torch::Tensor gaussian_likelihood(const torch::Tensor& y_hat,
                                            const HyperParameters& p) const = 0;

  // --- decoder side ---
  // Multi-scale context features from y_hat (finest first).
  virtual std::vector<torch::Tensor> context(const torch::Tensor& y_hat) const = 0;
  // One call of the conditional U-Net X_theta(x, t, context); t has shape Bx1.
  virtual torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& t,
                                const std::vector<torch::Tensor>& context) const = 0;
  // The DDIM-style decode from x_N = gamma * N(0, I) (seeded; gamma 0 gives
  // x_N = 0) in `steps` steps; returns x0 before clamping. Throws
  // cdc::Error(CDC_STATUS_CANCELLED) when the callback returns false.
  virtual torch::Tensor sample(const std::vector<torch::Tensor>& context, int steps,
                               double gamma, uint64_t seed,
                               const StepCallback& callback) const = 0;

  virtual const entropy::EntropyTables& entropy_tables() const = 0;
};

}  // namespace cdc
