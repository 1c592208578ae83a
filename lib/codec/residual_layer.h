// The residual layer in the codec (CDC_OPTION_RESIDUAL; docs/format.md,
// "Residual section"): the encoder decodes its own stream as any decoder
// will (the model's default steps, deterministic) and appends the coded
// difference between the original and that image; the decoder decodes the
// base the same way and adds the residual. Shared by the inference core and
// the libtorch codec, which pass their own base decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "bitstream/format.h"
#include "common/codec_settings.h"
#include "image/image_view.h"

namespace cdc {

// Decodes a stream's latents into an image (of the view's size and
// channels) with the given settings.
using BaseDecoder = std::function<void(const MutableImageView& out, const CodecSettings& settings)>;
// Reports the residual stage (done of total); throws to cancel.
using ResidualProgress = std::function<void(uint32_t done, uint32_t total)>;

// The settings a stream's base image is decoded with: `steps` steps,
// deterministic (gamma 0); the rest (threads, tiles, precision, device) as
// given.
CodecSettings base_settings(const CodecSettings& settings, int steps);

// Appends the residual layer to `stream` (as write_stream makes it) when
// settings.residual > 0 or settings.target_bpp > 0: decodes the stream with
// decode_base at the model's default steps (`default_steps`), codes
// image - base with the step asked for (or, for a target rate, the step whose
// stream comes closest to it, bisecting the step; none when the stream alone
// is closer) and attaches it.
void add_residual_layer(std::vector<uint8_t>& stream, const ImageView& image,
                        const CodecSettings& settings, int default_steps,
                        const bitstream::Limits& limits, const BaseDecoder& decode_base,
                        const ResidualProgress& progress);

// Decodes a parsed stream into out. Without a residual layer that is
// decode_base(out, settings). With one: the base in the stream's own channels
// with decode_base (at the stream's base steps, deterministic), the residual
// added, then converted to out's format (any pixel format); out is written
// only when everything succeeded. The stream's base steps must be the
// model's default steps (`default_steps`, what every encoder writes; the
// stream's model id fixes the model), else CDC_STATUS_CORRUPT_STREAM: a
// stream cannot make the decoder run more steps than the model's default.
void decode_with_residual(const bitstream::ParsedStream& parsed, const MutableImageView& out,
                          const CodecSettings& settings, int default_steps,
                          const BaseDecoder& decode_base, const ResidualProgress& progress);

}  // namespace cdc
