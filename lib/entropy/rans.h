// rANS entropy coder with a 32-bit state and 16-bit renormalization.
//
// Stream layout (little-endian): the encoder's final state as u32, then the
// renormalization words as u16 in the order the decoder reads them. An empty
// sequence encodes to the 4 bytes 00 00 01 00 (the initial state 1 << 16).
// The decoder checks every read against the end of its buffer and, at the end,
// that all bytes were consumed and that the state is back to the initial one;
// any violation throws cdc::Error(CDC_STATUS_CORRUPT_STREAM).
//
// Symbols: a table (QuantizedCdf) codes offset .. offset + n - 1 directly;
// any other int32 is coded as the escape symbol followed by bypass bits
// (uniform 1/2^k probabilities, in the same rANS stream): with u the distance
// outside the range zigzagged (u = 2 (offset - 1 - v) + 1 below the range,
// u = 2 (v - offset - n) above), m = u + 1 is written Elias-gamma style:
// bit_width(m) - 1 zero bits, a one bit, then the bit_width(m) - 1 low bits of
// m, most significant first, in chunks of at most 16 bits.
#pragma once

#include <cstdint>
#include <vector>

#include "common/error.h"
#include "entropy/entropy_tables.h"

namespace cdc::entropy {

static_assert(kCdfPrecision >= 1 && kCdfPrecision <= 16, "rANS needs precision <= 16");

inline constexpr uint32_t kRansLow = 1u << 16;  // state interval [2^16, 2^32)
inline constexpr uint32_t kProbScale = 1u << kCdfPrecision;
inline constexpr int kLutBits = 8;               // decoder's coarse lookup

// A table ready for coding (a view into a CodingTableSet).
struct CodingTable {
  int32_t offset = 0;
  uint32_t count = 0;              // direct symbols; index count = escape
  const uint32_t* cdf = nullptr;   // count + 2 entries
  const uint16_t* lut = nullptr;   // (1 << kLutBits) + 1 entries

  // The index s with cdf[s] <= slot < cdf[s + 1].
  uint32_t find(uint32_t slot) const {
    const uint32_t b = slot >> (kCdfPrecision - kLutBits);
    uint32_t lo = lut[b];
    uint32_t len = lut[b + 1] - lo + 1;  // candidates lo .. lut[b + 1]
    // Branchless binary search for the last s with cdf[s] <= slot.
    while (len > 1) {
      const uint32_t half = len >> 1;
      lo = cdf[lo + half] <= slot ? lo + half : lo;
      len -= half;
    }
    return lo;
  }
};

// Tables prepared for coding: CDFs plus the decoder's lookup, in contiguous
// storage. Built once per model (or per call: it is cheap, ~0.2 ms for the
// default tables). Movable, not copyable (views point into it).
class CodingTableSet {
 public:
  CodingTableSet() = default;
  // Validates every table (throws cdc::Error(CDC_STATUS_INVALID_MODEL)).
  explicit CodingTableSet(const std::vector<QuantizedCdf>& tables);
  CodingTableSet(CodingTableSet&&) = default;
  CodingTableSet& operator=(CodingTableSet&&) = default;
  CodingTableSet(const CodingTableSet&) = delete;
  CodingTableSet& operator=(const CodingTableSet&) = delete;

  size_t size() const { return tables_.size(); }
  const CodingTable& operator[](size_t i) const { return tables_[i]; }

 private:
  std::vector<uint32_t> cdf_;
  std::vector<uint16_t> lut_;
  std::vector<CodingTable> tables_;
};

// Encoder. rANS is last-in first-out: symbols are pushed in the REVERSE of
// the order in which the decoder will read them (SymbolEncoder below takes
// them in forward order).
class RansEncoder {
 public:
  RansEncoder() = default;
  void reset() {
    state_ = kRansLow;
    words_.clear();
  }
  void reserve_words(size_t n) { words_.reserve(n); }

  // Pushes a value coded with table t (escape and bypass bits as needed).
  void push(int32_t value, const CodingTable& t) {
    const int64_t index = static_cast<int64_t>(value) - t.offset;
    if (index >= 0 && index < static_cast<int64_t>(t.count)) {
      const uint32_t start = t.cdf[index];
      put(start, t.cdf[index + 1] - start, kCdfPrecision);
    } else {
      push_escape(index, t);
    }
  }
  // Pushes nbits (1..16) uniform bits.
  void push_bits(uint32_t bits, int nbits) { put(bits, 1, nbits); }

  // The bytes of the stream (the encoder is reset afterwards).
  std::vector<uint8_t> finish();

 private:
  void put(uint32_t start, uint32_t freq, int precision) {
    const uint32_t x_max = ((kRansLow >> precision) << 16) * freq;
    if (state_ >= x_max) {
      words_.push_back(static_cast<uint16_t>(state_));
      state_ >>= 16;
    }
    state_ = ((state_ / freq) << precision) + (state_ % freq) + start;
  }
  void push_escape(int64_t index, const CodingTable& t);

  uint32_t state_ = kRansLow;
  std::vector<uint16_t> words_;  // in encoding order (the decoder reads them reversed)
};

// Decoder over [data, data + size). Never reads outside the buffer. Errors
// found while decoding (reading past the end) are reported by finish(); the
// values decoded before it are then meaningless.
class RansDecoder {
 public:
  // Throws CORRUPT_STREAM when size < 4, size is odd or the state is invalid.
  RansDecoder(const uint8_t* data, size_t size);

  int32_t pop(const CodingTable& t) {
    const uint32_t slot = state_ & (kProbScale - 1);
    const uint32_t s = t.find(slot);
    const uint32_t start = t.cdf[s];
    state_ = (t.cdf[s + 1] - start) * (state_ >> kCdfPrecision) + slot - start;
    renormalize();
    if (s < t.count) return t.offset + static_cast<int32_t>(s);
    return pop_escape(t);
  }
  uint32_t pop_bits(int nbits) {
    const uint32_t bits = state_ & ((1u << nbits) - 1);
    state_ >>= nbits;
    renormalize();
    return bits;
  }
  // Checks that no read went past the end, every byte was consumed and the
  // state is the initial one (throws CORRUPT_STREAM otherwise).
  void finish() const;
  size_t position() const { return pos_; }

 private:
  // Branch-free: the word is loaded from a position clamped into the buffer;
  // reading past the end sets overrun_, which finish() reports (the decoding
  // loops are bounded by the caller's symbol count, so garbage is harmless).
  void renormalize() {
    const bool need = state_ < kRansLow;
    const bool short_data = size_ - pos_ < 2;
    overrun_ |= need & short_data;
    const size_t at = short_data ? size_ - 2 : pos_;
    const uint32_t word = static_cast<uint32_t>(data_[at] | (data_[at + 1] << 8));
    state_ = need ? (state_ << 16) | word : state_;
    pos_ += need && !short_data ? 2 : 0;
  }
  int32_t pop_escape(const CodingTable& t);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 4;
  uint32_t state_ = 0;
  bool overrun_ = false;
};

// Codes a sequence of (value, table index) pairs given in forward order.
class SymbolEncoder {
 public:
  explicit SymbolEncoder(const CodingTableSet& tables) : tables_(tables) {}
  void reserve(size_t n) {
    values_.reserve(n);
    table_ids_.reserve(n);
  }
  // table must be < tables.size() (checked at finish: INVALID_ARGUMENT).
  void put(int32_t value, uint32_t table) {
    values_.push_back(value);
    table_ids_.push_back(table);
  }
  std::vector<uint8_t> finish();

 private:
  const CodingTableSet& tables_;
  std::vector<int32_t> values_;
  std::vector<uint32_t> table_ids_;
};

}  // namespace cdc::entropy
