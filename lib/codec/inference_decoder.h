// Decoding without libtorch (the inference core): the same stream -> pixels
// path as decode_image (codec.h), on InferenceModel's networks, for the
// settings it covers (core_decodes). Its output is the libtorch decoder's,
// pixel for pixel, on the same machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cdc.h"
#include "common/codec_settings.h"
#include "image/image_view.h"
#include "image/pixel_rows.h"
#include "model/inference_model.h"

namespace cdc {

// The current x0 prediction during the diffusion stage, as 8-bit RGB.
using DecodePreview = PreviewImage;

// Reports progress (preview only during CDC_STAGE_DIFFUSION, else null);
// returning false cancels (cdc::Error with CDC_STATUS_CANCELLED).
using CoreProgressFn = std::function<bool(cdc_stage stage, uint32_t done, uint32_t total,
                                          const DecodePreview* preview)>;

// Reports a stage's progress; throws CDC_STATUS_CANCELLED when the callback
// asks to stop.
void report_core_progress(const CoreProgressFn& progress, cdc_stage stage, uint32_t done,
                          uint32_t total);

// Empty when the core decodes a stream with these settings, else why not
// (the caller then uses the libtorch decoder): a device other than the CPU,
// CDC_ONEDNN=0 or CDC_ENGINE=1. bfloat16 (precision 1) runs in the core: its
// convolutions round their sources and weights to bfloat16 (see
// onednn::PrecisionScope).
std::string core_decode_unsupported(const CodecSettings& settings);

// Decodes a .cdc stream into out (whose size must equal the stream's); out is
// written only when the decode succeeds. Throws cdc::Error.
void decode_image_core(const InferenceModel& model, const uint8_t* data, size_t size,
                       const MutableImageView& out, const CodecSettings& settings,
                       const CoreProgressFn& progress);

// The alpha plane of a stream (zlib), checked to hold exactly `pixels` bytes.
std::vector<uint8_t> uncompress_alpha(const uint8_t* data, size_t size, size_t pixels);

}  // namespace cdc
