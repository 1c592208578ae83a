// libFuzzer target: the model file parser. Inputs that start with the magic
// "CDCMODEL" go to read_model_file (built with
// FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which skips the section checksums
// and the model id so that mutations reach the fields behind them); any other
// input is a configuration for ModelConfig::from_json. Accepted inputs must be
// consistent: a config round-trips through JSON, a file's tensors hold the
// config's parameter count. Failures must be cdc::Error INVALID_MODEL (or
// UNSUPPORTED for a newer version); anything else aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"
#include "model/model_config.h"
#include "model/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    if (size >= 8 && std::memcmp(data, "CDCMODEL", 8) == 0) {
      const cdc::ModelFileContents m = cdc::read_model_file(data, size);
      int64_t total = 0;
      for (const auto& nt : m.tensors) total += nt.second.numel();
      if (total != m.config.parameter_count()) abort();
    } else {
      const cdc::ModelConfig c =
          cdc::ModelConfig::from_json(std::string(reinterpret_cast<const char*>(data), size));
      if (cdc::ModelConfig::from_json(c.to_json()) != c) abort();
      if (c.parameter_count() > cdc::ModelConfig::kMaxParameterCount) abort();
    }
  } catch (const cdc::Error& e) {
    if (e.status() != CDC_STATUS_INVALID_MODEL && e.status() != CDC_STATUS_UNSUPPORTED) abort();
  }
  return 0;
}
