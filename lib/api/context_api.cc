// Contexts, options and progress callbacks of the C API.
#include <cmath>

#include "api/api_internal.h"

namespace {

struct OptionSpec {
  double min, max, def;
  bool integral;
};

bool option_spec(cdc_option option, OptionSpec* spec) {
  switch (option) {
    case CDC_OPTION_THREADS: *spec = {0, 1024, 0, true}; return true;
    case CDC_OPTION_STEPS: *spec = {0, 65536, 0, true}; return true;
    case CDC_OPTION_GAMMA: *spec = {-1, 10, -1, false}; return true;
    case CDC_OPTION_SEED: *spec = {0, 9007199254740992.0, 0, true}; return true;
    case CDC_OPTION_MAX_PIXELS: *spec = {1, 2147483648.0, 67108864.0, true}; return true;
  }
  return false;
}

OptionSpec checked_spec(cdc_option option) {
  OptionSpec spec{};
  if (!option_spec(option, &spec))
    cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "unknown option {}", static_cast<int>(option));
  return spec;
}

}  // namespace

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
    OptionSpec spec = checked_spec(option);
    if (!std::isfinite(value) || value < spec.min || value > spec.max)
      cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "option {}: value {} is outside [{}, {}]",
                static_cast<int>(option), value, spec.min, spec.max);
    if (spec.integral && value != std::floor(value))
      cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "option {}: value {} is not an integer",
                static_cast<int>(option), value);
    switch (option) {
      case CDC_OPTION_THREADS: context->threads = static_cast<int>(value); break;
      case CDC_OPTION_STEPS: context->steps = static_cast<int>(value); break;
      case CDC_OPTION_GAMMA: context->gamma = value; break;
      case CDC_OPTION_SEED: context->seed = static_cast<uint64_t>(value); break;
      case CDC_OPTION_MAX_PIXELS: context->max_pixels = static_cast<int64_t>(value); break;
    }
  });
}

cdc_status cdc_context_get_option(const cdc_context* context, cdc_option option, double* value) {
  return guarded(nullptr, [&] {
    require(context, "context");
    require(value, "value");
    checked_spec(option);
    switch (option) {
      case CDC_OPTION_THREADS: *value = context->threads; break;
      case CDC_OPTION_STEPS: *value = context->steps; break;
      case CDC_OPTION_GAMMA: *value = context->gamma; break;
      case CDC_OPTION_SEED: *value = static_cast<double>(context->seed); break;
      case CDC_OPTION_MAX_PIXELS: *value = static_cast<double>(context->max_pixels); break;
    }
  });
}

cdc_status cdc_option_bounds(cdc_option option, double* min_value, double* max_value,
                             double* default_value) {
  return guarded(nullptr, [&] {
    OptionSpec spec = checked_spec(option);
    if (min_value != nullptr) *min_value = spec.min;
    if (max_value != nullptr) *max_value = spec.max;
    if (default_value != nullptr) *default_value = spec.def;
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
