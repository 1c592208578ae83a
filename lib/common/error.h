// Internal error type: every failure inside the library is a cdc::Error carrying
// the public status code. The C API layer (lib/api) turns it into a status and
// a message; no exception crosses the C boundary.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "cdc.h"

namespace cdc {

class Error : public std::runtime_error {
 public:
  Error(cdc_status status, std::string message)
      : std::runtime_error(std::move(message)), status_(status) {}
  cdc_status status() const noexcept { return status_; }

 private:
  cdc_status status_;
};

// Throws cdc::Error(status, formatted message).
template <typename... Args>
[[noreturn]] void fail(cdc_status status, fmt::format_string<Args...> format,
                       Args&&... args) {
  throw Error(status, fmt::format(format, std::forward<Args>(args)...));
}

// Throws CDC_STATUS_INTERNAL_ERROR when cond is false (for invariants that only
// a bug can break; inputs are checked with fail()).
#define CDC_CHECK(cond)                                                        \
  do {                                                                         \
    if (!(cond))                                                               \
      ::cdc::fail(CDC_STATUS_INTERNAL_ERROR, "internal check failed: {} ({}:{})", \
                  #cond, __FILE__, __LINE__);                                  \
  } while (0)

}  // namespace cdc
