// The implementation of cdc::Model (model.h): the networks of network.h, the
// entropy tables and the identity read from a model file.
#pragma once

#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "model/network.h"

namespace cdc {

class CdcModel final : public Model {
 public:
  // Builds a model from its parts; `tensors` must match the config exactly
  // (see load_network_tensors). Throws cdc::Error(CDC_STATUS_INVALID_MODEL).
  CdcModel(ModelConfig config, std::string name, const NamedTensors& tensors,
           entropy::EntropyTables tables, std::array<uint8_t, 16> id, const std::string& origin);

  const ModelConfig& config() const override { return config_; }
  const std::string& name() const override { return name_; }
  const std::array<uint8_t, 16>& id() const override { return id_; }
  const std::string& id_hex() const override { return id_hex_; }
  int64_t parameter_count() const override { return parameter_count_; }
  int size_multiple() const override { return config_.size_multiple(); }

  torch::Tensor analysis(const torch::Tensor& x) const override;
  torch::Tensor hyper_analysis(const torch::Tensor& y) const override;
  torch::Tensor prior_medians() const override;
  HyperParameters hyper_synthesis(const torch::Tensor& z_hat, bool deterministic) const override;
  torch::Tensor prior_likelihood(const torch::Tensor& z_hat) const override;
  torch::Tensor gaussian_likelihood(const torch::Tensor& y_hat,
                                    const HyperParameters& p) const override;
  std::vector<torch::Tensor> context(const torch::Tensor& y_hat) const override;
  torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& t,
                        const std::vector<torch::Tensor>& context) const override;
  torch::Tensor sample(const std::vector<torch::Tensor>& context, int steps, double gamma,
                       uint64_t seed, const StepCallback& callback) const override;
  const entropy::EntropyTables& entropy_tables() const override { return tables_; }

  // Multiply-accumulates of one U-Net call at the given (padded) size.
  int64_t unet_macs(int64_t height, int64_t width) const;

 private:
  ModelConfig config_;
  std::string name_;
  std::array<uint8_t, 16> id_;
  std::string id_hex_;
  int64_t parameter_count_ = 0;
  CdcNetworkImpl& net() const { return *network_.ptr(); }
  torch::Tensor to_conv_format(const torch::Tensor& x) const { return x.contiguous(conv_format_); }

  torch::MemoryFormat conv_format_ = torch::MemoryFormat::ChannelsLast;
  CdcNetwork network_{nullptr};
  std::vector<torch::Tensor> hyper_dec_double_;
  entropy::EntropyTables tables_;
};

// Builds the entropy tables of a network (its factorized prior and medians).
entropy::EntropyTables build_network_tables(const CdcNetworkImpl& network);

// The bytes of a complete model file for a config and its tensors (names as in
// network.h): checks the tensors against the config, builds the entropy
// tables and serializes.
std::vector<uint8_t> make_model_file(const ModelConfig& config, const std::string& name,
                                     const NamedTensors& tensors, const std::string& origin);

// A model with the torch default (random) initialisation, for tests and
// benchmarks. Deterministic for a given seed.
std::vector<uint8_t> make_random_model_file(const ModelConfig& config, const std::string& name,
                                            uint64_t seed);

}  // namespace cdc
