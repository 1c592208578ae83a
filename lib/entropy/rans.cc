#include "entropy/rans.h"

#include <algorithm>
#include <limits>

#include "common/byte_io.h"

namespace cdc::entropy {

namespace {
constexpr int32_t kMaxOffset = 1 << 24;
constexpr int kMaxEscapeZeros = 40;  // a valid stream needs at most 33
}  // namespace

CodingTableSet::CodingTableSet(const std::vector<QuantizedCdf>& tables) {
  size_t cdf_total = 0;
  for (size_t i = 0; i < tables.size(); ++i) {
    const QuantizedCdf& t = tables[i];
    if (t.cdf.size() < 3 || t.cdf.size() > kProbScale + 1)
      fail(CDC_STATUS_INVALID_MODEL, "coding table {}: bad size {}", i, t.cdf.size());
    if (t.offset < -kMaxOffset || t.offset > kMaxOffset)
      fail(CDC_STATUS_INVALID_MODEL, "coding table {}: offset {} out of range", i, t.offset);
    if (t.cdf.front() != 0 || t.cdf.back() != kProbScale)
      fail(CDC_STATUS_INVALID_MODEL, "coding table {}: bad CDF ends", i);
    for (size_t k = 1; k < t.cdf.size(); ++k)
      if (t.cdf[k] <= t.cdf[k - 1])
        fail(CDC_STATUS_INVALID_MODEL, "coding table {}: CDF not strictly increasing", i);
    cdf_total += t.cdf.size();
  }
  constexpr size_t lut_size = (size_t{1} << kLutBits) + 1;
  cdf_.reserve(cdf_total);
  lut_.resize(lut_size * tables.size());
  std::vector<size_t> cdf_pos(tables.size());
  for (size_t i = 0; i < tables.size(); ++i) {
    const QuantizedCdf& t = tables[i];
    cdf_pos[i] = cdf_.size();
    cdf_.insert(cdf_.end(), t.cdf.begin(), t.cdf.end());
    const uint32_t count = static_cast<uint32_t>(t.cdf.size() - 2);
    uint16_t* lut = &lut_[i * lut_size];
    uint32_t s = 0;
    for (uint32_t b = 0; b < (1u << kLutBits); ++b) {
      const uint32_t slot = b << (kCdfPrecision - kLutBits);
      while (t.cdf[s + 1] <= slot) ++s;
      lut[b] = static_cast<uint16_t>(s);
    }
    lut[1u << kLutBits] = static_cast<uint16_t>(count);
  }
  tables_.resize(tables.size());
  for (size_t i = 0; i < tables.size(); ++i) {
    tables_[i].offset = tables[i].offset;
    tables_[i].count = static_cast<uint32_t>(tables[i].cdf.size() - 2);
    tables_[i].cdf = cdf_.data() + cdf_pos[i];
    tables_[i].lut = lut_.data() + i * lut_size;
  }
}

void RansEncoder::push_escape(int64_t index, const CodingTable& t) {
  // Zigzag distance outside [0, count): odd below, even above.
  const uint64_t u = index < 0 ? 2 * static_cast<uint64_t>(-(index + 1)) + 1
                               : 2 * static_cast<uint64_t>(index - t.count);
  const uint64_t m = u + 1;
  int width = 0;
  while ((m >> width) > 1) ++width;  // bits below the leading one
  // Reverse order of what the decoder reads: low chunks first.
  for (int pos = 0; pos < width;) {
    const int c = std::min(16, width - pos);
    push_bits(static_cast<uint32_t>((m >> pos) & ((1u << c) - 1)), c);
    pos += c;
  }
  push_bits(1, 1);
  for (int i = 0; i < width; ++i) push_bits(0, 1);
  const uint32_t start = t.cdf[t.count];
  put(start, t.cdf[t.count + 1] - start, kCdfPrecision);
}

std::vector<uint8_t> RansEncoder::finish() {
  std::vector<uint8_t> out(4 + 2 * words_.size());
  store_u32(out.data(), state_);
  uint8_t* p = out.data() + 4;
  for (size_t i = words_.size(); i-- > 0;) {
    p[0] = static_cast<uint8_t>(words_[i]);
    p[1] = static_cast<uint8_t>(words_[i] >> 8);
    p += 2;
  }
  reset();
  return out;
}

RansDecoder::RansDecoder(const uint8_t* data, size_t size) : data_(data), size_(size) {
  if (data == nullptr || size < 4)
    fail(CDC_STATUS_CORRUPT_STREAM, "entropy-coded substream too short ({} bytes)", size);
  if (size % 2 != 0)
    fail(CDC_STATUS_CORRUPT_STREAM, "entropy-coded substream has an odd size ({} bytes)", size);
  state_ = load_u32(data);
  if (state_ < kRansLow) fail(CDC_STATUS_CORRUPT_STREAM, "entropy-coded substream: bad state");
}

void RansDecoder::finish() const {
  if (overrun_) fail(CDC_STATUS_CORRUPT_STREAM, "entropy-coded substream ends early");
  if (pos_ != size_)
    fail(CDC_STATUS_CORRUPT_STREAM, "entropy-coded substream: {} bytes left over", size_ - pos_);
  if (state_ != kRansLow)
    fail(CDC_STATUS_CORRUPT_STREAM, "entropy-coded substream: inconsistent final state");
}

int32_t RansDecoder::pop_escape(const CodingTable& t) {
  int zeros = 0;
  while (pop_bits(1) == 0)
    if (++zeros > kMaxEscapeZeros)
      fail(CDC_STATUS_CORRUPT_STREAM, "entropy-coded substream: bad escape code");
  uint64_t m = 1;
  int r = zeros;
  if (const int first = r % 16) {
    m = (m << first) | pop_bits(first);
    r -= first;
  }
  for (; r > 0; r -= 16) m = (m << 16) | pop_bits(16);
  const uint64_t u = m - 1;
  const int64_t index = (u & 1) ? -static_cast<int64_t>((u - 1) / 2) - 1
                                : static_cast<int64_t>(t.count) + static_cast<int64_t>(u / 2);
  const int64_t v = static_cast<int64_t>(t.offset) + index;
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    fail(CDC_STATUS_CORRUPT_STREAM, "entropy-coded substream: escaped value out of range");
  return static_cast<int32_t>(v);
}

std::vector<uint8_t> SymbolEncoder::finish() {
  for (uint32_t id : table_ids_)
    if (id >= tables_.size())
      fail(CDC_STATUS_INVALID_ARGUMENT, "symbol encoder: table {} of {}", id, tables_.size());
  RansEncoder enc;
  enc.reserve_words(values_.size() / 2 + 16);
  for (size_t i = values_.size(); i-- > 0;) enc.push(values_[i], tables_[table_ids_[i]]);
  values_.clear();
  table_ids_.clear();
  return enc.finish();
}

}  // namespace cdc::entropy
