// Argument checks and stream queries of the C API that need no engine
// (no libtorch), shared by libcdc.so's front and its engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bitstream/format.h"
#include "cdc.h"
#include "codec/stream_summary.h"
#include "image/image_view.h"
#include "image/pixel_rows.h"

namespace cdc::api {

// Channels of a pixel format (INVALID_ARGUMENT for an unknown one).
int channels_of(cdc_pixel_format format);

// Checks an image's dimensions and stride; returns the effective stride.
size_t checked_stride(uint32_t width, uint32_t height, int channels, size_t stride);

// An empty stream is reported as such (TRUNCATED_STREAM), NULL data as an
// invalid argument.
void require_stream(const void* data, size_t size);

// Calls a caller's progress callback; true to go on.
bool call_progress(cdc_progress_fn fn, void* user, cdc_stage stage, uint32_t done, uint32_t total,
                   const PreviewImage* preview);

// The caller's input image for an encode (format and stride checked).
ImageView input_view(const uint8_t* pixels, uint32_t width, uint32_t height,
                     cdc_pixel_format format, size_t stride);

// Hands a finished stream to the caller: attaches the metadata blocks (the
// model's stream limits), copies it into a malloc'd buffer (cdc_buffer_free).
void hand_out(std::vector<uint8_t> stream, const bitstream::MetadataBlocks& blocks,
              const bitstream::Limits& limits, uint8_t** data, size_t* size);

// The caller's output buffer for a decode of the stream s: checks the format,
// stride and capacity (BUFFER_TOO_SMALL).
MutableImageView output_view(const StreamSummary& s, uint8_t* pixels, size_t capacity,
                             cdc_pixel_format format, size_t stride);

// The metadata blocks of a caller's cdc_metadata (none for NULL), checked.
bitstream::MetadataBlocks metadata_blocks(const cdc_metadata* metadata);

// The bodies of cdc_stream_get_info and cdc_stream_get_metadata (throwing).
void stream_info(const void* data, size_t size, cdc_stream_info* info);
void stream_metadata(const void* data, size_t size, cdc_metadata_kind kind, const uint8_t** block,
                     size_t* block_size);

}  // namespace cdc::api
