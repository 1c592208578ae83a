// Encoder effort: refinement of one image's latents. The encoder network
// gives latents that are good on average over images (the amortization gap);
// for effort > 0 the integers around the Gaussian means are then optimized
// for this image: rate_lambda * bits per pixel + MSE of the real decode,
// with straight-through rounding and Adam on the continuous offsets, keeping
// the best integers seen. The hyper-latent (so the means and scales) stays as
// the encoder made it, so the stream format and the decoder do not change.
#pragma once

#include <torch/torch.h>

#include "codec/progress.h"
#include "codec/tiling.h"
#include "common/codec_settings.h"
#include "image/image_view.h"
#include "model/model.h"

namespace cdc {

// Optimizer iterations of an effort level (0 for effort 0).
int refinement_iterations(int effort);

// The decoding the refinement optimizes through: the model's default decoding
// with at most kMaxRefinementSteps steps (each iteration runs it forward and
// backward).
inline constexpr int kMaxRefinementSteps = 2;

// Refines the latents y (1xCxhxw, the encoder's) of `image` for
// settings.effort. `gaussian` is the hyper synthesis of the coded hyper-latent
// (deterministic); `plan` cuts the padded image into the regions whose decodes
// measure the distortion (each tile's core latents are optimized in turn, its
// overlap seen as it stands). Returns mean + k with k integral (float64), so
// that quantize_around(result, gaussian.mean) gives the chosen integers.
// Throws UNSUPPORTED when the model has no rate_lambda, CANCELLED when the
// progress callback asks to stop.
torch::Tensor refine_latents(const Model& model, const ImageView& image, const TilePlan& plan,
                             const torch::Tensor& y, const HyperParameters& gaussian,
                             const CodecSettings& settings, const ProgressFn& progress);

}  // namespace cdc
