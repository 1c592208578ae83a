// Decoding on the inference core: .cdc stream -> entropy decoder ->
// hyperprior (float64) -> context decoder -> diffusion sampler -> pixels, on
// float buffers and the oneDNN networks, without libtorch. The arithmetic is
// the libtorch decoder's (decoder.cc) operation for operation, so that both
// give the same pixels.
#include "codec/inference_decoder.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "codec/geometry.h"
#include "codec/residual_layer.h"
#include "codec/tiling.h"
#include "common/error.h"
#include "common/hex.h"
#include "common/memory.h"
#include "common/threads.h"
#include "context/context_decoder_onednn.h"
#include "diffusion/ddim_schedule.h"
#include "diffusion/start_noise.h"
#include "diffusion/unet_onednn.h"
#include "hyperprior/hyper_synthesis_f64.h"
#include "image/pixel_rows.h"
#include "onednn/runtime.h"

namespace cdc {

using onednn::Activation;

namespace {

// x0 (rows of `width` RGB floats) as an 8-bit preview of its top-left
// visible_h x visible_w pixels.
DecodePreview render(const float* x0, int64_t width, int64_t visible_h, int64_t visible_w,
                     std::vector<uint8_t>* storage) {
  DecodePreview p;
  p.width = static_cast<uint32_t>(visible_w);
  p.height = static_cast<uint32_t>(visible_h);
  p.stride = static_cast<size_t>(p.width) * 3;
  storage->resize(p.stride * p.height);
  MutableImageView view;
  view.pixels = storage->data();
  view.width = p.width;
  view.height = p.height;
  view.channels = 3;
  view.stride = p.stride;
  rgb_rows_to_image(x0, visible_h, width, view, 0);
  p.pixels = storage->data();
  return p;
}

float clamp1(float v) { return v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v); }

// The DDIM decode for one image or tile from x_N = the start noise of the
// region at (top, left) of the image (zeros for gamma 0): returns x (h x w RGB
// rows, an activation of 3 channels) before clamping. on_step(done, total,
// x0) after each step; false cancels.
Activation sample(const InferenceModel& model, std::vector<Activation> context,
                  const CodecSettings& s, int64_t top, int64_t left,
                  const std::function<bool(int, int, const float*)>& on_step) {
  const ModelConfig& config = model.config();
  const FloatTensor& ac = model.tensor("train_alphas_cumprod");
  const std::vector<DdimStep> schedule =
      ddim_steps(ac.data(), config.num_timesteps, s.steps, config.variant);
  const bool predicts_noise = config.variant == ModelVariant::kEpsilonParam;
  CDC_CHECK(!context.empty());
  const int64_t h = context.front().h, w = context.front().w, c = config.channels;
  const UNetOneDnn& unet = model.unet();
  onednn::BufferPool pool;  // the U-Net's buffers, reused by every step
  std::shared_ptr<const UNetOneDnn::Prepared> prepared = unet.prepare(context, pool);
  context.clear();  // what the steps need is in `prepared`
  const size_t count = static_cast<size_t>(h * w * c);
  // x, its x0 prediction and the U-Net's output (pool buffers: huge pages).
  const Activation x = Activation::make(pool, 1, h, w, c), x0_act = Activation::make(pool, 1, h, w, c),
                   out_act = Activation::make(pool, 1, h, w, c);
  float* const xs = x.data();
  float* const x0 = x0_act.data();
  const float* const out = out_act.data();
  if (s.gamma == 0) {
    std::fill(xs, xs + count, 0.0f);
  } else {
    const std::vector<float> noise = start_noise_planar(c, top, left, h, w, s.gamma, s.seed);
    for (int64_t k = 0; k < c; ++k)
      for (int64_t i = 0; i < h * w; ++i)
        xs[static_cast<size_t>(i * c + k)] = noise[static_cast<size_t>(k * h * w + i)];
  }
  const int n = s.steps;
  for (int done = 1; done <= n; ++done) {
    const DdimStep& st = schedule[static_cast<size_t>(done - 1)];
    unet.forward(x, st.t, *prepared, pool, out_act);
    for (size_t i = 0; i < count; ++i) {
      float eps;
      if (predicts_noise) {
        eps = out[i];
        x0[i] = xs[i] * st.sqrt_recip - eps * st.sqrt_recipm1;
      } else {
        x0[i] = clamp1(out[i]);
        eps = (xs[i] * st.sqrt_recip - x0[i]) / st.sqrt_recipm1;
      }
      const float a = x0[i] * st.sqrt_alpha_prev;
      const float b = eps * st.noise_coef;
      xs[i] = a + b;
    }
    if (on_step) {
      if (predicts_noise)
        for (size_t i = 0; i < count; ++i) x0[i] = clamp1(x0[i]);
      if (!on_step(done, n, x0))
        fail(CDC_STATUS_CANCELLED, "decoding cancelled by the progress callback");
    }
  }
  return x;
}

// y_hat (planar C x h x w) as an NHWC activation of the region's rows and
// columns [r0, r1) x [c0, c1).
Activation latent_region(const std::vector<float>& y_hat, int64_t channels, int64_t h, int64_t w,
                         int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  onednn::BufferPool once;
  Activation a = Activation::make(once, 1, r1 - r0, c1 - c0, channels);
  float* d = a.data();
  for (int64_t y = r0; y < r1; ++y)
    for (int64_t x = c0; x < c1; ++x)
      for (int64_t c = 0; c < channels; ++c)
        *d++ = y_hat[static_cast<size_t>((c * h + y) * w + x)];
  return a;
}

}  // namespace

void report_core_progress(const CoreProgressFn& progress, cdc_stage stage, uint32_t done,
                          uint32_t total) {
  if (progress && !progress(stage, done, total, nullptr))
    fail(CDC_STATUS_CANCELLED, "cancelled by the progress callback");
}

std::vector<uint8_t> uncompress_alpha(const uint8_t* data, size_t size, size_t pixels) {
  std::vector<uint8_t> alpha(pixels);
  uLongf out_size = static_cast<uLongf>(pixels);
  const int rc = uncompress(alpha.data(), &out_size, data, static_cast<uLong>(size));
  if (rc != Z_OK || out_size != pixels)
    fail(CDC_STATUS_CORRUPT_STREAM, "the alpha substream is damaged (zlib status {})", rc);
  return alpha;
}

std::string core_decode_unsupported(const CodecSettings& settings) {
  if (settings.device != kDeviceCpu) return "a device other than the CPU";
  if (!onednn::enabled()) return "CDC_ONEDNN=0";
  if (onednn::engine_forced()) return "CDC_ENGINE=1";
  return "";
}

namespace {

// The stream's latents -> the image they decode to (the whole decode of a
// stream without a residual layer; the base image of one with it).
void decode_latents_core(const InferenceModel& model, const bitstream::ParsedStream& parsed,
                         const MutableImageView& out, const CodecSettings& settings,
                         const CoreProgressFn& progress) {
  const ModelConfig& config = model.config();
  const bitstream::StreamHeader& header = parsed.header;
  set_openmp_threads(settings.threads);
  const CodecSettings decoding = model.decoding_settings(settings);  // checks the steps
  const onednn::PrecisionScope precision(settings.precision == 1 ? onednn::Precision::kBfloat16
                                                                 : onednn::Precision::kFloat32);

  // Entropy decoding: z first, then y with the Gaussians that z gives.
  report_core_progress(progress, CDC_STAGE_ENTROPY_DECODE, 0, 2);
  const bitstream::PreparedTables tables(model.entropy_tables());
  const std::vector<int32_t> z_symbols = bitstream::decode_hyper_latent(
      parsed.z.data, parsed.z.size, header.z.channels, header.z.height, header.z.width, tables);
  const float* medians = model.tensor("context_fn.prior._medians").data();
  const int64_t zc = header.z.channels, zh = header.z.height, zw = header.z.width;
  std::vector<float> z_hat(static_cast<size_t>(zc * zh * zw));
  for (int64_t c = 0; c < zc; ++c)
    for (int64_t i = 0; i < zh * zw; ++i)
      z_hat[static_cast<size_t>(c * zh * zw + i)] =
          static_cast<float>(z_symbols[static_cast<size_t>(c * zh * zw + i)]) + medians[c];
  const HyperSynthesisF64& hyper = model.hyper_synthesis();
  std::vector<float> mean, scale;
  hyper.forward(z_hat.data(), zh, zw, &mean, &scale);
  const int64_t yc = header.y.channels, yh = header.y.height, yw = header.y.width;
  if (hyper.upscale() * zh != yh || hyper.upscale() * zw != yw ||
      mean.size() != static_cast<size_t>(yc * yh * yw))
    fail(CDC_STATUS_CORRUPT_STREAM, "the latent sizes do not match the model's hyperprior");
  report_core_progress(progress, CDC_STAGE_ENTROPY_DECODE, 1, 2);
  std::vector<int32_t> indices(scale.size());
  for (size_t i = 0; i < scale.size(); ++i)
    indices[i] = model.entropy_tables().scale_index(static_cast<double>(scale[i]));
  std::vector<float>().swap(scale);
  const std::vector<int32_t> y_symbols = bitstream::decode_latent(
      parsed.y.data, parsed.y.size, indices.data(), indices.size(), tables);
  std::vector<float> y_hat(mean.size());
  for (size_t i = 0; i < y_hat.size(); ++i) y_hat[i] = static_cast<float>(y_symbols[i]) + mean[i];
  std::vector<float>().swap(mean);
  std::vector<uint8_t> alpha;
  if (header.has_alpha)
    alpha = uncompress_alpha(parsed.alpha.data, parsed.alpha.size,
                             static_cast<size_t>(header.width) * header.height);
  report_core_progress(progress, CDC_STAGE_ENTROPY_DECODE, 2, 2);

  const TilePlan plan = plan_tiles(header.padded_height, header.padded_width,
                                   model.size_multiple(), settings, tile_defaults(config));
  const int64_t f = plan.height / yh;
  const ContextDecoderOneDnn& context_decoder = model.context_decoder();
  {
    // The networks' plans for every tile size, made in parallel up front.
    onednn::PlanJobs jobs;
    for (const auto& [h, w] : region_sizes(plan)) {
      context_decoder.plan_jobs(h / f, w / f, jobs);
      model.unet().plan_jobs(1, h, w, jobs);
    }
    onednn::run_plan_jobs(jobs);
  }
  std::vector<uint8_t> preview;
  // The output goes to a staging copy: the caller's buffer is written only
  // when every tile is done (a cancelled or failed decode leaves it as it was).
  std::vector<uint8_t> staging(out.stride * out.height);
  MutableImageView stage = out;
  stage.pixels = staging.data();
  if (plan.whole()) {
    report_core_progress(progress, CDC_STAGE_CONTEXT, 0, 1);
    std::vector<Activation> context =
        context_decoder.forward(latent_region(y_hat, yc, yh, yw, 0, yh, 0, yw));
    report_core_progress(progress, CDC_STAGE_CONTEXT, 1, 1);
    std::function<bool(int, int, const float*)> on_step;
    if (progress)
      on_step = [&](int done, int total, const float* x0) {
        const DecodePreview p = render(x0, plan.width, header.height, header.width, &preview);
        return progress(CDC_STAGE_DIFFUSION, static_cast<uint32_t>(done),
                        static_cast<uint32_t>(total), &p);
      };
    const Activation x = sample(model, std::move(context), decoding, 0, 0, on_step);
    rgb_rows_to_image(x.data(), plan.height, plan.width, stage, 0);
  } else {
    // Tile by tile, blended into a band of rows (the tiles of one row and
    // the overlap with the next), as decoder.cc's decode_tiles.
    const int64_t band = blend_band(plan);
    const auto tiles = static_cast<uint32_t>(plan.count());
    const auto steps = static_cast<uint32_t>(decoding.steps);
    std::vector<float> acc;  // rows [top, top + acc_rows) of the image, RGB
    int64_t top = 0, acc_rows = 0;
    const int64_t row_floats = plan.width * 3;
    std::vector<std::vector<float>> col_weights;
    for (const AxisTile& c : plan.cols) col_weights.push_back(blend_weights(c, plan.cols, band));
    uint32_t index = 0;
    for (size_t r = 0; r < plan.rows.size(); ++r) {
      const AxisTile& row = plan.rows[r];
      const int64_t lo = std::max<int64_t>(0, row.core.begin - band / 2);
      const int64_t hi = std::min<int64_t>(plan.height, row.core.end + (band + 1) / 2);
      std::vector<float> next(static_cast<size_t>((hi - lo) * row_floats), 0.0f);
      if (acc_rows > 0 && top + acc_rows > lo)  // the overlap the previous row left
        std::copy(acc.begin() + (lo - top) * row_floats, acc.begin() + acc_rows * row_floats,
                  next.begin());
      acc.swap(next);
      top = lo;
      acc_rows = hi - lo;
      const std::vector<float> rw = blend_weights(row, plan.rows, band);
      for (size_t c = 0; c < plan.cols.size(); ++c, ++index) {
        const AxisTile& col = plan.cols[c];
        report_core_progress(progress, CDC_STAGE_CONTEXT, index, tiles);
        std::vector<Activation> context = context_decoder.forward(
            latent_region(y_hat, yc, yh, yw, row.region.begin / f, row.region.end / f,
                          col.region.begin / f, col.region.end / f));
        std::function<bool(int, int, const float*)> on_step;
        if (progress)
          on_step = [&](int done, int, const float* x0) {
            const DecodePreview p =
                render(x0, col.region.size(), row.region.size(), col.region.size(), &preview);
            return progress(CDC_STAGE_DIFFUSION, index * steps + static_cast<uint32_t>(done),
                            tiles * steps, &p);
          };
        const Activation x = sample(model, std::move(context), decoding, row.region.begin,
                                            col.region.begin, on_step);
        const std::vector<float>& cw = col_weights[c];
        const int64_t r0 = std::max(lo, row.region.begin), r1 = std::min(hi, row.region.end);
        const int64_t tw = col.region.size();
        for (int64_t yy = r0; yy < r1; ++yy) {
          const float wr = rw[static_cast<size_t>(yy - row.region.begin)];
          const float* src = x.data() + (yy - row.region.begin) * tw * 3;
          float* dst = acc.data() + (yy - lo) * row_floats + col.region.begin * 3;
          for (int64_t xx = 0; xx < tw; ++xx) {
            const float wc = cw[static_cast<size_t>(xx)];
            for (int k = 0; k < 3; ++k) dst[3 * xx + k] += clamp1(src[3 * xx + k]) * wr * wc;
          }
        }
        release_free_memory();
      }
      // Rows before the next row's band are final.
      const int64_t done_to = r + 1 < plan.rows.size()
                                  ? std::max<int64_t>(lo, plan.rows[r + 1].core.begin - band / 2)
                                  : hi;
      if (done_to > lo && lo < static_cast<int64_t>(out.height))
        rgb_rows_to_image(acc.data(), done_to - lo, plan.width, stage, lo);
    }
    report_core_progress(progress, CDC_STAGE_CONTEXT, tiles, tiles);
  }
  for (uint32_t yy = 0; yy < out.height; ++yy)
    std::memcpy(out.pixels + static_cast<size_t>(yy) * out.stride,
                staging.data() + static_cast<size_t>(yy) * out.stride,
                static_cast<size_t>(out.width) * out.channels);
  if (out.channels == 4 && header.has_alpha) insert_alpha(alpha, out);
}

}  // namespace

void decode_image_core(const InferenceModel& model, const uint8_t* data, size_t size,
                       const MutableImageView& out, const CodecSettings& settings,
                       const CoreProgressFn& progress) {
  const std::string why = core_decode_unsupported(settings);
  if (!why.empty()) fail(CDC_STATUS_INTERNAL_ERROR, "the inference core does not decode {}", why);
  const ModelConfig& config = model.config();
  const bitstream::Limits limits = stream_limits(config, settings.max_pixels);
  const bitstream::ParsedStream parsed = bitstream::parse_stream(data, size, limits);
  check_stream_model(parsed.header, model.id(), model.id_hex(), config);
  decode_with_residual(
      parsed, out, settings, model.decoding_settings(CodecSettings{}).steps,
      [&](const MutableImageView& base, const CodecSettings& s) {
        decode_latents_core(model, parsed, base, s, progress);
      },
      [&](uint32_t done, uint32_t total) {
        report_core_progress(progress, CDC_STAGE_RESIDUAL, done, total);
      });
}

}  // namespace cdc
