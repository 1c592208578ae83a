// A stream's summary from its header (no libtorch).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace cdc {

// What a stream's header says: the whole stream is checked (header, lengths,
// both CRCs; the payload CRC only with check_payload) without decoding the
// payload, so that a caller can trust the size before allocating its output.
// decode_image checks the payload itself: a caller about to decode passes
// false rather than computing the payload CRC twice.
struct StreamSummary {
  uint32_t width = 0, height = 0, channels = 0, format_version = 0;
  std::array<uint8_t, 16> model_id{};
  uint64_t stream_size = 0, header_size = 0, payload_size = 0;
  uint64_t residual_size = 0, metadata_size = 0;
  double residual_step = 0.0;  // the residual layer's luma step in levels (0: none)
  uint32_t residual_base_steps = 0;
  double estimated_bits = 0.0;
};
StreamSummary read_stream_summary(const uint8_t* data, size_t size, int64_t max_pixels,
                                  bool check_payload = true);

}  // namespace cdc
