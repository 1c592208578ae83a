#include "bitstream/latent_coding.h"

#include <cmath>

#include "common/error.h"

namespace cdc::bitstream {

using entropy::CodingTable;
using entropy::RansDecoder;
using entropy::RansEncoder;

PreparedTables::PreparedTables(const entropy::EntropyTables& tables)
    : prior(tables.prior), gaussian(tables.gaussian) {}

namespace {

// c * h * w, refusing absurd counts (more than 2^36 symbols) before any
// allocation or overflow.
uint64_t checked_count(uint32_t c, uint32_t h, uint32_t w) {
  const uint64_t plane = uint64_t{h} * w;
  if (plane != 0 && c > (uint64_t{1} << 36) / plane)
    fail(CDC_STATUS_LIMIT_EXCEEDED, "latent of {}x{}x{} symbols is too large", c, h, w);
  return uint64_t{c} * plane;
}

void check_scale_indices(const int32_t* idx, size_t count, size_t tables) {
  for (size_t i = 0; i < count; ++i)
    if (idx[i] < 0 || static_cast<size_t>(idx[i]) >= tables)
      fail(CDC_STATUS_INVALID_ARGUMENT, "latent coding: scale index {} outside 0..{}", idx[i],
           tables - 1);
}

}  // namespace

std::vector<uint8_t> encode_hyper_latent(const int32_t* symbols, uint32_t channels,
                                         uint32_t height, uint32_t width,
                                         const PreparedTables& tables) {
  if (channels != tables.prior.size())
    fail(CDC_STATUS_INVALID_ARGUMENT, "hyper-latent has {} channels, the prior {}", channels,
         tables.prior.size());
  const uint64_t plane = uint64_t{height} * width;
  if (plane > 0 && symbols == nullptr)
    fail(CDC_STATUS_INVALID_ARGUMENT, "encode_hyper_latent: null symbols");
  RansEncoder enc;
  enc.reserve_words(static_cast<size_t>(checked_count(channels, height, width) / 4 + 16));
  for (uint32_t c = channels; c-- > 0;) {
    const CodingTable& t = tables.prior[c];
    const int32_t* s = symbols + c * plane;
    for (uint64_t i = plane; i-- > 0;) enc.push(s[i], t);
  }
  return enc.finish();
}

std::vector<uint8_t> encode_hyper_latent(const int32_t* symbols, uint32_t channels,
                                         uint32_t height, uint32_t width,
                                         const entropy::EntropyTables& tables) {
  return encode_hyper_latent(symbols, channels, height, width, PreparedTables(tables));
}

std::vector<int32_t> decode_hyper_latent(const uint8_t* data, size_t size, uint32_t channels,
                                         uint32_t height, uint32_t width,
                                         const PreparedTables& tables) {
  if (channels != tables.prior.size())
    fail(CDC_STATUS_CORRUPT_STREAM, "hyper-latent has {} channels, the model's prior {}",
         channels, tables.prior.size());
  RansDecoder dec(data, size);
  const uint64_t plane = uint64_t{height} * width;
  std::vector<int32_t> out(static_cast<size_t>(checked_count(channels, height, width)));
  int32_t* o = out.data();
  for (uint32_t c = 0; c < channels; ++c) {
    const CodingTable& t = tables.prior[c];
    for (uint64_t i = 0; i < plane; ++i) *o++ = dec.pop(t);
  }
  dec.finish();
  return out;
}

std::vector<int32_t> decode_hyper_latent(const uint8_t* data, size_t size, uint32_t channels,
                                         uint32_t height, uint32_t width,
                                         const entropy::EntropyTables& tables) {
  return decode_hyper_latent(data, size, channels, height, width, PreparedTables(tables));
}

std::vector<uint8_t> encode_latent(const int32_t* symbols, const int32_t* scale_indices,
                                   size_t count, const PreparedTables& tables) {
  if (count > 0 && (symbols == nullptr || scale_indices == nullptr))
    fail(CDC_STATUS_INVALID_ARGUMENT, "encode_latent: null input");
  check_scale_indices(scale_indices, count, tables.gaussian.size());
  RansEncoder enc;
  enc.reserve_words(count / 4 + 16);
  for (size_t i = count; i-- > 0;) enc.push(symbols[i], tables.gaussian[scale_indices[i]]);
  return enc.finish();
}

std::vector<uint8_t> encode_latent(const int32_t* symbols, const int32_t* scale_indices,
                                   size_t count, const entropy::EntropyTables& tables) {
  return encode_latent(symbols, scale_indices, count, PreparedTables(tables));
}

std::vector<int32_t> decode_latent(const uint8_t* data, size_t size,
                                   const int32_t* scale_indices, size_t count,
                                   const PreparedTables& tables) {
  if (count > 0 && scale_indices == nullptr)
    fail(CDC_STATUS_INVALID_ARGUMENT, "decode_latent: null scale indices");
  check_scale_indices(scale_indices, count, tables.gaussian.size());
  RansDecoder dec(data, size);
  std::vector<int32_t> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = dec.pop(tables.gaussian[scale_indices[i]]);
  dec.finish();
  return out;
}

std::vector<int32_t> decode_latent(const uint8_t* data, size_t size,
                                   const int32_t* scale_indices, size_t count,
                                   const entropy::EntropyTables& tables) {
  return decode_latent(data, size, scale_indices, count, PreparedTables(tables));
}

namespace {

// -log2 of a symbol's quantized probability under a table, plus the bits of
// an escape's Elias-gamma payload.
double symbol_bits(const CodingTable& t, int32_t symbol) {
  const int64_t index = int64_t{symbol} - t.offset;
  uint32_t s = t.count;
  double extra = 0.0;
  if (index >= 0 && index < int64_t{t.count}) {
    s = static_cast<uint32_t>(index);
  } else {
    const uint64_t u = index < 0 ? 2 * static_cast<uint64_t>(-(index + 1)) + 1
                                 : 2 * static_cast<uint64_t>(index - t.count);
    int width = 0;
    while (((u + 1) >> width) > 1) ++width;
    extra = 2.0 * width + 1.0;
  }
  return entropy::kCdfPrecision - std::log2(static_cast<double>(t.cdf[s + 1] - t.cdf[s])) + extra;
}

}  // namespace

double latent_table_bits(const int32_t* symbols, const int32_t* scale_indices, size_t count,
                         const PreparedTables& tables) {
  check_scale_indices(scale_indices, count, tables.gaussian.size());
  double bits = 0.0;
  for (size_t i = 0; i < count; ++i) bits += symbol_bits(tables.gaussian[scale_indices[i]], symbols[i]);
  return bits;
}

double hyper_latent_table_bits(const int32_t* symbols, uint32_t channels, uint32_t height,
                               uint32_t width, const PreparedTables& tables) {
  if (channels != tables.prior.size())
    fail(CDC_STATUS_INVALID_ARGUMENT, "hyper-latent: {} channels, {} prior tables", channels,
         tables.prior.size());
  const size_t plane = static_cast<size_t>(height) * width;
  double bits = 0.0;
  for (uint32_t c = 0; c < channels; ++c)
    for (size_t i = 0; i < plane; ++i) bits += symbol_bits(tables.prior[c], symbols[c * plane + i]);
  return bits;
}

}  // namespace cdc::bitstream
