#include "codec/residual_layer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "image/pixel_rows.h"
#include "residual/residual_coding.h"

namespace cdc {
namespace {

// Copies `from` (1, 3 or 4 channels) into `to` (any of those), converting
// gray <-> colour (bt601_luma, as the decoders' gray output) and adding or dropping alpha (255 when added).
void convert_pixels(const ImageView& from, const MutableImageView& to) {
  CDC_CHECK(from.width == to.width && from.height == to.height);
  for (uint32_t y = 0; y < from.height; ++y) {
    const uint8_t* s = from.pixels + y * from.stride;
    uint8_t* d = to.pixels + y * to.stride;
    if (from.channels == to.channels) {
      std::memcpy(d, s, static_cast<size_t>(from.width) * from.channels);
      continue;
    }
    for (uint32_t x = 0; x < from.width; ++x, s += from.channels, d += to.channels) {
      if (to.channels == 1) {
        d[0] = from.channels == 1 ? s[0] : bt601_luma(s[0], s[1], s[2]);
        continue;
      }
      for (int c = 0; c < 3; ++c) d[c] = from.channels == 1 ? s[0] : s[c];
      if (to.channels == 4) d[3] = from.channels == 4 ? s[3] : 255;
    }
  }
}

uint16_t step_units(double step) {
  return static_cast<uint16_t>(std::clamp<long>(std::lround(step * 16.0), 1, 65535));
}

}  // namespace

CodecSettings base_settings(const CodecSettings& settings, int steps) {
  CodecSettings s = settings;
  s.steps = steps;
  s.gamma = 0;
  s.seed = 0;
  s.residual = 0;
  s.target_bpp = 0;
  return s;
}

void add_residual_layer(std::vector<uint8_t>& stream, const ImageView& image,
                        const CodecSettings& settings, int default_steps,
                        const bitstream::Limits& limits, const BaseDecoder& decode_base,
                        const ResidualProgress& progress) {
  if (settings.residual <= 0 && settings.target_bpp <= 0) return;
  if (default_steps < 1 || default_steps > 65535)
    fail(CDC_STATUS_UNSUPPORTED, "a residual layer needs a model decoding in 1 to 65535 steps");
  std::vector<uint8_t> pixels(static_cast<size_t>(image.width) * image.height * image.channels);
  const MutableImageView base{pixels.data(), image.width, image.height, image.channels,
                              static_cast<size_t>(image.width) * image.channels};
  CodecSettings decoding = base_settings(settings, default_steps);
  decoding.precision = 0;  // the encoder's arithmetic is float32
  decode_base(base, decoding);
  const ImageView base_view{base.pixels, base.width, base.height, base.channels, base.stride};
  residual::Steps steps;
  std::vector<uint8_t> code;
  constexpr int kIterations = 10;  // bisection steps of a target rate
  const uint32_t total = settings.target_bpp > 0 ? kIterations : 1;
  if (progress) progress(0, total);
  if (settings.target_bpp > 0) {
    // The step whose stream comes closest to the target (in log rate): the
    // rate falls as the step grows, so bisect log2(step); no residual layer
    // when the model's stream alone is closest.
    const double target = settings.target_bpp * image.width * image.height;
    const auto distance = [&](double bits) { return std::fabs(std::log(bits / target)); };
    const double base_bits = stream.size() * 8.0;
    double best = distance(base_bits);
    if (base_bits < target) {
      double lo = std::log2(kMinResidualStep), hi = std::log2(kMaxResidualStep);
      for (int i = 0; i < kIterations; ++i) {
        if (progress && i > 0) progress(static_cast<uint32_t>(i), total);
        const double mid = 0.5 * (lo + hi);
        const uint16_t units = step_units(std::exp2(mid));
        const residual::Steps candidate = residual::encoder_steps(units);
        std::vector<uint8_t> trial = residual::encode_residual(image, base_view, candidate);
        const double bits =
            (stream.size() + bitstream::kResidualSectionOverhead + trial.size()) * 8.0;
        if (distance(bits) < best) {
          best = distance(bits);
          steps = candidate;
          code = std::move(trial);
        }
        (bits > target ? lo : hi) = mid;
      }
    }
    if (steps.luma == 0) {  // the model's stream alone
      if (progress) progress(total, total);
      return;
    }
  } else {
    steps = residual::encoder_steps(step_units(settings.residual));
    code = residual::encode_residual(image, base_view, steps);
  }
  bitstream::ResidualParameters parameters;
  parameters.luma_step = steps.luma;
  parameters.chroma_step = steps.chroma;
  parameters.band_tilt = steps.tilt;
  parameters.base_steps = static_cast<uint16_t>(default_steps);
  bitstream::attach_residual(stream, parameters, code, limits);
  if (progress) progress(total, total);
}

void decode_with_residual(const bitstream::ParsedStream& parsed, const MutableImageView& out,
                          const CodecSettings& settings, int default_steps,
                          const BaseDecoder& decode_base, const ResidualProgress& progress) {
  const bitstream::StreamHeader& h = parsed.header;
  CDC_CHECK(out.width == h.width && out.height == h.height);
  if (parsed.residual_size == 0) {
    decode_base(out, settings);
    return;
  }
  if (parsed.residual.base_steps != default_steps)
    fail(CDC_STATUS_CORRUPT_STREAM,
         "residual section: the base image is decoded in {} steps, the model's default is {}",
         parsed.residual.base_steps, default_steps);
  const int channels = static_cast<int>(h.channels);
  std::vector<uint8_t> pixels(static_cast<size_t>(h.width) * h.height * channels);
  const MutableImageView base{pixels.data(), h.width, h.height, channels,
                              static_cast<size_t>(h.width) * channels};
  decode_base(base, base_settings(settings, parsed.residual.base_steps));
  if (progress) progress(0, 1);
  residual::decode_residual(parsed.residual_code.data, parsed.residual_code.size,
                            {parsed.residual.luma_step, parsed.residual.chroma_step,
                             parsed.residual.band_tilt},
                            base);
  if (progress) progress(1, 1);
  convert_pixels(ImageView{base.pixels, base.width, base.height, base.channels, base.stride},
                 out);
}

}  // namespace cdc
