// Status strings and error messages of the C API.
#include "api/api_internal.h"

namespace {
thread_local std::string g_last_error;
}

namespace cdc::api {

cdc_status record_error(cdc_context* context, cdc_status status, const std::string& message) {
  try {
    g_last_error = message;
    if (context != nullptr) context->last_error = message;
  } catch (...) {
    // Keep the status even if the message cannot be stored.
  }
  return status;
}

void clear_error(cdc_context* context) {
  if (context != nullptr) context->last_error.clear();
}

}  // namespace cdc::api

extern "C" {

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
  }
  return "unknown stage";
}

const char* cdc_last_error(void) { return g_last_error.c_str(); }

}  // extern "C"
