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

// How a model file stores its weights.
enum class WeightStorage {
  kFloat32,  // every tensor float32 (format version 1)
  kFloat16,  // the network's weights float16, see stored_as_float16 (version 2)
};

// Whether a tensor is stored as float16 under WeightStorage::kFloat16: the
// weights of convolutions and linear layers (2 or more dimensions) outside the
// factorized prior, when every value is finite and within float16's range.
// Biases, norms, the prior (which the entropy tables come from) and the
// diffusion schedule stay float32; together they are under 1% of the bytes.
bool stored_as_float16(const std::string& name, const torch::Tensor& tensor);

// The tensors with those stored_as_float16 rounded to float16 values (kept
// as float32 tensors): the network a float16 file holds, exactly.
std::vector<std::pair<std::string, torch::Tensor>> rounded_to_float16(
    const std::vector<std::pair<std::string, torch::Tensor>>& tensors);

struct ModelFileContents {
  ModelConfig config;
  std::string name;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;  // float32, contiguous
  std::vector<uint8_t> entropy_tables;  // EntropyTables::serialize() bytes
  std::array<uint8_t, 16> id{};
  WeightStorage storage = WeightStorage::kFloat32;  // kFloat16 if any tensor is float16
};

// Serializes a model file; the id is computed here (and returned in *id if
// not null). Tensors are written as float32, or with kFloat16 those that
// stored_as_float16 picks as float16 (their values rounded to nearest; pass
// rounded_to_float16 tensors for a lossless write) in a version 2 file.
std::vector<uint8_t> write_model_file(const ModelConfig& config, const std::string& name,
                                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                      const std::vector<uint8_t>& entropy_tables,
                                      std::array<uint8_t, 16>* id = nullptr,
                                      WeightStorage storage = WeightStorage::kFloat32);

// Parses and checks a model file (bounds, alignment, zero padding, checksums,
// id, UTF-8 name and config, the tensors' element total against the config's
// parameter_count()). Throws cdc::Error: INVALID_MODEL for a truncated,
// foreign or corrupted file, UNSUPPORTED for a newer format version. Tensor
// names and shapes are checked against the config later, when the network is
// built.
ModelFileContents read_model_file(const uint8_t* data, size_t size);

}  // namespace cdc
