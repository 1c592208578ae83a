// Entropy coding of the latents into the substreams of a .cdc stream.
//
// Hyper-latent z: symbols round(z - median[c]) in channel-major order
// (C x h x w), channel c coded with the factorized prior's table prior[c].
// Latent y: symbols round(y - mean), channel-major, element i coded with the
// Gaussian table gaussian[scale_indices[i]] (scale_indices from
// EntropyTables::scale_index of the element's scale).
//
// Each substream is one rANS stream (entropy/rans.h). Decoding checks that the
// whole substream was consumed and that the coder's final state is the
// initial one, so a damaged substream throws cdc::Error(CORRUPT_STREAM).
// Decoding allocates only the output (count symbols).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "entropy/entropy_tables.h"
#include "entropy/rans.h"

namespace cdc::bitstream {

// The coding tables of a model, prepared once (optional: the functions taking
// EntropyTables prepare them per call, which costs well under a millisecond).
struct PreparedTables {
  explicit PreparedTables(const entropy::EntropyTables& tables);
  entropy::CodingTableSet prior;
  entropy::CodingTableSet gaussian;
};

// symbols: channels * height * width values. Throws INVALID_ARGUMENT when
// channels differs from the number of prior tables.
std::vector<uint8_t> encode_hyper_latent(const int32_t* symbols, uint32_t channels,
                                         uint32_t height, uint32_t width,
                                         const PreparedTables& tables);
std::vector<uint8_t> encode_hyper_latent(const int32_t* symbols, uint32_t channels,
                                         uint32_t height, uint32_t width,
                                         const entropy::EntropyTables& tables);

// Throws CORRUPT_STREAM on a damaged substream or when channels differs from
// the number of prior tables.
std::vector<int32_t> decode_hyper_latent(const uint8_t* data, size_t size, uint32_t channels,
                                         uint32_t height, uint32_t width,
                                         const PreparedTables& tables);
std::vector<int32_t> decode_hyper_latent(const uint8_t* data, size_t size, uint32_t channels,
                                         uint32_t height, uint32_t width,
                                         const entropy::EntropyTables& tables);

// symbols and scale_indices: count values each. Throws INVALID_ARGUMENT for a
// scale index outside the table.
std::vector<uint8_t> encode_latent(const int32_t* symbols, const int32_t* scale_indices,
                                   size_t count, const PreparedTables& tables);
std::vector<uint8_t> encode_latent(const int32_t* symbols, const int32_t* scale_indices,
                                   size_t count, const entropy::EntropyTables& tables);

// Throws CORRUPT_STREAM on a damaged substream; INVALID_ARGUMENT for a scale
// index outside the table.
std::vector<int32_t> decode_latent(const uint8_t* data, size_t size,
                                   const int32_t* scale_indices, size_t count,
                                   const PreparedTables& tables);
std::vector<int32_t> decode_latent(const uint8_t* data, size_t size,
                                   const int32_t* scale_indices, size_t count,
                                   const entropy::EntropyTables& tables);

// Ideal code length in bits of a latent under the tables actually used (sum of
// -log2 of the quantized probabilities, escapes included); the coded size is
// this plus at most ~32 bits of rANS overhead.
double latent_table_bits(const int32_t* symbols, const int32_t* scale_indices, size_t count,
                         const PreparedTables& tables);
// The same for a hyper-latent (channels * height * width symbols) under the
// prior's tables.
double hyper_latent_table_bits(const int32_t* symbols, uint32_t channels, uint32_t height,
                               uint32_t width, const PreparedTables& tables);

}  // namespace cdc::bitstream
