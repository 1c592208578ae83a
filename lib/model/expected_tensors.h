// The names and shapes of every tensor a model of a given config holds (the
// reference state dict's keys without "ema_model.", as model/network.cc
// builds them), computed without building a network: the inference core
// checks a model file against it before it reads a weight.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace cdc {

std::map<std::string, std::vector<int64_t>> expected_tensors(const ModelConfig& config);

}  // namespace cdc
