// Contexts, options and progress callbacks of the C API, answered by the
// front. Only a CUDA device needs the engine: whether CUDA can run is a
// question for libtorch.
#include "api/api_guard.h"
#include "api/front/front.h"

using cdc::api::guarded;
using cdc::api::require;

extern "C" {

cdc_status cdc_context_create(cdc_context** context) {
  if (context != nullptr) *context = nullptr;
  return guarded(nullptr, [&] {
    require(context, "context");
    *context = new cdc_context();
  });
}

void cdc_context_free(cdc_context* context) { delete context; }

const char* cdc_context_last_error(const cdc_context* context) {
  return context != nullptr ? context->last_error.c_str() : "";
}

cdc_status cdc_context_set_option(cdc_context* context, cdc_option option, double value) {
  return guarded(context, [&] {
    require(context, "context");
    cdc::CodecSettings settings = context->settings;
    cdc::set_option(settings, option, value);
    if (option == CDC_OPTION_DEVICE && value == cdc::kDeviceCuda) {
      // The engine checks that CUDA can run (and keeps its context in step).
      const CdcEngineTable& e = cdc::front::require_engine();
      cdc_context* engine = cdc::front::engine_context(context);
      const cdc_status status = e.cdc_context_set_option(engine, option, value);
      if (status != CDC_STATUS_OK) cdc::front::throw_engine_error(status, engine);
    }
    context->settings = settings;
  });
}

cdc_status cdc_context_get_option(const cdc_context* context, cdc_option option, double* value) {
  return guarded(nullptr, [&] {
    require(context, "context");
    require(value, "value");
    *value = cdc::get_option(context->settings, option);
  });
}

cdc_status cdc_context_set_progress(cdc_context* context, cdc_progress_fn fn, void* user) {
  return guarded(context, [&] {
    require(context, "context");
    context->progress = fn;
    context->progress_user = fn != nullptr ? user : nullptr;
  });
}

}  // extern "C"
