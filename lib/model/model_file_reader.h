// Reading the libcdc model file (.cdcm, docs/model-format.md) without
// libtorch: parse_model_file checks a file in memory and returns views of its
// parts; the torch side (model_file.h) and the inference core build on it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/float_tensor.h"
#include "model/model_config.h"

namespace cdc {

// The newest model file format version this library reads and writes
// (version 2 added float16 tensors).
constexpr uint32_t kModelFileVersion = 2;

// One tensor of a model file: little-endian float32 or float16 values at data.
struct ModelFileTensorView {
  std::string name;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // inside the file's bytes, 64-byte aligned there
  uint64_t numel = 0;
  bool float16 = false;  // stored as IEEE binary16 (else float32)
};

struct ModelFileView {
  ModelConfig config;
  std::string name;
  std::vector<ModelFileTensorView> tensors;
  const uint8_t* entropy_tables = nullptr;  // EntropyTables::serialize() bytes
  size_t entropy_size = 0;
  std::array<uint8_t, 16> id{};
};

// Parses and checks a model file (bounds, alignment, zero padding, checksums,
// id, UTF-8 name and config, the tensors' element total against the config's
// parameter_count()). Throws cdc::Error: INVALID_MODEL for a truncated,
// foreign or corrupted file, UNSUPPORTED for a newer format version. The
// views point into data. Tensor names and shapes are checked against the
// config later, when a network is built.
ModelFileView parse_model_file(const uint8_t* data, size_t size);

// Rethrows a loading error with origin (e.g. the file name) in front of its
// message, where the status is INVALID_MODEL or UNSUPPORTED and the message
// does not start with it already; other errors unchanged.
[[noreturn]] void rethrow_with_origin(const Error& e, const std::string& origin);

// A tensor's values as float32: sharing the file's bytes (kept alive by
// owner, which holds them) where they are float32, the host is little-endian
// and they are aligned, else a converted copy (float16 values widen exactly).
FloatTensor tensor_values(const ModelFileTensorView& tensor, const std::shared_ptr<const void>& owner);

}  // namespace cdc
