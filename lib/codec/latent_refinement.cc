#include "codec/latent_refinement.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "diffusion/sampler.h"
#include "hyperprior/gaussian_conditional.h"
#include "image/pixels.h"

namespace cdc {
namespace {

using torch::indexing::Slice;

// Adam's step on the continuous offsets, in quantization steps.
constexpr double kLearningRate = 0.05;

// One tile's problem: its region of the latent and of the image, the core it
// owns, and the fixed parts (means, scales, the integers outside the core).
struct RegionProblem {
  torch::Tensor x;        // 1x3xHxW region of the image, [-1, 1]
  torch::Tensor visible;  // 1x1xHxW, 1 on pixels inside the image
  double visible_count = 0;
  torch::Tensor mean, scale;  // 1xCxhxw, float32
  torch::Tensor core;         // 1x1xhxw, 1 on the core's latents
  double core_pixels = 0;     // pixels the core covers
  torch::Tensor start;        // x_N of the decode
};

// rate_lambda * bits per core pixel + MSE over the visible pixels, for the
// integers k (float, straight-through where they come from the variable).
torch::Tensor region_loss(const Model& model, const RegionProblem& p, const torch::Tensor& k,
                          double lambda, const CodecSettings& decoding) {
  torch::Tensor y_hat = p.mean + k;
  torch::Tensor bits = -torch::log2(gaussian_likelihood(y_hat, p.mean, p.scale));
  torch::Tensor rate = (bits * p.core).sum() / p.core_pixels;
  std::vector<torch::Tensor> context = model.context(y_hat);
  torch::Tensor x = model.sample(context, decoding, {}, p.start);
  torch::Tensor err = (x.clamp(-1.0, 1.0) - p.x).pow(2) * p.visible;
  torch::Tensor mse = err.sum() / (3.0 * p.visible_count);
  return lambda * rate + mse;
}

}  // namespace

int refinement_iterations(int effort) {
  static const int kIterations[kMaxEffort + 1] = {0, 2, 4, 8, 16};
  CDC_CHECK(effort >= 0 && effort <= kMaxEffort);
  return kIterations[effort];
}

torch::Tensor refine_latents(const Model& model, const ImageView& image, const TilePlan& plan,
                             const torch::Tensor& y, const HyperParameters& gaussian,
                             const CodecSettings& settings, const ProgressFn& progress) {
  const int iterations = refinement_iterations(settings.effort);
  CDC_CHECK(iterations > 0);
  const double lambda = model.config().rate_lambda;
  if (!(lambda > 0))
    fail(CDC_STATUS_UNSUPPORTED,
         "effort {} needs the rate weight the model was trained with, and model '{}' does not "
         "store one (cdc convert --rate-lambda sets it); use effort 0",
         settings.effort, model.name());

  // Autograd on: the codec runs under InferenceMode, whose tensors cannot be
  // saved for backward, so everything used here is copied out of it first.
  c10::InferenceMode no_inference(false);
  torch::AutoGradMode grad_mode(true);
  CodecSettings decoding = model.decoding_settings(settings);
  decoding.steps = std::min(decoding.steps, kMaxRefinementSteps);
  const int64_t f = plan.height / y.size(2);
  const torch::Tensor mean64 = gaussian.mean.to(torch::kFloat64);
  // The continuous offsets y - mean where the optimization starts, and k: the
  // integers around the means (the encoder's rounding), whole latent.
  const torch::Tensor offset64 = y.to(torch::kFloat64) - mean64;
  const torch::Tensor offset_all = offset64.to(torch::kFloat32).clone();
  torch::Tensor k_all = offset64.round().to(torch::kFloat32).clone();
  const torch::Tensor mean_all = gaussian.mean.to(torch::kFloat32).clone();
  const torch::Tensor scale_all = gaussian.scale.to(torch::kFloat32).clone();

  const auto tiles = static_cast<uint32_t>(plan.count());
  const auto total = tiles * static_cast<uint32_t>(iterations);
  report_progress(progress, CDC_STAGE_REFINE, 0, total);
  for (uint32_t i = 0; i < tiles; ++i) {
    const Tile t = plan.at(i);
    const int64_t top = t.row.region.begin, left = t.col.region.begin;
    const int64_t height = t.row.region.size(), width = t.col.region.size();
    const Slice rows(top / f, t.row.region.end / f), cols(left / f, t.col.region.end / f);
    RegionProblem p;
    p.x = image_region_to_tensor(image, top, left, height, width).clone();
    p.visible = torch::zeros({1, 1, height, width}, torch::kFloat32);
    const int64_t vis_h = std::clamp<int64_t>(static_cast<int64_t>(image.height) - top, 0, height);
    const int64_t vis_w = std::clamp<int64_t>(static_cast<int64_t>(image.width) - left, 0, width);
    p.visible.index_put_({Slice(), Slice(), Slice(0, vis_h), Slice(0, vis_w)}, 1.0);
    p.visible_count = static_cast<double>(std::max<int64_t>(1, vis_h * vis_w));
    p.mean = mean_all.index({Slice(), Slice(), rows, cols}).clone();
    p.scale = scale_all.index({Slice(), Slice(), rows, cols}).clone();
    p.core = torch::zeros({1, 1, height / f, width / f}, torch::kFloat32);
    const int64_t r0 = (t.row.core.begin - top) / f, c0 = (t.col.core.begin - left) / f;
    const int64_t rn = t.row.core.size() / f, cn = t.col.core.size() / f;
    p.core.index_put_({Slice(), Slice(), Slice(r0, r0 + rn), Slice(c0, c0 + cn)}, 1.0);
    p.core_pixels = static_cast<double>(t.row.core.size() * t.col.core.size());
    p.start = start_noise_region(3, top, left, height, width, decoding.gamma, decoding.seed);

    const torch::Tensor k_fixed = k_all.index({Slice(), Slice(), rows, cols}).clone();
    torch::Tensor v = offset_all.index({Slice(), Slice(), rows, cols}).clone().requires_grad_(true);
    torch::optim::Adam adam({v}, torch::optim::AdamOptions(kLearningRate));
    torch::Tensor best_k = k_fixed;
    double best_loss = std::numeric_limits<double>::infinity();
    // iterations + 1 evaluations: the last one only scores the final rounding.
    for (int it = 0; it <= iterations; ++it) {
      torch::Tensor rounded = v.detach().round();
      torch::Tensor k = (v + (rounded - v).detach()) * p.core + k_fixed * (1.0 - p.core);
      const bool last = it == iterations;
      torch::Tensor loss;
      if (last) {
        torch::NoGradGuard no_grad;
        loss = region_loss(model, p, k, lambda, decoding);
      } else {
        loss = region_loss(model, p, k, lambda, decoding);
      }
      const double value = loss.item<double>();
      if (value < best_loss) {
        best_loss = value;
        best_k = (rounded * p.core + k_fixed * (1.0 - p.core)).detach();
      }
      if (last) break;
      adam.zero_grad();
      loss.backward();
      adam.step();
      report_progress(progress, CDC_STAGE_REFINE, i * static_cast<uint32_t>(iterations) + it + 1,
                      total);
    }
    k_all.index_put_({Slice(), Slice(), rows, cols}, best_k);
  }
  return mean64 + k_all.to(torch::kFloat64);
}

}  // namespace cdc
