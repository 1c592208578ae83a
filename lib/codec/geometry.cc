#include "codec/geometry.h"

#include "common/error.h"
#include "common/hex.h"

namespace cdc {

bitstream::Limits stream_limits(const ModelConfig& config, int64_t max_pixels) {
  bitstream::Limits limits;
  limits.max_pixels = static_cast<uint64_t>(max_pixels);
  limits.size_multiple = static_cast<uint32_t>(config.size_multiple());
  // The analysis transform halves the size once per stage; the hyper analysis
  // once per stage after its first (twice for the three of the paper).
  limits.y_factor = 1u << config.compressor_dim_mults.size();
  limits.z_factor = limits.y_factor << (config.hyper_dims_mults.size() - 1);
  return limits;
}

TileDefaults tile_defaults(const ModelConfig& config) {
  // Decoding memory per pixel grows with the U-Net's widths; the tile side
  // shrinks with them (measured: docs/limits.md, "Tiles").
  const int64_t widest = config.dim * config.dim_mults.front();
  TileDefaults d;
  d.tile = widest <= 16 ? 768 : 512;
  d.overlap = 64;
  return d;
}

void check_stream_model(const bitstream::StreamHeader& header, const std::array<uint8_t, 16>& id,
                        const std::string& id_hex, const ModelConfig& config) {
  if (header.model_id != id)
    fail(CDC_STATUS_MODEL_MISMATCH, "model mismatch: the stream was made with model {}, not {}",
         to_hex(header.model_id), id_hex);
  if (header.y.channels != static_cast<uint32_t>(config.latent_channels()) ||
      header.z.channels != static_cast<uint32_t>(config.hyper_latent_channels()))
    fail(CDC_STATUS_CORRUPT_STREAM, "latent channels {}/{} do not match the model ({}/{})",
         header.y.channels, header.z.channels, config.latent_channels(),
         config.hyper_latent_channels());
}

void check_pixel_limit(uint64_t width, uint64_t height, int64_t max_pixels) {
  if (width * height > static_cast<uint64_t>(max_pixels))
    fail(CDC_STATUS_LIMIT_EXCEEDED,
         "image of {}x{} = {} pixels exceeds the limit of {} pixels (CDC_OPTION_MAX_PIXELS)",
         width, height, width * height, max_pixels);
}

}  // namespace cdc
