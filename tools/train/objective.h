// The CDC training objective for x-param models, on the library's networks:
//   lambda * bpp                 y rounded around the hyper-decoder mean with a
//                                straight-through gradient (the rate that is
//                                coded) or uniform noise; z under the factorized
//                                prior with uniform noise, rounded around the
//                                medians (straight-through) into the hyper decoder
//   + diffusion_weight * mean_b clamp(SNR(t_b), floor, cap) * |x0 - X(x_t, t, ctx)|^2
//                                t uniform over the T training steps
//   + decode_weight * |x0 - X(0, (T-1)/T, ctx)|^2
//                                the library's default 1-step decode (x_N = 0)
//   + aux_weight * |x0 - head(ctx_0)|^2
//                                a 3x3 conv from the finest context map to RGB,
//                                training only (keeps the latent in use early on)
// The U-Net terms are left out in the compressor stage. In the decoder stage y
// and z are rounded as at test time with no gradient (no rate term: the bits
// stay as they are) and only the context decoder, U-Net and head learn.
// The prior's median loss is separate (its own optimizer, see Trainer).
#pragma once

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include "model/network.h"
#include "train/train_options.h"

namespace cdc::train {

// The per-step diffusion tables on the training device (float32, length T).
struct DiffusionTables {
  torch::Tensor sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod, snr;
  static DiffusionTables make(const ModelConfig& config, const torch::Device& device);
};

struct LossTerms {
  torch::Tensor loss;  // the scalar to minimise (with gradients)
  torch::Tensor bpp;   // detached scalars
  torch::Tensor mse;       // unweighted x0 MSE of the U-Net (0 in the compressor stage; the
                           // 1-step decode's with --diffusion-weight 0)
  torch::Tensor head_mse;  // MSE of the head
};

// x: Bx3xHxW in [-1, 1] on the network's device. Random numbers (noise, t)
// come from `gen` (a CPU generator) so that runs are reproducible on any device.
LossTerms compute_loss(CdcNetworkImpl& net, torch::nn::Conv2dImpl& head, const torch::Tensor& x,
                       double lambda, const TrainOptions& options, const DiffusionTables& tables,
                       at::Generator& gen);

// The head's loss alone, with the networks frozen (the head warm-up of warm
// starts): y and z rounded as at test time, no gradient reaches the networks.
LossTerms compute_head_loss(CdcNetworkImpl& net, torch::nn::Conv2dImpl& head,
                            const torch::Tensor& x);

}  // namespace cdc::train
