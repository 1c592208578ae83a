// Making model files from networks: the entropy tables of a network's prior
// and the bytes of a complete .cdcm (used by checkpoint conversion, the
// trainer's export, tests and benchmarks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "entropy/entropy_tables.h"
#include "model/model_config.h"
#include "model/model_file.h"
#include "model/network.h"

namespace cdc {

// Builds the entropy tables of a network (its factorized prior and medians).
entropy::EntropyTables build_network_tables(const CdcNetworkImpl& network);

// The bytes of a complete model file for a config and its tensors (names as in
// network.h): checks the tensors against the config, builds the entropy
// tables and serializes.
// With WeightStorage::kFloat16 the weights are rounded to float16 first, so
// that the entropy tables and the stored network agree exactly.
std::vector<uint8_t> make_model_file(const ModelConfig& config, const std::string& name,
                                     const NamedTensors& tensors, const std::string& origin,
                                     WeightStorage storage = WeightStorage::kFloat32);

// A model with the torch default (random) initialisation, for tests and
// benchmarks. Deterministic for a given seed.
std::vector<uint8_t> make_random_model_file(const ModelConfig& config, const std::string& name,
                                            uint64_t seed);

}  // namespace cdc
