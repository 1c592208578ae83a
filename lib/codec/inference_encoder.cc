// Encoding on the inference core: the steps of encoder.cc on float buffers
// and the oneDNN networks. The coder's inputs (the symbols, the Gaussian
// means and the scale-table indices) are computed as there: quantization in
// float64, the hyper synthesis in float64 on the fixed grid.
#include "codec/inference_encoder.h"

#include <algorithm>
#include <cmath>

#include "analysis/analysis_onednn.h"
#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "codec/geometry.h"
#include "codec/residual_layer.h"
#include "codec/tiling.h"
#include "common/error.h"
#include "common/memory.h"
#include "common/threads.h"
#include "hyperprior/hyper_analysis_onednn.h"
#include "hyperprior/hyper_synthesis_f64.h"
#include "image/pixel_rows.h"
#include "onednn/runtime.h"

namespace cdc {

using onednn::Activation;

namespace {

// A region of the image (edge-replicated beyond it) as an NHWC activation in
// [-1, 1], as image_region_to_tensor (pixels.h) converts it.
Activation image_region(const ImageView& image, int64_t top, int64_t left, int64_t h, int64_t w,
                        onednn::BufferPool& pool) {
  Activation x = Activation::make(pool, 1, h, w, 3);
  const int64_t last_row = static_cast<int64_t>(image.height) - 1;
  const int64_t last_col = static_cast<int64_t>(image.width) - 1;
  constexpr float kScale = 2.0f / 255.0f;
  float* d = x.data();
  for (int64_t yy = 0; yy < h; ++yy) {
    const uint8_t* row =
        image.pixels + static_cast<size_t>(std::min(top + yy, last_row)) * image.stride;
    for (int64_t xx = 0; xx < w; ++xx, d += 3) {
      const uint8_t* p = row + std::min(left + xx, last_col) * image.channels;
      if (image.channels == 1) {
        d[0] = d[1] = d[2] = p[0] * kScale - 1.0f;
      } else {
        d[0] = p[0] * kScale - 1.0f;
        d[1] = p[1] * kScale - 1.0f;
        d[2] = p[2] * kScale - 1.0f;
      }
    }
  }
  return x;
}

// round(value - center) in float64, as quantize_around (latent_symbols.h).
int32_t symbol(float value, float center) {
  const double q = std::nearbyint(static_cast<double>(value) - static_cast<double>(center));
  if (!(std::fabs(q) <= 1e9))
    fail(CDC_STATUS_LIMIT_EXCEEDED, "latent value {} is out of the codable range", q);
  return static_cast<int32_t>(q);
}

}  // namespace

std::string core_encode_unsupported(const CodecSettings& settings) {
  if (settings.effort > 0) return "encoder effort above 0";
  if (settings.device != kDeviceCpu) return "a device other than the CPU";
  if (!onednn::enabled()) return "CDC_ONEDNN=0";
  if (onednn::engine_forced()) return "CDC_ENGINE=1";
  return "";
}

std::vector<uint8_t> encode_image_core(const InferenceModel& model, const ImageView& image,
                                       const CodecSettings& settings,
                                       const CoreProgressFn& progress) {
  const std::string why = core_encode_unsupported(settings);
  if (!why.empty()) fail(CDC_STATUS_INTERNAL_ERROR, "the inference core does not encode {}", why);
  check_pixel_limit(image.width, image.height, settings.max_pixels);
  set_openmp_threads(settings.threads);
  const ModelConfig& config = model.config();
  const bitstream::Limits limits = stream_limits(config, settings.max_pixels);
  bitstream::StreamHeader header;
  header.model_id = model.id();
  header.width = image.width;
  header.height = image.height;
  header.channels = static_cast<uint32_t>(image.channels);
  header.has_alpha = image.channels == 4;
  bitstream::set_geometry(header, static_cast<uint32_t>(config.latent_channels()),
                          static_cast<uint32_t>(config.hyper_latent_channels()), limits);
  const int64_t yc = header.y.channels, yh = header.y.height, yw = header.y.width;
  const int64_t zc = header.z.channels, zh = header.z.height, zw = header.z.width;

  // Analysis, tile by tile (the cores of the tiles' latents), then the hyper
  // analysis of the whole latent, as encoder.cc.
  const TilePlan plan = plan_tiles(header.padded_height, header.padded_width,
                                   model.size_multiple(), settings, tile_defaults(config));
  const auto tiles = static_cast<uint32_t>(plan.count());
  report_core_progress(progress, CDC_STAGE_ANALYSIS, 0, tiles + 1);
  const int64_t f = limits.y_factor;
  const AnalysisOneDnn& analysis = model.analysis();
  {
    // The networks' plans for every tile size, made in parallel up front.
    onednn::PlanJobs jobs;
    for (const auto& [h, w] : region_sizes(plan)) analysis.plan_jobs(h, w, jobs);
    model.hyper_analysis().plan_jobs(yh, yw, jobs);
    onednn::run_plan_jobs(jobs);
  }
  onednn::BufferPool pool;
  Activation y = Activation::make(pool, 1, yh, yw, yc);
  for (uint32_t i = 0; i < tiles; ++i) {
    const Tile t = plan.at(i);
    Activation part;
    {
      onednn::BufferPool tile_pool;
      part = analysis.forward(image_region(image, t.row.region.begin, t.col.region.begin,
                                           t.row.region.size(), t.col.region.size(), tile_pool),
                              tile_pool);
    }
    CDC_CHECK(part.c == yc);
    const int64_t r0 = (t.row.core.begin - t.row.region.begin) / f;
    const int64_t c0 = (t.col.core.begin - t.col.region.begin) / f;
    for (int64_t r = 0; r < t.row.core.size() / f; ++r)
      std::copy_n(part.data() + ((r0 + r) * part.w + c0) * yc, t.col.core.size() / f * yc,
                  y.data() + ((t.row.core.begin / f + r) * yw + t.col.core.begin / f) * yc);
    part = Activation();
    if (!plan.whole()) release_free_memory();
    report_core_progress(progress, CDC_STAGE_ANALYSIS, i + 1, tiles + 1);
  }
  const Activation z = model.hyper_analysis().forward(y, pool);
  CDC_CHECK(z.c == zc && z.h == zh && z.w == zw);
  report_core_progress(progress, CDC_STAGE_ANALYSIS, tiles + 1, tiles + 1);

  // Hyperprior: z around the prior's medians; the hyper synthesis of the
  // quantized z gives the Gaussian of every element of y.
  report_core_progress(progress, CDC_STAGE_ENTROPY_ENCODE, 0, 2);
  const float* medians = model.tensor("context_fn.prior._medians").data();
  const int64_t zplane = zh * zw, yplane = yh * yw;
  std::vector<int32_t> z_symbols(static_cast<size_t>(zc * zplane));
  std::vector<float> z_hat(z_symbols.size());
  for (int64_t c = 0; c < zc; ++c)
    for (int64_t i = 0; i < zplane; ++i) {
      const int32_t s = symbol(z.data()[i * zc + c], medians[c]);
      z_symbols[static_cast<size_t>(c * zplane + i)] = s;
      z_hat[static_cast<size_t>(c * zplane + i)] = static_cast<float>(s) + medians[c];
    }
  std::vector<float> mean, scale;
  model.hyper_synthesis().forward(z_hat.data(), zh, zw, &mean, &scale);
  CDC_CHECK(mean.size() == static_cast<size_t>(yc * yplane));
  std::vector<int32_t> y_symbols(mean.size()), indices(mean.size());
  for (int64_t c = 0; c < yc; ++c)
    for (int64_t i = 0; i < yplane; ++i) {
      const size_t k = static_cast<size_t>(c * yplane + i);
      y_symbols[k] = symbol(y.data()[i * yc + c], mean[k]);
      indices[k] = model.entropy_tables().scale_index(static_cast<double>(scale[k]));
    }
  const bitstream::PreparedTables tables(model.entropy_tables());
  header.estimated_bits =
      bitstream::hyper_latent_table_bits(z_symbols.data(), header.z.channels, header.z.height,
                                         header.z.width, tables) +
      bitstream::latent_table_bits(y_symbols.data(), indices.data(), y_symbols.size(), tables);

  // Entropy coding.
  const std::vector<uint8_t> z_stream = bitstream::encode_hyper_latent(
      z_symbols.data(), header.z.channels, header.z.height, header.z.width, tables);
  report_core_progress(progress, CDC_STAGE_ENTROPY_ENCODE, 1, 2);
  const std::vector<uint8_t> y_stream =
      bitstream::encode_latent(y_symbols.data(), indices.data(), y_symbols.size(), tables);
  std::vector<uint8_t> alpha_stream;
  if (header.has_alpha) alpha_stream = compress_alpha(image);
  report_core_progress(progress, CDC_STAGE_ENTROPY_ENCODE, 2, 2);
  std::vector<uint8_t> stream =
      bitstream::write_stream(header, z_stream, y_stream, alpha_stream, limits);
  add_residual_layer(
      stream, image, settings, model.decoding_settings(CodecSettings{}).steps, limits,
      [&](const MutableImageView& base, const CodecSettings& s) {
        decode_image_core(model, stream.data(), stream.size(), base, s, progress);
      },
      [&](uint32_t done, uint32_t total) {
        report_core_progress(progress, CDC_STAGE_RESIDUAL, done, total);
      });
  return stream;
}

}  // namespace cdc
