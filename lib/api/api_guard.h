// The exception boundary of the C API, shared by libcdc.so's front and its
// engine (no libtorch here): guarded() runs a call's body and turns every
// C++ exception into a status and a message. Each library defines the
// functions declared here for its own handle types.
#pragma once

#include <exception>
#include <new>
#include <string>

#include "cdc.h"
#include "common/error.h"

namespace cdc::api {

// Records a failure: the thread-local message, and the context's if any.
cdc_status record_error(cdc_context* context, cdc_status status, const std::string& message);
// Clears the context's message at the start of a call.
void clear_error(cdc_context* context);
// Records an exception other than cdc::Error and std::bad_alloc.
cdc_status record_exception(cdc_context* context, const std::exception& e);

// Runs body() and maps any exception to a status (never lets one escape).
template <typename Body>
cdc_status guarded(cdc_context* context, Body&& body) noexcept {
  try {
    clear_error(context);
    body();
    return CDC_STATUS_OK;
  } catch (const cdc::Error& e) {
    return record_error(context, e.status(), e.what());
  } catch (const std::bad_alloc&) {
    return record_error(context, CDC_STATUS_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return record_exception(context, e);
  } catch (...) {
    return record_error(context, CDC_STATUS_INTERNAL_ERROR, "internal error: unknown exception");
  }
}

// Throws INVALID_ARGUMENT naming the argument when p is NULL.
inline void require(const void* p, const char* what) {
  if (p == nullptr) fail(CDC_STATUS_INVALID_ARGUMENT, "{} must not be NULL", what);
}

}  // namespace cdc::api
