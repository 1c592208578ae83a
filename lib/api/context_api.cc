// Contexts, options and progress callbacks of the C API.
#include "api/api_internal.h"
#include "model/compute_device.h"

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
    // The device's availability needs libtorch, so it is checked here, in
    // the engine, rather than in the option table that the front shares.
    if (option == CDC_OPTION_DEVICE && value == cdc::kDeviceCuda)
      cdc::check_device_available(cdc::kDeviceCuda);
    cdc::set_option(context->settings, option, value);
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
