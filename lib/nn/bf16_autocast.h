// A scope that turns libtorch's CPU autocast to bfloat16 on (or off) on this
// thread, restoring the state it found: under it the convolutions and matrix
// products run in bfloat16 and norms, softmax and reductions stay float32.
// Used by bfloat16 decoding on the libtorch path (CDC_OPTION_PRECISION = 1)
// and by cdc-train --bf16, which turns it off again around its rate terms.
#pragma once

#include <ATen/autocast_mode.h>

namespace cdc::nn {

class CpuBf16Autocast {
 public:
  explicit CpuBf16Autocast(bool enabled)
      : was_enabled_(at::autocast::is_cpu_enabled()),
        was_dtype_(at::autocast::get_autocast_cpu_dtype()) {
    if (enabled) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(enabled);
  }
  ~CpuBf16Autocast() {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(was_dtype_);
    if (!was_enabled_) at::autocast::clear_cache();
  }
  CpuBf16Autocast(const CpuBf16Autocast&) = delete;
  CpuBf16Autocast& operator=(const CpuBf16Autocast&) = delete;

 private:
  bool was_enabled_;
  at::ScalarType was_dtype_;
};

}  // namespace cdc::nn
