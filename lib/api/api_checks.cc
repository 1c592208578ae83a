#include "api/api_checks.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <limits>
#include <string>

#include "api/api_guard.h"
#include "bitstream/format.h"
#include "common/error.h"
#include "common/hex.h"

namespace cdc::api {

int channels_of(cdc_pixel_format format) {
  switch (format) {
    case CDC_PIXEL_GRAY8: return 1;
    case CDC_PIXEL_RGB8: return 3;
    case CDC_PIXEL_RGBA8: return 4;
  }
  fail(CDC_STATUS_INVALID_ARGUMENT, "unknown pixel format {}", static_cast<int>(format));
}

size_t checked_stride(uint32_t width, uint32_t height, int channels, size_t stride) {
  if (width == 0 || height == 0)
    fail(CDC_STATUS_INVALID_ARGUMENT, "image size {}x{} is empty", width, height);
  if (width > CDC_MAX_DIMENSION || height > CDC_MAX_DIMENSION)
    fail(CDC_STATUS_LIMIT_EXCEEDED, "image size {}x{} exceeds the limit of {} per side", width,
         height, CDC_MAX_DIMENSION);
  const size_t row = static_cast<size_t>(width) * static_cast<size_t>(channels);
  if (stride == 0) return row;
  if (stride < row)
    fail(CDC_STATUS_INVALID_ARGUMENT, "stride {} is smaller than a row ({} bytes)", stride, row);
  return stride;
}

void require_stream(const void* data, size_t size) {
  if (size == 0) fail(CDC_STATUS_TRUNCATED_STREAM, "the stream is empty (0 bytes)");
  require(data, "data");
}

bool call_progress(cdc_progress_fn fn, void* user, cdc_stage stage, uint32_t done, uint32_t total,
                   const PreviewImage* preview) {
  cdc_progress p{};
  p.struct_size = sizeof(cdc_progress);
  p.stage = stage;
  p.done = done;
  p.total = total;
  if (preview != nullptr) {
    p.preview = preview->pixels;
    p.preview_width = preview->width;
    p.preview_height = preview->height;
    p.preview_stride = preview->stride;
  }
  return fn(user, &p) == 0;
}

ImageView input_view(const uint8_t* pixels, uint32_t width, uint32_t height,
                     cdc_pixel_format format, size_t stride) {
  require(pixels, "pixels");
  ImageView image;
  image.pixels = pixels;
  image.width = width;
  image.height = height;
  image.channels = static_cast<uint32_t>(channels_of(format));
  image.stride = checked_stride(width, height, static_cast<int>(image.channels), stride);
  return image;
}

void hand_out(std::vector<uint8_t> stream, const bitstream::MetadataBlocks& blocks,
              const bitstream::Limits& limits, uint8_t** data, size_t* size) {
  bitstream::attach_metadata(stream, blocks, limits);
  auto* buffer = static_cast<uint8_t*>(std::malloc(stream.size()));
  if (buffer == nullptr) throw std::bad_alloc();
  std::memcpy(buffer, stream.data(), stream.size());
  *data = buffer;
  *size = stream.size();
}

MutableImageView output_view(const StreamSummary& s, uint8_t* pixels, size_t capacity,
                             cdc_pixel_format format, size_t stride) {
  const int channels = channels_of(format);
  MutableImageView out;
  out.pixels = pixels;
  out.width = s.width;
  out.height = s.height;
  out.channels = static_cast<uint32_t>(channels);
  out.stride = checked_stride(s.width, s.height, channels, stride);
  size_t needed = 0;
  const bool overflow =
      __builtin_mul_overflow(static_cast<size_t>(s.height) - 1, out.stride, &needed) ||
      __builtin_add_overflow(needed, static_cast<size_t>(s.width) * channels, &needed);
  if (overflow || capacity < needed)
    fail(CDC_STATUS_BUFFER_TOO_SMALL,
         "the output buffer holds {} bytes; {}x{} with {} channels and stride {} needs {}",
         capacity, s.width, s.height, channels, out.stride, needed);
  return out;
}

bitstream::MetadataBlocks metadata_blocks(const cdc_metadata* metadata) {
  bitstream::MetadataBlocks blocks;
  if (metadata == nullptr) return blocks;
  const size_t min_size = offsetof(cdc_metadata, xmp_size) + sizeof(size_t);
  if (metadata->struct_size < min_size)
    fail(CDC_STATUS_INVALID_ARGUMENT, "metadata->struct_size ({}) is too small (at least {})",
              metadata->struct_size, min_size);
  const struct {
    const uint8_t* data;
    size_t size;
    const char* name;
  } given[] = {{metadata->icc, metadata->icc_size, "icc"},
               {metadata->exif, metadata->exif_size, "exif"},
               {metadata->xmp, metadata->xmp_size, "xmp"}};
  for (size_t k = 0; k < bitstream::kMetadataKinds; ++k) {
    if (given[k].size == 0) continue;
    if (given[k].data == nullptr)
      fail(CDC_STATUS_INVALID_ARGUMENT, "metadata->{} is NULL but metadata->{}_size is {}",
                given[k].name, given[k].name, given[k].size);
    if (given[k].size > CDC_METADATA_MAX_SIZE)
      fail(CDC_STATUS_LIMIT_EXCEEDED,
                "metadata->{}_size is {} bytes; a stream holds at most {} per block",
                given[k].name, given[k].size, CDC_METADATA_MAX_SIZE);
    blocks.blocks[k] = {given[k].data, given[k].size};
  }
  return blocks;
}

void stream_info(const void* data, size_t size, cdc_stream_info* info) {
  require_stream(data, size);
  require(info, "info");
  const size_t min_size = offsetof(cdc_stream_info, height);
  if (info->struct_size < min_size)
    fail(CDC_STATUS_INVALID_ARGUMENT, "info->struct_size ({}) is too small", info->struct_size);
  const StreamSummary s = read_stream_summary(static_cast<const uint8_t*>(data), size,
                                              std::numeric_limits<int64_t>::max());
  cdc_stream_info full{};
  full.struct_size = info->struct_size;
  full.width = s.width;
  full.height = s.height;
  full.channels = s.channels;
  full.format_version = s.format_version;
  const std::string id = to_hex(s.model_id);
  std::memcpy(full.model_id, id.c_str(), id.size() + 1);
  full.stream_size = s.stream_size;
  full.header_size = s.header_size;
  full.payload_size = s.payload_size;
  full.estimated_bits = s.estimated_bits;
  full.metadata_size = s.metadata_size;
  full.residual_size = s.residual_size;
  full.residual_step = s.residual_step;
  full.residual_base_steps = s.residual_base_steps;
  std::memcpy(info, &full, std::min(info->struct_size, sizeof(full)));
}

void stream_metadata(const void* data, size_t size, cdc_metadata_kind kind, const uint8_t** block,
                     size_t* block_size) {
  require_stream(data, size);
  require(block, "block");
  require(block_size, "block_size");
  const auto k = static_cast<uint32_t>(kind);
  if (k < 1 || k > bitstream::kMetadataKinds)
    fail(CDC_STATUS_INVALID_ARGUMENT, "unknown metadata kind {}", static_cast<int>(kind));
  bitstream::Limits limits;
  limits.size_multiple = 0;  // without the model: any model's geometry
  limits.max_pixels = UINT64_MAX;
  const bitstream::ParsedStream parsed =
      bitstream::parse_stream(static_cast<const uint8_t*>(data), size, limits);
  const bitstream::ByteSpan& found = parsed.metadata[k - 1];
  if (found.size == 0) return;
  *block = found.data;
  *block_size = found.size;
}

}  // namespace cdc::api
