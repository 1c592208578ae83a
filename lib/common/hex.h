// Lowercase hexadecimal text of byte strings (model ids in messages, the C API
// and stream summaries).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace cdc {

// 2 lowercase hex digits per byte, in order.
template <size_t N>
std::string to_hex(const std::array<uint8_t, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * N);
  for (uint8_t b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

}  // namespace cdc
