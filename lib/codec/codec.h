// The codec: composes the stages of the data flow into whole-image encoding and
// decoding (image -> analysis -> hyperprior -> entropy coder -> bitstream, and
// back through the context decoder and the diffusion sampler).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "cdc.h"
#include "common/codec_settings.h"
#include "image/image_view.h"
#include "codec/stream_summary.h"
#include "model/model.h"

namespace cdc {

// Reports progress; x0 is the current prediction (1x3xHxW in [-1, 1], padded
// size) during the diffusion stage and nullptr otherwise. Returning false
// cancels the work (cdc::Error with CDC_STATUS_CANCELLED).
using ProgressFn = std::function<bool(cdc_stage stage, uint32_t done, uint32_t total,
                                      const torch::Tensor* x0)>;



// Encodes an image into a complete .cdc stream.
std::vector<uint8_t> encode_image(const Model& model, const ImageView& image,
                                  const CodecSettings& settings, const ProgressFn& progress);

// Decodes a .cdc stream into out (whose size must equal the stream's).
void decode_image(const Model& model, const uint8_t* data, size_t size,
                  const MutableImageView& out, const CodecSettings& settings,
                  const ProgressFn& progress);

}  // namespace cdc
