// Models of the C API, answered by the front: loading (the inference core's
// model; the engine's is made from the same bytes when needed), the built-in
// models and their quality ladder, and model information.
#include <algorithm>
#include <cstring>

#include "api/api_guard.h"
#include "api/front/front.h"
#include "common/codec_settings.h"
#include "model/builtin/builtin_models.h"

namespace {

cdc_model* wrap(std::shared_ptr<const cdc::InferenceModel> core) {
  auto handle = std::make_unique<cdc_model>();
  handle->config_json = core->config().to_json();
  handle->core = std::move(core);
  return handle.release();
}

// A built-in model's weights share the library's own copy of its file.
cdc_model* load_builtin(const cdc::BuiltinModelBlob& blob) {
  // The blob lives as long as the library: an owner that frees nothing.
  const std::shared_ptr<const void> library(blob.data, [](const void*) {});
  return wrap(cdc::InferenceModel::load(blob.data, blob.size, library, blob.name));
}

}  // namespace

using cdc::api::guarded;
using cdc::api::require;

extern "C" {

cdc_status cdc_model_load_file(const char* path, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  return guarded(nullptr, [&] {
    require(path, "path");
    require(model, "model");
    *model = wrap(cdc::InferenceModel::load_file(path));
  });
}

cdc_status cdc_model_load_memory(const void* data, size_t size, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  return guarded(nullptr, [&] {
    require(data, "data");
    require(model, "model");
    *model = wrap(cdc::InferenceModel::load_copy(static_cast<const uint8_t*>(data), size));
  });
}

cdc_status cdc_model_load_default(cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  return guarded(nullptr, [&] {
    require(model, "model");
    size_t count = 0;
    const cdc::BuiltinModelBlob* blobs = cdc::builtin_model_blobs(&count);
    if (count == 0) cdc::fail(CDC_STATUS_NOT_FOUND, "this build of libcdc has no built-in model");
    *model = load_builtin(blobs[0]);
  });
}

cdc_status cdc_model_load_builtin(const char* name, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  return guarded(nullptr, [&] {
    require(name, "name");
    require(model, "model");
    const cdc::BuiltinModelBlob* blob = cdc::find_builtin_model(name);
    if (blob == nullptr) cdc::fail(CDC_STATUS_NOT_FOUND, "no built-in model named '{}'", name);
    *model = load_builtin(*blob);
  });
}

cdc_status cdc_model_load(const char* name_or_path, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  return guarded(nullptr, [&] {
    require(model, "model");
    const cdc::ModelSource source =
        cdc::resolve_model_name(name_or_path != nullptr ? name_or_path : "");
    *model = source.builtin != nullptr ? load_builtin(*source.builtin)
                                       : wrap(cdc::InferenceModel::load_file(source.path));
  });
}

size_t cdc_builtin_model_count(void) {
  size_t count = 0;
  cdc::builtin_model_blobs(&count);
  return count;
}

const char* cdc_builtin_model_name(size_t index) {
  size_t count = 0;
  const cdc::BuiltinModelBlob* blobs = cdc::builtin_model_blobs(&count);
  return index < count ? blobs[index].name : nullptr;
}

const char* cdc_builtin_model_for_quality(int quality) {
  size_t count = 0;
  const char* const* ladder = cdc::builtin_quality_ladder(&count);
  if (count == 0 || quality < 1 || quality > 100) return nullptr;
  return ladder[0];
}

cdc_status cdc_quality_settings(int quality, const char** model_name, double* residual) {
  if (model_name != nullptr) *model_name = nullptr;
  if (residual != nullptr) *residual = 0;
  return guarded(nullptr, [&] {
    if (quality < 1 || quality > 100)
      cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "quality {} is outside 1..100", quality);
    const char* name = cdc_builtin_model_for_quality(quality);
    if (name == nullptr)
      cdc::fail(CDC_STATUS_NOT_FOUND, "this library has no built-in models");
    if (model_name != nullptr) *model_name = name;
    if (residual != nullptr) *residual = cdc::residual_step_for_quality(quality);
  });
}

void cdc_model_free(cdc_model* model) { delete model; }

cdc_status cdc_model_get_info(const cdc_model* model, cdc_model_info* info) {
  return guarded(nullptr, [&] {
    require(model, "model");
    require(info, "info");
    const size_t min_size = offsetof(cdc_model_info, name) + sizeof(const char*);
    if (info->struct_size < min_size)
      cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "info->struct_size ({}) is too small",
                info->struct_size);
    cdc_model_info full{};
    const cdc::InferenceModel& m = *model->core;
    full.struct_size = info->struct_size;
    full.name = m.name().c_str();
    full.id = m.id_hex().c_str();
    full.config_json = model->config_json.c_str();
    full.num_timesteps = static_cast<uint32_t>(m.config().num_timesteps);
    full.default_steps = static_cast<uint32_t>(m.config().default_steps);
    full.default_gamma = m.config().default_gamma;
    full.size_multiple = static_cast<uint32_t>(m.size_multiple());
    // The learned parameters (the schedule buffer is not one).
    full.parameter_count =
        static_cast<uint64_t>(m.config().parameter_count() - m.config().num_timesteps);
    full.rate_lambda = m.config().rate_lambda;
    std::memcpy(info, &full, std::min(info->struct_size, sizeof(full)));
  });
}

}  // extern "C"
