// Models of the engine: made by the front from a model file's bytes (see
// api/engine_table.h), and checkpoint conversion.
#include <algorithm>
#include <cstring>

#include "api/api_internal.h"
#include "convert/checkpoint_import.h"

namespace {

cdc_model* wrap(std::shared_ptr<const cdc::Model> model) {
  auto handle = std::make_unique<cdc_model>();
  handle->model = std::move(model);
  return handle.release();
}

}  // namespace

using cdc::api::guarded;
using cdc::api::require;

extern "C" {

cdc_status cdc_model_load_memory(const void* data, size_t size, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  return guarded(nullptr, [&] {
    require(data, "data");
    require(model, "model");
    *model = wrap(cdc::Model::load_memory(static_cast<const uint8_t*>(data), size));
  });
}

void cdc_model_free(cdc_model* model) { delete model; }

cdc_status cdc_convert_checkpoint(const char* checkpoint_path, const char* output_path,
                                  const cdc_convert_options* options) {
  return guarded(nullptr, [&] {
    require(checkpoint_path, "checkpoint_path");
    require(output_path, "output_path");
    cdc::ConvertOptions convert;
    if (options != nullptr) {
      const size_t min_size = offsetof(cdc_convert_options, name) + sizeof(const char*);
      if (options->struct_size < min_size)
        cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "options->struct_size ({}) is too small",
                  options->struct_size);
      cdc_convert_options full{};
      full.default_gamma = -1.0;
      std::memcpy(&full, options, std::min(options->struct_size, sizeof(full)));
      if (full.name != nullptr) convert.name = full.name;
      if (full.default_steps > 0) convert.default_steps = static_cast<int>(full.default_steps);
      if (!(full.default_gamma <= 10.0))
        cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "default_gamma {} is out of range",
                  full.default_gamma);
      convert.default_gamma = full.default_gamma;
      if (!(full.rate_lambda <= 100.0))
        cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "rate_lambda {} is out of range", full.rate_lambda);
      convert.rate_lambda = full.rate_lambda;
      switch (full.weight_format) {
        case CDC_WEIGHTS_KEEP: break;
        case CDC_WEIGHTS_FLOAT32: convert.storage = cdc::WeightStorage::kFloat32; break;
        case CDC_WEIGHTS_FLOAT16: convert.storage = cdc::WeightStorage::kFloat16; break;
        default:
          cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "weight_format {} is not a cdc_weight_format",
                    full.weight_format);
      }
    }
    cdc::convert_checkpoint(checkpoint_path, output_path, convert);
  });
}

}  // extern "C"
