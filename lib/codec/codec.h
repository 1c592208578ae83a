// The codec: composes the stages of the data flow into whole-image encoding and
// decoding (image -> analysis -> hyperprior -> entropy coder -> bitstream, and
// back through the context decoder and the diffusion sampler).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "cdc.h"
#include "model/model.h"

namespace cdc {

// Read-only interleaved 8-bit pixels.
struct ImageView {
  const uint8_t* pixels = nullptr;
  uint32_t width = 0;
  uint32_t height = 0;
  int channels = 0;  // 1, 3 or 4
  size_t stride = 0; // bytes between rows
};

// Writable interleaved 8-bit pixels.
struct MutableImageView {
  uint8_t* pixels = nullptr;
  uint32_t width = 0;
  uint32_t height = 0;
  int channels = 0;
  size_t stride = 0;
};

// Reports progress; x0 is the current prediction (1x3xHxW in [-1, 1], padded
// size) during the diffusion stage and nullptr otherwise. Returning false
// cancels the work (cdc::Error with CDC_STATUS_CANCELLED).
using ProgressFn = std::function<bool(cdc_stage stage, uint32_t done, uint32_t total,
                                      const torch::Tensor* x0)>;

struct CodecOptions {
  int threads = 0;          // 0: all cores
  int steps = 0;            // 0: the model's default
  double gamma = -1.0;      // < 0: the model's default
  uint64_t seed = 0;
  int64_t max_pixels = int64_t{1} << 26;
  ProgressFn progress;      // may be empty
};

// What a stream's header says (checked, without decoding the payload).
struct StreamSummary {
  uint32_t width = 0, height = 0, channels = 0, format_version = 0;
  std::array<uint8_t, 16> model_id{};
  uint64_t stream_size = 0, header_size = 0, payload_size = 0;
  double estimated_bits = 0.0;
};
StreamSummary read_stream_summary(const uint8_t* data, size_t size, int64_t max_pixels);

// Encodes an image into a complete .cdc stream.
std::vector<uint8_t> encode_image(const Model& model, const ImageView& image,
                                  const CodecOptions& options);

// Decodes a .cdc stream into out (whose size must equal the stream's).
void decode_image(const Model& model, const uint8_t* data, size_t size,
                  const MutableImageView& out, const CodecOptions& options);

}  // namespace cdc
