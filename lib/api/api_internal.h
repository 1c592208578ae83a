// Shared pieces of the engine's C API layer: its handle structs, and its
// side of the exception boundary (api/api_guard.h).
#pragma once

#include <memory>
#include <new>
#include <string>

#include <c10/util/Exception.h>

#include "api/api_guard.h"
#include "cdc.h"
#include "common/codec_settings.h"
#include "common/error.h"
#include "model/model.h"

struct cdc_model {
  std::shared_ptr<const cdc::Model> model;
};

struct cdc_context {
  cdc::CodecSettings settings;
  cdc_progress_fn progress = nullptr;
  void* progress_user = nullptr;
  std::string last_error;
};

namespace cdc::api {

// Maps a libtorch (or other std::exception) message to a status: libtorch
// reports allocation failures as c10::Error with one of two texts, OUT_OF_MEMORY;
// anything else is INTERNAL_ERROR.
inline cdc_status record_torch_error(cdc_context* context, const std::string& what) {
  if (what.find("DefaultCPUAllocator: can't allocate memory") != std::string::npos ||
      what.find("not enough memory") != std::string::npos)
    return record_error(context, CDC_STATUS_OUT_OF_MEMORY, "out of memory: " + what);
  return record_error(context, CDC_STATUS_INTERNAL_ERROR, "internal error: " + what);
}

}  // namespace cdc::api
