// Error messages of the C API (the engine's; the status and stage names are
// answered by the front, api/front/local_api.cc).
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

cdc_status record_exception(cdc_context* context, const std::exception& e) {
  // what() of a c10::Error carries libtorch's C++ backtrace (dozens of
  // lines): the message keeps only the error itself.
  if (const auto* c = dynamic_cast<const c10::Error*>(&e))
    return record_torch_error(context, c->what_without_backtrace());
  return record_torch_error(context, e.what());
}

}  // namespace cdc::api

extern "C" {

const char* cdc_last_error(void) { return g_last_error.c_str(); }

}  // extern "C"
