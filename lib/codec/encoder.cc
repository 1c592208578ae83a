// Encoding: pixels -> analysis -> hyperprior -> entropy coder ->
// .cdc stream.
#include <cmath>

#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "codec/codec.h"
#include "codec/geometry.h"
#include "codec/latent_refinement.h"
#include "codec/latent_symbols.h"
#include "codec/progress.h"
#include "codec/residual_layer.h"
#include "codec/tiling.h"
#include "common/error.h"
#include "common/memory.h"
#include "common/threads.h"
#include "hyperprior/gaussian_conditional.h"
#include "image/pixels.h"

namespace cdc {

std::vector<uint8_t> encode_image(const Model& model, const ImageView& image,
                                  const CodecSettings& settings,
                                  const ProgressFn& progress) {
  check_pixel_limit(image.width, image.height, settings.max_pixels);
  set_compute_threads(settings.threads);
  c10::InferenceMode inference;

  const bitstream::Limits limits = stream_limits(model.config(), settings.max_pixels);
  bitstream::StreamHeader header;
  header.model_id = model.id();
  header.width = image.width;
  header.height = image.height;
  header.channels = static_cast<uint32_t>(image.channels);
  header.has_alpha = image.channels == 4;
  bitstream::set_geometry(header, static_cast<uint32_t>(model.config().latent_channels()),
                          static_cast<uint32_t>(model.config().hyper_latent_channels()), limits);

  // Analysis, tile by tile: each tile's latents are the core of the latents
  // of its region (the core and its overlap); the hyper analysis then sees
  // the whole latent, so the stream's layout does not depend on the tiles.
  const TilePlan plan = plan_tiles(header.padded_height, header.padded_width, model.size_multiple(),
                                   settings, tile_defaults(model.config()));
  const auto tiles = static_cast<uint32_t>(plan.count());
  report_progress(progress, CDC_STAGE_ANALYSIS, 0, tiles + 1);
  torch::Tensor y;
  const int64_t f = limits.y_factor;
  for (uint32_t i = 0; i < tiles; ++i) {
    const Tile t = plan.at(i);
    torch::Tensor part = model.analysis(
        image_region_to_tensor(image, t.row.region.begin, t.col.region.begin,
                               t.row.region.size(), t.col.region.size()),
        settings.device);
    if (plan.whole()) {
      y = part;
    } else {
      using torch::indexing::Slice;
      if (!y.defined())
        y = torch::empty({1, part.size(1), plan.height / f, plan.width / f}, part.options());
      const int64_t r0 = (t.row.core.begin - t.row.region.begin) / f;
      const int64_t c0 = (t.col.core.begin - t.col.region.begin) / f;
      y.index_put_({Slice(), Slice(), Slice(t.row.core.begin / f, t.row.core.end / f),
                    Slice(t.col.core.begin / f, t.col.core.end / f)},
                   part.index({Slice(), Slice(), Slice(r0, r0 + t.row.core.size() / f),
                               Slice(c0, c0 + t.col.core.size() / f)}));
    }
    part = torch::Tensor();
    if (!plan.whole()) release_free_memory();
    report_progress(progress, CDC_STAGE_ANALYSIS, i + 1, tiles + 1);
  }
  y = y.contiguous();
  torch::Tensor z = model.hyper_analysis(y);
  report_progress(progress, CDC_STAGE_ANALYSIS, tiles + 1, tiles + 1);
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
  if (settings.effort > 0) {
    // Effort: the latents of this image refined through the decoder, tile by
    // tile as the decoder will cut it by default.
    const TilePlan decode_plan = plan_tiles(header.padded_height, header.padded_width,
                                            model.size_multiple(), CodecSettings{},
                                            tile_defaults(model.config()));
    y = refine_latents(model, image, decode_plan, y, gaussian, settings, progress);
  }
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
  if (header.has_alpha) alpha_stream = compress_alpha(image);
  report_progress(progress, CDC_STAGE_ENTROPY_ENCODE, 2, 2);

  std::vector<uint8_t> stream =
      bitstream::write_stream(header, z_stream, y_stream, alpha_stream, limits);
  add_residual_layer(
      stream, image, settings, model.decoding_settings(CodecSettings{}).steps, limits,
      [&](const MutableImageView& base, const CodecSettings& s) {
        decode_image(model, stream.data(), stream.size(), base, s, progress);
      },
      [&](uint32_t done, uint32_t total) {
        report_progress(progress, CDC_STAGE_RESIDUAL, done, total);
      });
  return stream;
}

}  // namespace cdc
