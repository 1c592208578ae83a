// The front's side of the exception boundary (api/api_guard.h): failures
// recorded as the thread's last error and the context's.
#include "api/api_guard.h"
#include "api/front/front.h"

namespace cdc::api {

cdc_status record_error(cdc_context* context, cdc_status status, const std::string& message) {
  try {
    if (context != nullptr) context->last_error = message;
  } catch (...) {
    // Keep the status even if the message cannot be stored.
  }
  return front::fail(status, message.c_str());
}

void clear_error(cdc_context* context) {
  if (context != nullptr) context->last_error.clear();
}

cdc_status record_exception(cdc_context* context, const std::exception& e) {
  return record_error(context, CDC_STATUS_INTERNAL_ERROR, std::string("internal error: ") + e.what());
}

}  // namespace cdc::api

cdc_model::~cdc_model() {
  if (engine != nullptr)
    if (const CdcEngineTable* e = cdc::front::loaded_engine()) e->cdc_model_free(engine);
}

cdc_context::~cdc_context() {
  if (engine != nullptr)
    if (const CdcEngineTable* e = cdc::front::loaded_engine()) e->cdc_context_free(engine);
}
