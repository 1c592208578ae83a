// Whole-image decoding: .cdc stream -> entropy decoder -> hyperprior ->
// context decoder -> diffusion sampler -> pixels.
#include <zlib.h>

#include "common/hex.h"
#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "codec/codec.h"
#include "codec/geometry.h"
#include "codec/latent_symbols.h"
#include "codec/progress.h"
#include "common/error.h"
#include "common/threads.h"
#include "image/pixels.h"

namespace cdc {
namespace {

std::vector<uint8_t> uncompress_alpha(const bitstream::ByteSpan& data, size_t pixels) {
  std::vector<uint8_t> alpha(pixels);
  uLongf size = static_cast<uLongf>(pixels);
  int rc = uncompress(alpha.data(), &size, data.data, static_cast<uLong>(data.size));
  if (rc != Z_OK || size != pixels)
    fail(CDC_STATUS_CORRUPT_STREAM, "the alpha substream is damaged (zlib status {})", rc);
  return alpha;
}

}  // namespace

StreamSummary read_stream_summary(const uint8_t* data, size_t size, int64_t max_pixels,
                                  bool check_payload) {
  bitstream::Limits limits;
  limits.max_pixels = static_cast<uint64_t>(max_pixels);
  bitstream::ParsedStream parsed = check_payload ? bitstream::parse_stream(data, size, limits)
                                                 : bitstream::parse_header(data, size, limits);
  StreamSummary s;
  s.width = parsed.header.width;
  s.height = parsed.header.height;
  s.channels = parsed.header.channels;
  s.format_version = parsed.header.format_version;
  s.model_id = parsed.header.model_id;
  s.header_size = parsed.header_size;
  s.payload_size = parsed.payload_size;
  s.stream_size = parsed.header_size + parsed.payload_size + parsed.metadata_size;
  s.estimated_bits = parsed.header.estimated_bits;
  return s;
}

void decode_image(const Model& model, const uint8_t* data, size_t size,
                  const MutableImageView& out, const CodecSettings& settings,
                  const ProgressFn& progress) {
  const bitstream::Limits limits = stream_limits(model, settings.max_pixels);
  const bitstream::ParsedStream parsed = bitstream::parse_stream(data, size, limits);
  const bitstream::StreamHeader& header = parsed.header;
  if (header.model_id != model.id())
    fail(CDC_STATUS_MODEL_MISMATCH, "model mismatch: the stream was made with model {}, not {}",
         to_hex(header.model_id), model.id_hex());
  CDC_CHECK(out.width == header.width && out.height == header.height);
  if (header.y.channels != static_cast<uint32_t>(model.config().latent_channels()) ||
      header.z.channels != static_cast<uint32_t>(model.config().hyper_latent_channels()))
    fail(CDC_STATUS_CORRUPT_STREAM, "latent channels {}/{} do not match the model ({}/{})",
         header.y.channels, header.z.channels, model.config().latent_channels(),
         model.config().hyper_latent_channels());
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
    alpha = uncompress_alpha(parsed.alpha, static_cast<size_t>(header.width) * header.height);
  report_progress(progress, CDC_STAGE_ENTROPY_DECODE, 2, 2);

  // Context features, computed once, then the diffusion steps.
  report_progress(progress, CDC_STAGE_CONTEXT, 0, 1);
  std::vector<torch::Tensor> context = model.context(y_hat);
  report_progress(progress, CDC_STAGE_CONTEXT, 1, 1);

  StepCallback on_step;
  if (progress) {
    on_step = [&](int done, int total, const torch::Tensor& x0) {
      torch::Tensor visible =
          x0.index({torch::indexing::Slice(), torch::indexing::Slice(),
                    torch::indexing::Slice(0, header.height), torch::indexing::Slice(0, header.width)});
      return progress(CDC_STAGE_DIFFUSION, static_cast<uint32_t>(done),
                              static_cast<uint32_t>(total), &visible);
    };
  }
  torch::Tensor x = model.sample(context, model.decoding_settings(settings), on_step);

  // Only now is the caller's buffer written: a cancelled or failed decode
  // leaves it untouched.
  tensor_to_image(x, out);
  if (out.channels == 4 && header.has_alpha) insert_alpha(alpha, out);
}

}  // namespace cdc
