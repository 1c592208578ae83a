// Encoding, decoding and stream queries of the C API.
#include <cstdlib>
#include <cstring>
#include <limits>

#include "api/api_checks.h"
#include "api/api_internal.h"
#include "bitstream/format.h"
#include "codec/codec.h"
#include "codec/geometry.h"
#include "common/hex.h"
#include "image/preview.h"

namespace {

// The progress callback of a context as the codec's ProgressFn (empty when
// none is set); previews are rendered into *preview.
cdc::ProgressFn progress_of(const cdc_context* context, std::vector<uint8_t>* preview) {
  if (context->progress == nullptr) return {};
  cdc_progress_fn fn = context->progress;
  void* user = context->progress_user;
  return [fn, user, preview](cdc_stage stage, uint32_t done, uint32_t total,
                             const torch::Tensor* x0) {
    if (x0 == nullptr) return cdc::api::call_progress(fn, user, stage, done, total, nullptr);
    const cdc::PreviewImage image = cdc::render_preview(*x0, preview);
    return cdc::api::call_progress(fn, user, stage, done, total, &image);
  };
}

}  // namespace

using cdc::api::guarded;
using cdc::api::output_view;
using cdc::api::require;
using cdc::api::require_stream;

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
    const cdc::bitstream::MetadataBlocks blocks = cdc::api::metadata_blocks(metadata);
    const cdc::ImageView image = cdc::api::input_view(pixels, width, height, format, stride);
    std::vector<uint8_t> preview;
    cdc::api::hand_out(
        cdc::encode_image(*model->model, image, context->settings, progress_of(context, &preview)),
        blocks, cdc::stream_limits(model->model->config(), std::numeric_limits<int64_t>::max()),
        data, size);
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
    const cdc::StreamSummary s =
        cdc::read_stream_summary(static_cast<const uint8_t*>(data), size,
                                 context->settings.max_pixels, /*check_payload=*/false);
    const cdc::MutableImageView out = output_view(s, pixels, capacity, format, stride);
    std::vector<uint8_t> preview;
    cdc::decode_image(*model->model, static_cast<const uint8_t*>(data), size, out,
                      context->settings, progress_of(context, &preview));
  });
}

}  // extern "C"
