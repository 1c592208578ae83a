// Shared pieces of libcdc.so's front (api/engine_table.h says why the library
// is split): its handles, which hold the inference core's model and the
// codec settings and, made on first need, the engine's own handles; the
// engine, loaded on first use; and the front's errors.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "api/engine_table.h"
#include "common/codec_settings.h"
#include "model/inference_model.h"

// A model: the inference core's, and the engine's, made from the same model
// file bytes when a call needs libtorch.
struct cdc_model {
  std::shared_ptr<const cdc::InferenceModel> core;
  std::string config_json;  // for cdc_model_info::config_json
  std::mutex engine_mutex;
  cdc_model* engine = nullptr;  // the engine's handle (never dereferenced here)
  ~cdc_model();
};

// A context: the settings and progress callback, and the engine's context,
// given the same settings before each call forwarded to it.
struct cdc_context {
  cdc::CodecSettings settings;
  cdc_progress_fn progress = nullptr;
  void* progress_user = nullptr;
  std::string last_error;
  cdc_context* engine = nullptr;  // the engine's handle (never dereferenced here)
  ~cdc_context();
};

namespace cdc::front {

// The engine's table, loading the engine on the first call (once, thread-safe).
// NULL when it cannot be loaded; the failure is then recorded (fail) with a
// message that names the file and dlerror's reason.
const CdcEngineTable* engine() noexcept;
// The engine if it is loaded already; never loads it.
const CdcEngineTable* loaded_engine() noexcept;
// The engine, loading it; throws cdc::Error (INTERNAL_ERROR, saying why) when
// it cannot be loaded.
const CdcEngineTable& require_engine();

// Records a failure of the front itself on the calling thread (see
// cdc_last_error) and returns status.
cdc_status fail(cdc_status status, const char* message) noexcept;
// Makes the engine's message the calling thread's last one (after a
// forwarded call failed with status); returns status.
cdc_status engine_failed(cdc_status status) noexcept;

// The engine's handles for a front model / context (made on first use; the
// context's settings and progress callback copied to the engine's each
// time). Throw cdc::Error with the engine's status and message.
cdc_model* engine_model(cdc_model* model);
cdc_context* engine_context(cdc_context* context);
// Throws the engine's failure as a cdc::Error (its message: the context's
// when given, else the engine's thread-local one).
[[noreturn]] void throw_engine_error(cdc_status status, cdc_context* engine_context);

}  // namespace cdc::front
