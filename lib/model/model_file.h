// The libcdc model file (.cdcm), documented in docs/model-format.md:
// a 64-byte header (magic, version, section table), then 64-byte aligned
// sections: config (JSON), name, tensors (float32), entropy tables. The model
// id is the XXH3-128 hash of the config, tensor and entropy sections.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/model_config.h"
#include "model/model_file_reader.h"

namespace cdc {

struct ModelFileContents {
  ModelConfig config;
  std::string name;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;  // float32, contiguous
  std::vector<uint8_t> entropy_tables;  // EntropyTables::serialize() bytes
  std::array<uint8_t, 16> id{};
};

// Serializes a model file; the id is computed here (and returned in *id if
// not null). Tensors are written as float32.
std::vector<uint8_t> write_model_file(const ModelConfig& config, const std::string& name,
                                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                      const std::vector<uint8_t>& entropy_tables,
                                      std::array<uint8_t, 16>* id = nullptr);

// Parses and checks a model file (bounds, alignment, zero padding, checksums,
// id, UTF-8 name and config, the tensors' element total against the config's
// parameter_count()). Throws cdc::Error: INVALID_MODEL for a truncated,
// foreign or corrupted file, UNSUPPORTED for a newer format version. Tensor
// names and shapes are checked against the config later, when the network is
// built.
ModelFileContents read_model_file(const uint8_t* data, size_t size);

}  // namespace cdc
