// The C API's exception boundary (lib/api/api_internal.h): libtorch's errors
// become a status and a one-line message, never its C++ backtrace.
#include <doctest/doctest.h>

#include <string>

#include "api/api_internal.h"

TEST_CASE("api guard: libtorch errors carry no backtrace") {
  // A failed allocation: libtorch throws c10::Error whose what() holds a
  // backtrace of dozens of lines (before: all of it in the message).
  cdc_status s = cdc::api::guarded(nullptr, [] {
    (void)at::empty({int64_t{1} << 50}, at::kFloat);
  });
  CHECK(s == CDC_STATUS_OUT_OF_MEMORY);
  std::string message = cdc_last_error();
  CHECK(message.rfind("out of memory", 0) == 0);
  CHECK(message.find("Exception raised from") == std::string::npos);
  CHECK(message.find('\n') == std::string::npos);

  // Any other c10::Error: INTERNAL_ERROR with the error's own text.
  s = cdc::api::guarded(nullptr, [] { TORCH_CHECK(false, "a torch check failed"); });
  CHECK(s == CDC_STATUS_INTERNAL_ERROR);
  message = cdc_last_error();
  CHECK(message == "internal error: a torch check failed");

  // cdc::Error keeps its status and message.
  s = cdc::api::guarded(nullptr, [] { cdc::fail(CDC_STATUS_INVALID_MODEL, "bad {}", 1); });
  CHECK(s == CDC_STATUS_INVALID_MODEL);
  CHECK(std::string(cdc_last_error()) == "bad 1");
}
