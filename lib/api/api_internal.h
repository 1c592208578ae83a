// Shared pieces of the C API layer: the handle structs and the guard that
// turns every C++ exception into a status and a message.
#pragma once

#include <memory>
#include <new>
#include <string>

#include <c10/util/Exception.h>

#include "cdc.h"
#include "common/codec_settings.h"
#include "common/error.h"
#include "model/model.h"

struct cdc_model {
  std::shared_ptr<const cdc::Model> model;
  std::string config_json;  // kept for cdc_model_info::config_json
};

struct cdc_context {
  cdc::CodecSettings settings;
  cdc_progress_fn progress = nullptr;
  void* progress_user = nullptr;
  std::string last_error;
};

namespace cdc::api {

// Records a failure: the thread-local message, and the context's if any.
cdc_status record_error(cdc_context* context, cdc_status status, const std::string& message);
// Clears the context's message at the start of a call.
void clear_error(cdc_context* context);

// Maps a libtorch (or other std::exception) message to a status: libtorch
// reports allocation failures as c10::Error with one of two texts, OUT_OF_MEMORY;
// anything else is INTERNAL_ERROR.
inline cdc_status record_torch_error(cdc_context* context, const std::string& what) {
  if (what.find("DefaultCPUAllocator: can't allocate memory") != std::string::npos ||
      what.find("not enough memory") != std::string::npos)
    return record_error(context, CDC_STATUS_OUT_OF_MEMORY, "out of memory: " + what);
  return record_error(context, CDC_STATUS_INTERNAL_ERROR, "internal error: " + what);
}

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
  } catch (const c10::Error& e) {
    // what() of a c10::Error carries libtorch's C++ backtrace (dozens of
    // lines): the message keeps only the error itself.
    return record_torch_error(context, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return record_torch_error(context, e.what());
  } catch (...) {
    return record_error(context, CDC_STATUS_INTERNAL_ERROR, "internal error: unknown exception");
  }
}

// Throws INVALID_ARGUMENT naming the argument when p is NULL.
inline void require(const void* p, const char* what) {
  if (p == nullptr) fail(CDC_STATUS_INVALID_ARGUMENT, "{} must not be NULL", what);
}

}  // namespace cdc::api
