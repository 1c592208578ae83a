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
#include "model/model.h"

namespace cdc {

// Reports progress; x0 is the current prediction (1x3xHxW in [-1, 1], padded
// size) during the diffusion stage and nullptr otherwise. Returning false
// cancels the work (cdc::Error with CDC_STATUS_CANCELLED).
using ProgressFn = std::function<bool(cdc_stage stage, uint32_t done, uint32_t total,
                                      const torch::Tensor* x0)>;

// What a stream's header says: the whole stream is checked (header, lengths,
// both CRCs; the payload CRC only with check_payload) without decoding the
// payload, so that a caller can trust the size before allocating its output.
// decode_image checks the payload itself: a caller about to decode passes
// false rather than computing the payload CRC twice.
struct StreamSummary {
  uint32_t width = 0, height = 0, channels = 0, format_version = 0;
  std::array<uint8_t, 16> model_id{};
  uint64_t stream_size = 0, header_size = 0, payload_size = 0;
  double estimated_bits = 0.0;
};
StreamSummary read_stream_summary(const uint8_t* data, size_t size, int64_t max_pixels,
                                  bool check_payload = true);

// Encodes an image into a complete .cdc stream.
std::vector<uint8_t> encode_image(const Model& model, const ImageView& image,
                                  const CodecSettings& settings, const ProgressFn& progress);

// Decodes a .cdc stream into out (whose size must equal the stream's).
void decode_image(const Model& model, const uint8_t* data, size_t size,
                  const MutableImageView& out, const CodecSettings& settings,
                  const ProgressFn& progress);

}  // namespace cdc
