// Encoding, decoding and stream queries of the C API in the front. Streams
// are written, read and decoded by the inference core (no libtorch); the
// encodes and decodes it does not cover (core_encode_unsupported,
// core_decode_unsupported) are forwarded to the engine with its own model and
// context handles.
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "api/api_checks.h"
#include "api/api_guard.h"
#include "api/front/front.h"
#include "codec/geometry.h"
#include "codec/inference_decoder.h"
#include "codec/inference_encoder.h"

using cdc::api::guarded;
using cdc::api::require;

namespace {

// The context's progress callback for the core decoder (empty when none).
cdc::CoreProgressFn progress_of(const cdc_context* context) {
  if (context->progress == nullptr) return {};
  cdc_progress_fn fn = context->progress;
  void* user = context->progress_user;
  return [fn, user](cdc_stage stage, uint32_t done, uint32_t total,
                    const cdc::DecodePreview* preview) {
    return cdc::api::call_progress(fn, user, stage, done, total, preview);
  };
}

}  // namespace

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
    if (cdc::core_encode_unsupported(context->settings).empty()) {
      require(pixels, "pixels");
      require(data, "data");
      require(size, "size");
      const cdc::bitstream::MetadataBlocks blocks = cdc::api::metadata_blocks(metadata);
      const cdc::ImageView image = cdc::api::input_view(pixels, width, height, format, stride);
      cdc::api::hand_out(
          cdc::encode_image_core(*model->core, image, context->settings, progress_of(context)),
          blocks, cdc::stream_limits(model->core->config(), std::numeric_limits<int64_t>::max()),
          data, size);
      return;
    }
    const CdcEngineTable& e = cdc::front::require_engine();
    cdc_model* engine_model = cdc::front::engine_model(const_cast<cdc_model*>(model));
    cdc_context* engine_context = cdc::front::engine_context(context);
    const cdc_status status = e.cdc_encode_with_metadata(engine_context, engine_model, pixels,
                                                         width, height, format, stride, metadata,
                                                         data, size);
    if (status != CDC_STATUS_OK) cdc::front::throw_engine_error(status, engine_context);
  });
}

cdc_status cdc_stream_get_info(const void* data, size_t size, cdc_stream_info* info) {
  return guarded(nullptr, [&] { cdc::api::stream_info(data, size, info); });
}

cdc_status cdc_stream_get_metadata(const void* data, size_t size, cdc_metadata_kind kind,
                                   const uint8_t** block, size_t* block_size) {
  if (block != nullptr) *block = nullptr;
  if (block_size != nullptr) *block_size = 0;
  return guarded(nullptr, [&] { cdc::api::stream_metadata(data, size, kind, block, block_size); });
}

cdc_status cdc_decode(cdc_context* context, const cdc_model* model, const void* data,
                      size_t size, uint8_t* pixels, size_t capacity, cdc_pixel_format format,
                      size_t stride) {
  return guarded(context, [&] {
    require(context, "context");
    require(model, "model");
    cdc::api::require_stream(data, size);
    require(pixels, "pixels");
    const cdc::StreamSummary s =
        cdc::read_stream_summary(static_cast<const uint8_t*>(data), size,
                                 context->settings.max_pixels, /*check_payload=*/false);
    const cdc::MutableImageView out = cdc::api::output_view(s, pixels, capacity, format, stride);
    if (cdc::core_decode_unsupported(context->settings).empty()) {
      cdc::decode_image_core(*model->core, static_cast<const uint8_t*>(data), size, out,
                             context->settings, progress_of(context));
      return;
    }
    const CdcEngineTable& e = cdc::front::require_engine();
    cdc_model* engine_model = cdc::front::engine_model(const_cast<cdc_model*>(model));
    cdc_context* engine_context = cdc::front::engine_context(context);
    const cdc_status status = e.cdc_decode(engine_context, engine_model, data, size, pixels,
                                           capacity, format, stride);
    if (status != CDC_STATUS_OK) cdc::front::throw_engine_error(status, engine_context);
  });
}

}  // extern "C"
