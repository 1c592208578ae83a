// Whole-image encoding: pixels -> analysis -> hyperprior -> entropy coder ->
// .cdc stream.
#include <zlib.h>

#include <cmath>

#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "codec/codec.h"
#include "codec/geometry.h"
#include "codec/latent_symbols.h"
#include "codec/progress.h"
#include "common/error.h"
#include "common/threads.h"
#include "hyperprior/gaussian_conditional.h"
#include "image/pixels.h"

namespace cdc {
namespace {

std::vector<uint8_t> compress_alpha(const std::vector<uint8_t>& alpha) {
  uLongf size = compressBound(static_cast<uLong>(alpha.size()));
  std::vector<uint8_t> out(size);
  if (compress2(out.data(), &size, alpha.data(), static_cast<uLong>(alpha.size()), 9) != Z_OK)
    fail(CDC_STATUS_INTERNAL_ERROR, "zlib could not compress the alpha plane");
  out.resize(size);
  return out;
}

}  // namespace

std::vector<uint8_t> encode_image(const Model& model, const ImageView& image,
                                  const CodecSettings& settings,
                                  const ProgressFn& progress) {
  check_pixel_limit(image.width, image.height, settings.max_pixels);
  set_compute_threads(settings.threads);
  c10::InferenceMode inference;

  const bitstream::Limits limits = stream_limits(model, settings.max_pixels);
  bitstream::StreamHeader header;
  header.model_id = model.id();
  header.width = image.width;
  header.height = image.height;
  header.channels = static_cast<uint32_t>(image.channels);
  header.has_alpha = image.channels == 4;
  bitstream::set_geometry(header, static_cast<uint32_t>(model.config().latent_channels()),
                          static_cast<uint32_t>(model.config().hyper_latent_channels()), limits);

  // Analysis.
  report_progress(progress, CDC_STAGE_ANALYSIS, 0, 2);
  torch::Tensor x = pad_to(image_to_tensor(image), header.padded_height, header.padded_width);
  torch::Tensor y = model.analysis(x);
  report_progress(progress, CDC_STAGE_ANALYSIS, 1, 2);
  torch::Tensor z = model.hyper_analysis(y);
  report_progress(progress, CDC_STAGE_ANALYSIS, 2, 2);
  CDC_CHECK(y.size(1) == header.y.channels && y.size(2) == header.y.height &&
            y.size(3) == header.y.width);
  CDC_CHECK(z.size(1) == header.z.channels && z.size(2) == header.z.height &&
            z.size(3) == header.z.width);

  // Hyperprior: z is coded around the prior's medians; the hyper synthesis of
  // the quantized z gives the Gaussian of every element of y.
  report_progress(progress, CDC_STAGE_ENTROPY_ENCODE, 0, 2);
  torch::Tensor medians = model.prior_medians().reshape({1, -1, 1, 1});
  std::vector<int32_t> z_symbols = quantize_around(z, medians);
  torch::Tensor z_hat = dequantize_around(z_symbols, medians, z.sizes());
  HyperParameters gaussian = model.hyper_synthesis(z_hat, /*deterministic=*/true);
  std::vector<int32_t> y_symbols = quantize_around(y, gaussian.mean);
  std::vector<int32_t> indices = scale_indices(model, gaussian.scale);
  torch::Tensor y_hat = dequantize_around(y_symbols, gaussian.mean, y.sizes());
  header.estimated_bits =
      rate_bits(model.prior_likelihood(z_hat)) + rate_bits(model.gaussian_likelihood(y_hat, gaussian));

  // Entropy coding.
  const bitstream::PreparedTables tables(model.entropy_tables());
  std::vector<uint8_t> z_stream = bitstream::encode_hyper_latent(
      z_symbols.data(), header.z.channels, header.z.height, header.z.width, tables);
  report_progress(progress, CDC_STAGE_ENTROPY_ENCODE, 1, 2);
  std::vector<uint8_t> y_stream =
      bitstream::encode_latent(y_symbols.data(), indices.data(), y_symbols.size(), tables);
  std::vector<uint8_t> alpha_stream;
  if (header.has_alpha) alpha_stream = compress_alpha(extract_alpha(image));
  report_progress(progress, CDC_STAGE_ENTROPY_ENCODE, 2, 2);

  return bitstream::write_stream(header, z_stream, y_stream, alpha_stream, limits);
}

}  // namespace cdc
