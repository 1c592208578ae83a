// Progress reporting shared by the encoder and the decoder.
#pragma once

#include "codec/codec.h"
#include "common/error.h"

namespace cdc {

// Reports a stage's progress; throws CDC_STATUS_CANCELLED when the callback
// asks to stop.
inline void report_progress(const ProgressFn& progress, cdc_stage stage, uint32_t done,
                            uint32_t total) {
  if (progress && !progress(stage, done, total, nullptr))
    fail(CDC_STATUS_CANCELLED, "cancelled by the progress callback");
}

}  // namespace cdc
