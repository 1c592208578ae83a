// Shared pieces of libcdc.so's front (api/engine_table.h says why the library
// is split): the engine, loaded on first use, and the front's own errors.
#pragma once

#include "api/engine_table.h"

namespace cdc::front {

// The engine's table, loading the engine on the first call (once, thread-safe).
// NULL when it cannot be loaded; the failure is then recorded (fail) with a
// message that names the file and dlerror's reason.
const CdcEngineTable* engine() noexcept;

// Records a failure of the front itself on the calling thread (see
// cdc_last_error) and returns status.
cdc_status fail(cdc_status status, const char* message) noexcept;

}  // namespace cdc::front
