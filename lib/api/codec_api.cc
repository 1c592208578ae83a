// Encoding, decoding and stream queries of the C API.
#include <cstdlib>
#include <cstring>
#include <limits>

#include "api/api_internal.h"
#include "bitstream/format.h"
#include "codec/codec.h"
#include "codec/geometry.h"
#include "common/hex.h"
#include "image/preview.h"

namespace {

int channels_of(cdc_pixel_format format) {
  switch (format) {
    case CDC_PIXEL_GRAY8: return 1;
    case CDC_PIXEL_RGB8: return 3;
    case CDC_PIXEL_RGBA8: return 4;
  }
  cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "unknown pixel format {}", static_cast<int>(format));
}

// Checks dimensions and stride; returns the effective stride.
size_t checked_stride(uint32_t width, uint32_t height, int channels, size_t stride) {
  if (width == 0 || height == 0)
    cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "image size {}x{} is empty", width, height);
  if (width > CDC_MAX_DIMENSION || height > CDC_MAX_DIMENSION)
    cdc::fail(CDC_STATUS_LIMIT_EXCEEDED, "image size {}x{} exceeds the limit of {} per side",
              width, height, CDC_MAX_DIMENSION);
  const size_t row = static_cast<size_t>(width) * static_cast<size_t>(channels);
  if (stride == 0) return row;
  if (stride < row)
    cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "stride {} is smaller than a row ({} bytes)", stride,
              row);
  return stride;
}

// The progress callback of a context as the codec's ProgressFn (empty when
// none is set); previews are rendered into *preview.
cdc::ProgressFn progress_of(const cdc_context* context, std::vector<uint8_t>* preview) {
  if (context->progress == nullptr) return {};
  cdc_progress_fn fn = context->progress;
  void* user = context->progress_user;
  return [fn, user, preview](cdc_stage stage, uint32_t done, uint32_t total,
                             const torch::Tensor* x0) {
    cdc_progress p{};
    p.struct_size = sizeof(cdc_progress);
    p.stage = stage;
    p.done = done;
    p.total = total;
    if (x0 != nullptr) {
      cdc::PreviewImage image = cdc::render_preview(*x0, preview);
      p.preview = image.pixels;
      p.preview_width = image.width;
      p.preview_height = image.height;
      p.preview_stride = image.stride;
    }
    return fn(user, &p) == 0;
  };
}

// An empty stream is reported as such (not as a NULL pointer).
void require_stream(const void* data, size_t size) {
  if (size == 0) cdc::fail(CDC_STATUS_TRUNCATED_STREAM, "the stream is empty (0 bytes)");
  cdc::api::require(data, "data");
}

// The metadata blocks of a caller's cdc_metadata (none for NULL), checked.
cdc::bitstream::MetadataBlocks metadata_blocks(const cdc_metadata* metadata) {
  cdc::bitstream::MetadataBlocks blocks;
  if (metadata == nullptr) return blocks;
  const size_t min_size = offsetof(cdc_metadata, xmp_size) + sizeof(size_t);
  if (metadata->struct_size < min_size)
    cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "metadata->struct_size ({}) is too small (at least {})",
              metadata->struct_size, min_size);
  const struct {
    const uint8_t* data;
    size_t size;
    const char* name;
  } given[] = {{metadata->icc, metadata->icc_size, "icc"},
               {metadata->exif, metadata->exif_size, "exif"},
               {metadata->xmp, metadata->xmp_size, "xmp"}};
  for (size_t k = 0; k < cdc::bitstream::kMetadataKinds; ++k) {
    if (given[k].size == 0) continue;
    if (given[k].data == nullptr)
      cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "metadata->{} is NULL but metadata->{}_size is {}",
                given[k].name, given[k].name, given[k].size);
    if (given[k].size > CDC_METADATA_MAX_SIZE)
      cdc::fail(CDC_STATUS_LIMIT_EXCEEDED,
                "metadata->{}_size is {} bytes; a stream holds at most {} per block",
                given[k].name, given[k].size, CDC_METADATA_MAX_SIZE);
    blocks.blocks[k] = {given[k].data, given[k].size};
  }
  return blocks;
}

}  // namespace

using cdc::api::guarded;
using cdc::api::require;

extern "C" {

cdc_status cdc_encode(cdc_context* context, const cdc_model* model, const uint8_t* pixels,
                      uint32_t width, uint32_t height, cdc_pixel_format format, size_t stride,
                      uint8_t** data, size_t* size) {
  return cdc_encode_with_metadata(context, model, pixels, width, height, format, stride, nullptr,
                                  data, size);
}

cdc_status cdc_encode_with_metadata(cdc_context* context, const cdc_model* model,
                                    const uint8_t* pixels, uint32_t width, uint32_t height,
                                    cdc_pixel_format format, size_t stride,
                                    const cdc_metadata* metadata, uint8_t** data, size_t* size) {
  if (data != nullptr) *data = nullptr;
  if (size != nullptr) *size = 0;
  return guarded(context, [&] {
    require(context, "context");
    require(model, "model");
    require(pixels, "pixels");
    require(data, "data");
    require(size, "size");
    const cdc::bitstream::MetadataBlocks blocks = metadata_blocks(metadata);
    cdc::ImageView image;
    image.pixels = pixels;
    image.width = width;
    image.height = height;
    image.channels = channels_of(format);
    image.stride = checked_stride(width, height, image.channels, stride);
    std::vector<uint8_t> preview;
    std::vector<uint8_t> stream =
        cdc::encode_image(*model->model, image, context->settings,
                          progress_of(context, &preview));
    cdc::bitstream::attach_metadata(
        stream, blocks,
        cdc::stream_limits(model->model->config(), std::numeric_limits<int64_t>::max()));
    auto* buffer = static_cast<uint8_t*>(std::malloc(stream.size()));
    if (buffer == nullptr) throw std::bad_alloc();
    std::memcpy(buffer, stream.data(), stream.size());
    *data = buffer;
    *size = stream.size();
  });
}

void cdc_buffer_free(void* buffer) { std::free(buffer); }

cdc_status cdc_stream_get_info(const void* data, size_t size, cdc_stream_info* info) {
  return guarded(nullptr, [&] {
    require_stream(data, size);
    require(info, "info");
    const size_t min_size = offsetof(cdc_stream_info, height);
    if (info->struct_size < min_size)
      cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "info->struct_size ({}) is too small",
                info->struct_size);
    cdc::StreamSummary s = cdc::read_stream_summary(static_cast<const uint8_t*>(data), size,
                                                    std::numeric_limits<int64_t>::max());
    cdc_stream_info full{};
    full.struct_size = info->struct_size;
    full.width = s.width;
    full.height = s.height;
    full.channels = s.channels;
    full.format_version = s.format_version;
    const std::string id = cdc::to_hex(s.model_id);
    std::memcpy(full.model_id, id.c_str(), id.size() + 1);
    full.stream_size = s.stream_size;
    full.header_size = s.header_size;
    full.payload_size = s.payload_size;
    full.estimated_bits = s.estimated_bits;
    full.metadata_size = s.stream_size - s.header_size - s.payload_size;
    std::memcpy(info, &full, std::min(info->struct_size, sizeof(full)));
  });
}

cdc_status cdc_stream_get_metadata(const void* data, size_t size, cdc_metadata_kind kind,
                                   const uint8_t** block, size_t* block_size) {
  if (block != nullptr) *block = nullptr;
  if (block_size != nullptr) *block_size = 0;
  return guarded(nullptr, [&] {
    require_stream(data, size);
    require(block, "block");
    require(block_size, "block_size");
    const auto k = static_cast<uint32_t>(kind);
    if (k < 1 || k > cdc::bitstream::kMetadataKinds)
      cdc::fail(CDC_STATUS_INVALID_ARGUMENT, "unknown metadata kind {}", static_cast<int>(kind));
    cdc::bitstream::Limits limits;
    limits.max_pixels = UINT64_MAX;
    const cdc::bitstream::ParsedStream parsed =
        cdc::bitstream::parse_stream(static_cast<const uint8_t*>(data), size, limits);
    const cdc::bitstream::ByteSpan& found = parsed.metadata[k - 1];
    if (found.size == 0) return;
    *block = found.data;
    *block_size = found.size;
  });
}

cdc_status cdc_decode(cdc_context* context, const cdc_model* model, const void* data,
                      size_t size, uint8_t* pixels, size_t capacity, cdc_pixel_format format,
                      size_t stride) {
  return guarded(context, [&] {
    require(context, "context");
    require(model, "model");
    require_stream(data, size);
    require(pixels, "pixels");
    const int channels = channels_of(format);
    cdc::StreamSummary s =
        cdc::read_stream_summary(static_cast<const uint8_t*>(data), size,
                                 context->settings.max_pixels, /*check_payload=*/false);
    cdc::MutableImageView out;
    out.pixels = pixels;
    out.width = s.width;
    out.height = s.height;
    out.channels = channels;
    out.stride = checked_stride(s.width, s.height, channels, stride);
    size_t needed = 0;
    const bool overflow =
        __builtin_mul_overflow(static_cast<size_t>(s.height) - 1, out.stride, &needed) ||
        __builtin_add_overflow(needed, static_cast<size_t>(s.width) * channels, &needed);
    if (overflow || capacity < needed)
      cdc::fail(CDC_STATUS_BUFFER_TOO_SMALL,
                "the output buffer holds {} bytes; {}x{} with {} channels and stride {} needs {}",
                capacity, s.width, s.height, channels, out.stride, needed);
    std::vector<uint8_t> preview;
    cdc::decode_image(*model->model, static_cast<const uint8_t*>(data), size, out,
                      context->settings, progress_of(context, &preview));
  });
}

}  // extern "C"
