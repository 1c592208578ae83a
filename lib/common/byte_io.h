// Little-endian byte writing and bounds-checked reading: the one copy shared by
// the entropy tables' serialization, the .cdc container and the model file.
// Independent of the host's byte order. Reading past the end throws cdc::Error
// with the status given to the reader.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "common/error.h"

namespace cdc {

inline void put_u8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }
inline void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_i32(std::vector<uint8_t>& out, int32_t v) { put_u32(out, static_cast<uint32_t>(v)); }
inline void put_f64(std::vector<uint8_t>& out, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_u64(out, bits);
}

inline uint16_t load_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t load_u64(const uint8_t* p) {
  return static_cast<uint64_t>(load_u32(p)) | (static_cast<uint64_t>(load_u32(p + 4)) << 32);
}
inline void store_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void store_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Appends to a growing buffer; offsets written before their value is known
// are patched with patch_u64().
class ByteWriter {
 public:
  void u8(uint8_t v) { put_u8(buf_, v); }
  void u16(uint16_t v) { put_u16(buf_, v); }
  void u32(uint32_t v) { put_u32(buf_, v); }
  void u64(uint64_t v) { put_u64(buf_, v); }
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  // Zero bytes up to the next multiple of align.
  void pad_to(size_t align) {
    while (buf_.size() % align) buf_.push_back(0);
  }
  void patch_u64(size_t pos, uint64_t v) { store_u64(buf_.data() + pos, v); }
  size_t size() const { return buf_.size(); }
  std::vector<uint8_t>& buffer() { return buf_; }

 private:
  std::vector<uint8_t> buf_;
};

// Sequential reader over [data, data + size); every read is bounds-checked.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, cdc_status error_status, const char* what)
      : data_(data), size_(size), status_(error_status), what_(what) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  // Throws unless n more bytes are available.
  void need(size_t n) const {
    if (n > size_ - pos_)
      fail(status_, "{}: unexpected end of data at byte {} (need {} more, have {})", what_,
           pos_, n, size_ - pos_);
  }
  const uint8_t* take(size_t n) {
    need(n);
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  const uint8_t* bytes(size_t n) { return take(n); }
  uint8_t u8() { return *take(1); }
  uint16_t u16() { return load_u16(take(2)); }
  uint32_t u32() { return load_u32(take(4)); }
  uint64_t u64() { return load_u64(take(8)); }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  double f64() {
    uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  cdc_status status_;
  const char* what_;
};

}  // namespace cdc
