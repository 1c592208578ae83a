#include "codec/stream_summary.h"

#include "bitstream/format.h"

namespace cdc {

StreamSummary read_stream_summary(const uint8_t* data, size_t size, int64_t max_pixels,
                                  bool check_payload) {
  bitstream::Limits limits;
  limits.size_multiple = 0;  // without the model: any model's geometry
  limits.max_pixels = static_cast<uint64_t>(max_pixels);
  bitstream::ParsedStream parsed = check_payload ? bitstream::parse_stream(data, size, limits)
                                                 : bitstream::parse_header(data, size, limits);
  StreamSummary s;
  s.width = parsed.header.width;
  s.height = parsed.header.height;
  s.channels = parsed.header.channels;
  s.format_version = parsed.header.format_version;
  s.model_id = parsed.header.model_id;
  s.header_size = parsed.header_size;
  s.payload_size = parsed.payload_size;
  s.residual_size = parsed.residual_size;
  s.metadata_size = parsed.metadata_size;
  s.residual_step = parsed.residual.luma_step / 16.0;
  s.residual_base_steps = parsed.residual.base_steps;
  s.stream_size =
      parsed.header_size + parsed.payload_size + parsed.residual_size + parsed.metadata_size;
  s.estimated_bits = parsed.header.estimated_bits;
  return s;
}

}  // namespace cdc
