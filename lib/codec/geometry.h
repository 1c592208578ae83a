// The geometry of a model's latents: padding multiple and downsampling
// factors of y and z, as the bitstream parser checks them.
#pragma once

#include <array>
#include <string>

#include "bitstream/format.h"
#include "codec/tiling.h"
#include "model/model_config.h"

namespace cdc {

// Stream limits for a model: its size multiple and latent factors, plus the
// caller's pixel limit.
bitstream::Limits stream_limits(const ModelConfig& config, int64_t max_pixels);

// The automatic tile side and overlap for a model (CDC_OPTION_TILE = -1):
// chosen by measurement (docs/limits.md) so that one tile's decode stays
// within a few hundred MB whatever the configuration.
TileDefaults tile_defaults(const ModelConfig& config);
// Checks a parsed stream's header against the model about to decode it:
// MODEL_MISMATCH for another model's stream, CORRUPT_STREAM for latent
// channels the model does not have.
void check_stream_model(const bitstream::StreamHeader& header, const std::array<uint8_t, 16>& id,
                        const std::string& id_hex, const ModelConfig& config);

// Raises CDC_STATUS_LIMIT_EXCEEDED when width * height exceeds max_pixels.
void check_pixel_limit(uint64_t width, uint64_t height, int64_t max_pixels);

}  // namespace cdc
