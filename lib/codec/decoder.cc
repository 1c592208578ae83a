// Decoding: .cdc stream -> entropy decoder -> hyperprior ->
// context decoder -> diffusion sampler -> pixels.
#include "nn/bf16_autocast.h"

#include <algorithm>
#include <cstring>

#include "common/hex.h"
#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "codec/codec.h"
#include "codec/geometry.h"
#include "codec/inference_decoder.h"
#include "codec/latent_symbols.h"
#include "codec/progress.h"
#include "codec/residual_layer.h"
#include "codec/tiling.h"
#include "diffusion/sampler.h"
#include "common/error.h"
#include "common/memory.h"
#include "common/threads.h"
#include "image/pixels.h"

namespace cdc {
namespace {


using torch::indexing::Slice;

// Decodes tile by tile: each tile's region of y_hat goes through the context
// decoder and the sampler; the results are blended into a band of rows (the
// tiles of one row and the overlap with the next), and each finished band is
// converted into a staging copy of the output, which reaches the caller's
// buffer only when every tile is done. Memory: one tile's networks, one band
// of float rows and the 8-bit output.
void decode_tiles(const Model& model, const torch::Tensor& y_hat, const TilePlan& plan,
                  const CodecSettings& decoding,
                  const ProgressFn& progress, const MutableImageView& out) {
  const int64_t f = plan.height / y_hat.size(2);
  const int64_t band = blend_band(plan);  // blending width across each core border
  const auto tiles = static_cast<uint32_t>(plan.count());
  const auto steps = static_cast<uint32_t>(decoding.steps);
  std::vector<uint8_t> staging(out.stride * out.height);
  MutableImageView stage = out;
  stage.pixels = staging.data();
  // Rows [top, top + acc.size(2)) of the padded image, float, being blended.
  torch::Tensor acc;
  int64_t top = 0;
  std::vector<std::vector<float>> col_weights;
  for (const AxisTile& c : plan.cols) col_weights.push_back(blend_weights(c, plan.cols, band));
  uint32_t index = 0;
  for (size_t r = 0; r < plan.rows.size(); ++r) {
    const AxisTile& row = plan.rows[r];
    // The rows this tile row writes to: its core and half a band beyond.
    const int64_t lo = std::max<int64_t>(0, row.core.begin - band / 2);
    const int64_t hi = std::min<int64_t>(plan.height, row.core.end + (band + 1) / 2);
    torch::Tensor next = torch::zeros({1, 3, hi - lo, plan.width}, torch::kFloat32);
    if (acc.defined() && top + acc.size(2) > lo)  // the overlap the previous row left
      next.narrow(2, 0, top + acc.size(2) - lo).copy_(acc.narrow(2, lo - top, top + acc.size(2) - lo));
    acc = next;
    top = lo;
    const std::vector<float> rw = blend_weights(row, plan.rows, band);
    torch::Tensor row_w = torch::from_blob(const_cast<float*>(rw.data()),
                                           {1, 1, static_cast<int64_t>(rw.size()), 1}, torch::kFloat32);
    for (size_t c = 0; c < plan.cols.size(); ++c, ++index) {
      const AxisTile& col = plan.cols[c];
      report_progress(progress, CDC_STAGE_CONTEXT, index, tiles);
      std::vector<torch::Tensor> context = model.context(
          y_hat.index({Slice(), Slice(), Slice(row.region.begin / f, row.region.end / f),
                       Slice(col.region.begin / f, col.region.end / f)}),
          decoding.device);
      StepCallback on_step;
      if (progress) {
        on_step = [&](int done, int, const torch::Tensor& x0) {
          return progress(CDC_STAGE_DIFFUSION, index * steps + static_cast<uint32_t>(done),
                          tiles * steps, &x0);
        };
      }
      torch::Tensor start = start_noise_region(3, row.region.begin, col.region.begin,
                                               row.region.size(), col.region.size(),
                                               decoding.gamma, decoding.seed);
      torch::Tensor x = model.sample(std::move(context), decoding, on_step, start);
      const std::vector<float>& cw = col_weights[c];
      torch::Tensor col_w = torch::from_blob(const_cast<float*>(cw.data()),
                                             {1, 1, 1, static_cast<int64_t>(cw.size())}, torch::kFloat32);
      // The part of the region inside this band of rows.
      const int64_t r0 = std::max(lo, row.region.begin), r1 = std::min(hi, row.region.end);
      torch::Tensor contribution = x.narrow(2, r0 - row.region.begin, r1 - r0).clamp(-1.0, 1.0) *
                                   row_w.narrow(2, r0 - row.region.begin, r1 - r0) * col_w;
      acc.narrow(2, r0 - lo, r1 - r0).narrow(3, col.region.begin, col.region.size()).add_(contribution);
      x = contribution = torch::Tensor();
      release_free_memory();
    }
    // Rows before the next row's band are final.
    const int64_t done_to = r + 1 < plan.rows.size()
                                ? std::max<int64_t>(lo, plan.rows[r + 1].core.begin - band / 2)
                                : hi;
    if (done_to > lo && lo < static_cast<int64_t>(out.height))
      tensor_to_image_rows(acc.narrow(2, 0, done_to - lo), stage, lo);
  }
  report_progress(progress, CDC_STAGE_CONTEXT, tiles, tiles);
  for (uint32_t yy = 0; yy < out.height; ++yy)
    std::memcpy(out.pixels + static_cast<size_t>(yy) * out.stride,
                staging.data() + static_cast<size_t>(yy) * out.stride,
                static_cast<size_t>(out.width) * out.channels);
}

// The stream's latents -> the image they decode to (the whole decode of a
// stream without a residual layer; the base image of one with it).
void decode_latents(const Model& model, const bitstream::ParsedStream& parsed,
                    const MutableImageView& out, const CodecSettings& settings,
                    const ProgressFn& progress) {
  const bitstream::StreamHeader& header = parsed.header;
  set_compute_threads(settings.threads);
  c10::InferenceMode inference;

  // Entropy decoding: z first, then y with the Gaussians that z gives.
  report_progress(progress, CDC_STAGE_ENTROPY_DECODE, 0, 2);
  const bitstream::PreparedTables tables(model.entropy_tables());
  std::vector<int32_t> z_symbols = bitstream::decode_hyper_latent(
      parsed.z.data, parsed.z.size, header.z.channels, header.z.height, header.z.width, tables);
  torch::Tensor medians = model.prior_medians().reshape({1, -1, 1, 1});
  const std::vector<int64_t> z_shape{1, header.z.channels, header.z.height, header.z.width};
  torch::Tensor z_hat = dequantize_around(z_symbols, medians, z_shape);
  HyperParameters gaussian = model.hyper_synthesis(z_hat, /*deterministic=*/true);
  report_progress(progress, CDC_STAGE_ENTROPY_DECODE, 1, 2);
  std::vector<int32_t> indices = scale_indices(model, gaussian.scale);
  std::vector<int32_t> y_symbols = bitstream::decode_latent(
      parsed.y.data, parsed.y.size, indices.data(), indices.size(), tables);
  const std::vector<int64_t> y_shape{1, header.y.channels, header.y.height, header.y.width};
  torch::Tensor y_hat = dequantize_around(y_symbols, gaussian.mean, y_shape);
  std::vector<uint8_t> alpha;
  if (header.has_alpha)
    alpha = uncompress_alpha(parsed.alpha.data, parsed.alpha.size,
                             static_cast<size_t>(header.width) * header.height);
  report_progress(progress, CDC_STAGE_ENTROPY_DECODE, 2, 2);

  const CodecSettings decoding = model.decoding_settings(settings);
  if (settings.device != kDeviceCpu && settings.precision == 1)
    fail(CDC_STATUS_UNSUPPORTED,
         "bfloat16 decoding (precision 1) is a CPU option; a CUDA device decodes in float32");
  const nn::CpuBf16Autocast bf16(settings.precision == 1);
  const TilePlan plan = plan_tiles(header.padded_height, header.padded_width, model.size_multiple(),
                                   settings, tile_defaults(model.config()));
  if (plan.whole()) {
    // Context features, computed once, then the diffusion steps.
    report_progress(progress, CDC_STAGE_CONTEXT, 0, 1);
    std::vector<torch::Tensor> context = model.context(y_hat, decoding.device);
    report_progress(progress, CDC_STAGE_CONTEXT, 1, 1);
    StepCallback on_step;
    if (progress) {
      on_step = [&](int done, int total, const torch::Tensor& x0) {
        torch::Tensor visible = x0.index({Slice(), Slice(), Slice(0, header.height),
                                          Slice(0, header.width)});
        return progress(CDC_STAGE_DIFFUSION, static_cast<uint32_t>(done),
                        static_cast<uint32_t>(total), &visible);
      };
    }
    torch::Tensor start = start_noise_region(3, 0, 0, plan.height, plan.width, decoding.gamma,
                                             decoding.seed);
    torch::Tensor x = model.sample(std::move(context), decoding, on_step, start);
    // Only now is the caller's buffer written: a cancelled or failed decode
    // leaves it untouched.
    tensor_to_image(x, out);
  } else {
    decode_tiles(model, y_hat, plan, decoding, progress, out);
  }
  if (out.channels == 4 && header.has_alpha) insert_alpha(alpha, out);
}

}  // namespace

void decode_image(const Model& model, const uint8_t* data, size_t size,
                  const MutableImageView& out, const CodecSettings& settings,
                  const ProgressFn& progress) {
  const bitstream::Limits limits = stream_limits(model.config(), settings.max_pixels);
  const bitstream::ParsedStream parsed = bitstream::parse_stream(data, size, limits);
  check_stream_model(parsed.header, model.id(), model.id_hex(), model.config());
  decode_with_residual(
      parsed, out, settings, model.decoding_settings(CodecSettings{}).steps,
      [&](const MutableImageView& base, const CodecSettings& s) {
        decode_latents(model, parsed, base, s, progress);
      },
      [&](uint32_t done, uint32_t total) {
        report_progress(progress, CDC_STAGE_RESIDUAL, done, total);
      });
}

}  // namespace cdc
