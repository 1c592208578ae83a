// The calls that libcdc.so answers without its engine (no libtorch): versions,
// status and stage names, option bounds and the defaults of conversion.
#include "api/front/front.h"
#include "cdc_version.h"
#include "common/codec_settings.h"
#include "common/error.h"

extern "C" {

uint32_t cdc_version_number(void) { return CDC_VERSION_NUMBER; }

const char* cdc_version_string(void) { return CDC_VERSION_STRING; }

uint32_t cdc_format_version(void) { return CDC_FORMAT_VERSION; }

const char* cdc_status_string(cdc_status status) {
  switch (status) {
    case CDC_STATUS_OK: return "ok";
    case CDC_STATUS_INVALID_ARGUMENT: return "invalid argument";
    case CDC_STATUS_OUT_OF_MEMORY: return "out of memory";
    case CDC_STATUS_IO_ERROR: return "input/output error";
    case CDC_STATUS_INVALID_MODEL: return "invalid model";
    case CDC_STATUS_CORRUPT_STREAM: return "corrupt stream";
    case CDC_STATUS_TRUNCATED_STREAM: return "truncated stream";
    case CDC_STATUS_MODEL_MISMATCH: return "model mismatch";
    case CDC_STATUS_UNSUPPORTED: return "unsupported";
    case CDC_STATUS_LIMIT_EXCEEDED: return "limit exceeded";
    case CDC_STATUS_BUFFER_TOO_SMALL: return "buffer too small";
    case CDC_STATUS_CANCELLED: return "cancelled";
    case CDC_STATUS_NOT_FOUND: return "not found";
    case CDC_STATUS_NOT_IMPLEMENTED: return "not implemented";
    case CDC_STATUS_INTERNAL_ERROR: return "internal error";
  }
  return "unknown status";
}

const char* cdc_stage_string(cdc_stage stage) {
  switch (stage) {
    case CDC_STAGE_ANALYSIS: return "analysis";
    case CDC_STAGE_ENTROPY_ENCODE: return "entropy encode";
    case CDC_STAGE_ENTROPY_DECODE: return "entropy decode";
    case CDC_STAGE_CONTEXT: return "context";
    case CDC_STAGE_DIFFUSION: return "diffusion";
    case CDC_STAGE_REFINE: return "refine";
    case CDC_STAGE_RESIDUAL: return "residual";
  }
  return "unknown stage";
}

cdc_status cdc_option_bounds(cdc_option option, double* min_value, double* max_value,
                             double* default_value) {
  try {
    const cdc::OptionSpec spec = cdc::checked_spec(option);
    if (min_value != nullptr) *min_value = spec.min;
    if (max_value != nullptr) *max_value = spec.max;
    if (default_value != nullptr) *default_value = spec.def;
    return CDC_STATUS_OK;
  } catch (const cdc::Error& e) {
    return cdc::front::fail(e.status(), e.what());
  } catch (...) {
    return cdc::front::fail(CDC_STATUS_OUT_OF_MEMORY, "out of memory");
  }
}

void cdc_convert_default_options(cdc_convert_options* options) {
  if (options == nullptr) return;
  *options = cdc_convert_options{};  // name NULL, default_steps 0
  options->struct_size = sizeof(cdc_convert_options);
  options->default_gamma = -1.0;
  options->rate_lambda = -1.0;
}

}  // extern "C"
