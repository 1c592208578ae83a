// Encoding without libtorch (the inference core): pixels -> analysis ->
// hyperprior -> entropy coder -> .cdc stream on InferenceModel's networks,
// for the settings it covers (core_encode_unsupported). Its streams are
// valid streams of the model that any libcdc decodes; they are not byte for
// byte the libtorch encoder's (other convolution kernels, and the header's
// rate estimate is the ideal code length under the coder's tables).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codec/inference_decoder.h"
#include "common/codec_settings.h"
#include "image/image_view.h"
#include "model/inference_model.h"

namespace cdc {

// Empty when the core encodes with these settings, else why not (the caller
// then uses the libtorch encoder): encoder effort above 0 (it follows the
// decoder's gradients), a device other than the CPU, or CDC_ONEDNN=0.
std::string core_encode_unsupported(const CodecSettings& settings);

// Encodes an image into a complete .cdc stream (no metadata). Throws
// cdc::Error.
std::vector<uint8_t> encode_image_core(const InferenceModel& model, const ImageView& image,
                                       const CodecSettings& settings,
                                       const CoreProgressFn& progress);

}  // namespace cdc
