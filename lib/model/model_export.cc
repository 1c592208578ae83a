#include "model/model_export.h"

#include "model/model_file.h"

namespace cdc {

entropy::EntropyTables build_network_tables(const CdcNetworkImpl& network) {
  torch::NoGradGuard no_grad;
  const FactorizedPriorImpl& prior = *network.context_fn->prior;
  torch::Tensor med = prior.medians().to(torch::kFloat64).contiguous();
  std::vector<double> medians(med.data_ptr<double>(), med.data_ptr<double>() + med.numel());
  return entropy::build_entropy_tables(
      static_cast<int>(prior.channels()),
      [&prior](int channel, const std::vector<double>& points) {
        return prior.cdf_logit_double(channel, points);
      },
      medians);
}

std::vector<uint8_t> make_model_file(const ModelConfig& config, const std::string& name,
                                     const NamedTensors& tensors, const std::string& origin,
                                     WeightStorage storage) {
  torch::NoGradGuard no_grad;
  check_tensor_total(config, tensors, origin);
  CdcNetwork network(config);
  load_network_tensors(*network, storage == WeightStorage::kFloat16 ? rounded_to_float16(tensors) : tensors,
                       origin);
  const entropy::EntropyTables tables = build_network_tables(*network);
  return write_model_file(config, name, network_tensors(*network), tables.serialize(), nullptr,
                          storage);
}

std::vector<uint8_t> make_random_model_file(const ModelConfig& config, const std::string& name,
                                            uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  CdcNetwork network(config);
  // torch's default init leaves the prior at zero; give it a proper density.
  network->context_fn->prior->reset_parameters();
  // LayerNorm gains and time-embedding weights are fine with torch's init.
  const entropy::EntropyTables tables = build_network_tables(*network);
  return write_model_file(config, name, network_tensors(*network), tables.serialize());
}

}  // namespace cdc
