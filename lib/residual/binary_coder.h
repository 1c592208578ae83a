// An adaptive binary range coder: the entropy coder of the residual layer
// (docs/format.md, "Residual section"). Each binary decision is coded with the
// probability of its context, a count-based estimate that learns fast at
// first and settles to an average over the last ~100 decisions; bypass bits
// cost one bit each. The encoder carries into bytes already written (a 33-bit
// low with a cache byte), so the code stays within a few bytes of the ideal
// code length of the probabilities.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cdc::residual {

// The probability that a decision is 0, in 1/2^24 (coded with its top 16
// bits, kept within [16, 65520] / 65536), and how many decisions it has seen
// (up to kMaxCount).
struct BitContext {
  uint32_t p0 = 1u << 23;
  uint32_t count = 0;
  static constexpr uint32_t kMaxCount = 254;  // the slowest rate: 1/256

  uint32_t probability() const {
    const uint32_t p = p0 >> 8;
    return p < 16 ? 16 : (p > 65520 ? 65520 : p);
  }
  void update(int bit) {
    const int64_t target = bit ? 0 : (int64_t{1} << 24) - 1;
    const int64_t p = p0;
    p0 = static_cast<uint32_t>(p + (target - p) / static_cast<int64_t>(count + 2));
    if (count < kMaxCount) ++count;
  }
};

class RangeEncoder {
 public:
  void encode(BitContext& ctx, int bit) {
    const uint32_t bound = (range_ >> 16) * ctx.probability();
    if (bit == 0) {
      range_ = bound;
    } else {
      low_ += bound;
      range_ -= bound;
    }
    ctx.update(bit);
    normalize();
  }
  // A decision of probability 1/2 (no context).
  void encode_bypass(int bit) {
    range_ >>= 1;
    if (bit) low_ += range_;
    normalize();
  }
  // Ends the code; the result holds every decision coded.
  std::vector<uint8_t> finish() {
    for (int i = 0; i < 5; ++i) shift_low();
    return std::move(out_);
  }

 private:
  void normalize() {
    while (range_ < (1u << 24)) {
      range_ <<= 8;
      shift_low();
    }
  }
  void shift_low() {
    if (static_cast<uint32_t>(low_) < 0xFF000000u || (low_ >> 32) != 0) {
      const uint8_t carry = static_cast<uint8_t>(low_ >> 32);
      if (has_cache_) out_.push_back(static_cast<uint8_t>(cache_ + carry));
      for (; pending_ > 0; --pending_) out_.push_back(static_cast<uint8_t>(0xFF + carry));
      cache_ = static_cast<uint8_t>(low_ >> 24);
      has_cache_ = true;
    } else {
      ++pending_;
    }
    low_ = (low_ & 0x00FFFFFFu) << 8;
  }

  uint64_t low_ = 0;
  uint32_t range_ = 0xFFFFFFFFu;
  uint8_t cache_ = 0;
  bool has_cache_ = false;
  uint64_t pending_ = 0;
  std::vector<uint8_t> out_;
};

// Reads what RangeEncoder wrote. Reading past the end of the data supplies
// zero bytes (the caller checks overrun() when done), so corrupt data gives
// wrong decisions, never a read out of bounds.
class RangeDecoder {
 public:
  RangeDecoder(const uint8_t* data, size_t size) : data_(data), size_(size) {
    for (int i = 0; i < 4; ++i) code_ = (code_ << 8) | next_byte();
  }
  int decode(BitContext& ctx) {
    const uint32_t bound = (range_ >> 16) * ctx.probability();
    int bit;
    if (code_ < bound) {
      range_ = bound;
      bit = 0;
    } else {
      code_ -= bound;
      range_ -= bound;
      bit = 1;
    }
    ctx.update(bit);
    normalize();
    return bit;
  }
  int decode_bypass() {
    range_ >>= 1;
    int bit = 0;
    if (code_ >= range_) {
      code_ -= range_;
      bit = 1;
    }
    normalize();
    return bit;
  }
  // True when decoding needed more bytes than the data holds (beyond the
  // encoder's final flush): the data was cut or corrupt.
  bool overrun() const { return pos_ > size_ + 1; }

 private:
  uint8_t next_byte() { return pos_ < size_ ? data_[pos_++] : (++pos_, uint8_t{0}); }
  void normalize() {
    while (range_ < (1u << 24)) {
      range_ <<= 8;
      code_ = (code_ << 8) | next_byte();
    }
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  uint32_t code_ = 0;
  uint32_t range_ = 0xFFFFFFFFu;
};

}  // namespace cdc::residual
