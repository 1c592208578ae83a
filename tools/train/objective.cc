#include "train/objective.h"

#include "diffusion/ddim_schedule.h"
#include "diffusion/noise_schedule.h"
#include "hyperprior/gaussian_conditional.h"
#include "hyperprior/hyper_transforms.h"
#include "nn/bf16_autocast.h"

namespace cdc::train {

namespace {

// The test-time quantization in the forward pass, identity gradient.
torch::Tensor straight_through_round(const torch::Tensor& v, const torch::Tensor& offset) {
  return v + (quantize_with_offset(v, offset) - v).detach();
}

torch::Tensor uniform_noise_like(const torch::Tensor& v, at::Generator& gen) {
  return (torch::rand(v.sizes(), gen, torch::kFloat32) - 0.5).to(v.device());
}

// The latent as the encoder codes it (test-time rounding of z around the
// medians and of y around the hyper-decoder mean), float32, no gradient.
struct CodedLatent {
  torch::Tensor y_hat, z_hat, mean, scale;
};

CodedLatent coded_latent(CompressorImpl& cf, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  torch::Tensor y = cf.enc->forward(x).to(torch::kFloat32);
  torch::Tensor z = cf.hyper_enc->forward(y).to(torch::kFloat32);
  torch::Tensor z_hat = quantize_with_offset(z, cf.prior->medians_param);
  auto [mean, scale] = split_mean_scale(cf.hyper_dec->forward(z_hat).to(torch::kFloat32));
  return {quantize_with_offset(y, mean), z_hat, mean, scale};
}

// The U-Net's terms: the SNR-weighted x0-MSE at a random t and the MSE of the
// default 1-step decode; mse is the first's (or the second's when alone).
struct UnetTerms {
  torch::Tensor loss, mse;
};

UnetTerms unet_terms(CdcNetworkImpl& net, const std::vector<torch::Tensor>& context,
                     const torch::Tensor& x, const TrainOptions& options,
                     const DiffusionTables& tables, at::Generator& gen) {
  auto f32 = [](const torch::Tensor& t) { return t.to(torch::kFloat32); };
  const int64_t batch = x.size(0);
  const int64_t steps = net.train_alphas_cumprod.size(0);
  torch::Tensor loss = torch::zeros({}, x.options());
  torch::Tensor mse = torch::zeros({}, x.options());
  if (options.diffusion_weight > 0) {
    torch::Tensor t = torch::randint(0, steps, {batch}, gen, torch::kLong).to(x.device());
    torch::Tensor noise = torch::randn(x.sizes(), gen, torch::kFloat32)
                              .to(x.device())
                              .contiguous(x.suggest_memory_format());
    torch::Tensor x_t = tables.sqrt_alphas_cumprod.index({t}).view({-1, 1, 1, 1}) * x +
                        tables.sqrt_one_minus_alphas_cumprod.index({t}).view({-1, 1, 1, 1}) * noise;
    torch::Tensor t_in = (t.to(torch::kFloat32) / static_cast<double>(steps)).unsqueeze(1);
    torch::Tensor pred = f32(net.denoise_fn->forward(x_t, t_in, context));
    torch::Tensor mse_b = (pred - x).pow(2).mean({1, 2, 3});
    torch::Tensor weight = tables.snr.index({t}).clamp(options.snr_floor, options.snr_cap);
    loss = loss + options.diffusion_weight * (weight * mse_b).mean();
    mse = mse_b.mean().detach();
  }
  if (options.decode_weight > 0) {
    // The library's 1-step decode: one U-Net call on x_N = 0 at the step
    // sample_indices gives a 1-step x-param decode.
    const int64_t last = sample_indices(static_cast<int>(steps), 1, ModelVariant::kXParam).front();
    torch::Tensor x_n = torch::zeros_like(x);
    torch::Tensor t_in = torch::full({batch, 1}, static_cast<double>(last) / steps,
                                     x.options().dtype(torch::kFloat32));
    torch::Tensor decoded = f32(net.denoise_fn->forward(x_n, t_in, context));
    torch::Tensor decode_mse = (decoded - x).pow(2).mean();
    loss = loss + options.decode_weight * decode_mse;
    if (options.diffusion_weight <= 0) mse = decode_mse.detach();
  }
  return {loss, mse};
}

// The decoder stage: the coded latent is fixed, the context decoder and U-Net learn.
LossTerms compute_decoder_loss(CdcNetworkImpl& net, torch::nn::Conv2dImpl& head,
                               const torch::Tensor& x, const TrainOptions& options,
                               const DiffusionTables& tables, at::Generator& gen) {
  CompressorImpl& cf = *net.context_fn;
  const nn::CpuBf16Autocast autocast(options.bf16);
  const CodedLatent c = coded_latent(cf, x);
  torch::Tensor bpp;
  {
    // The coded latent's bits, for the log.
    torch::NoGradGuard no_grad;
    const nn::CpuBf16Autocast float32_rates(false);
    torch::Tensor bits = -(torch::log2(gaussian_likelihood(c.y_hat, c.mean, c.scale)).sum() +
                           torch::log2(cf.prior->likelihood(c.z_hat)).sum());
    bpp = bits / static_cast<double>(x.size(0) * x.size(2) * x.size(3));
  }
  std::vector<torch::Tensor> context = cf.dec->forward(c.y_hat);
  torch::Tensor head_mse = (head.forward(context[0]).to(torch::kFloat32) - x).pow(2).mean();
  auto [unet_loss, mse] = unet_terms(net, context, x, options, tables, gen);
  return {unet_loss + options.aux_weight * head_mse, bpp, mse, head_mse.detach()};
}

}  // namespace

DiffusionTables DiffusionTables::make(const ModelConfig& config, const torch::Device& device) {
  torch::Tensor ac = alphas_cumprod_tensor(config.schedule, config.num_timesteps).to(torch::kFloat64);
  DiffusionTables t;
  t.sqrt_alphas_cumprod = ac.sqrt().to(torch::kFloat32).to(device);
  t.sqrt_one_minus_alphas_cumprod = (1.0 - ac).sqrt().to(torch::kFloat32).to(device);
  t.snr = (ac / (1.0 - ac)).to(torch::kFloat32).to(device);
  return t;
}

LossTerms compute_loss(CdcNetworkImpl& net, torch::nn::Conv2dImpl& head, const torch::Tensor& x,
                       double lambda, const TrainOptions& options, const DiffusionTables& tables,
                       at::Generator& gen) {
  if (options.stage == Stage::kDecoder) return compute_decoder_loss(net, head, x, options, tables, gen);
  CompressorImpl& cf = *net.context_fn;
  const int64_t batch = x.size(0);
  const double pixels = static_cast<double>(batch * x.size(2) * x.size(3));
  // With --bf16 the networks run under bfloat16 autocast; every output that
  // the rate or a loss reads is taken back to float32.
  const nn::CpuBf16Autocast autocast(options.bf16);
  auto f32 = [](const torch::Tensor& t) { return t.to(torch::kFloat32); };

  torch::Tensor y = f32(cf.enc->forward(x));
  torch::Tensor z = f32(cf.hyper_enc->forward(y));
  torch::Tensor medians = cf.prior->medians_param.detach();
  torch::Tensor z_hat = straight_through_round(z, medians);
  torch::Tensor z_noisy = z + uniform_noise_like(z, gen);
  auto [mean, scale] = split_mean_scale(f32(cf.hyper_dec->forward(z_hat)));
  torch::Tensor y_hat = straight_through_round(y, mean);
  torch::Tensor y_rate = options.rate_ste ? y_hat : y + uniform_noise_like(y, gen);
  torch::Tensor p_z, p_y;
  {
    const nn::CpuBf16Autocast float32_rates(false);
    p_z = cf.prior->likelihood(z_noisy);
    p_y = gaussian_likelihood(y_rate, mean, scale);
  }
  torch::Tensor bits = -(torch::log2(p_y).sum() + torch::log2(p_z).sum());
  torch::Tensor bpp = bits / pixels;

  std::vector<torch::Tensor> context = cf.dec->forward(y_hat);
  torch::Tensor head_mse = (f32(head.forward(context[0])) - x).pow(2).mean();
  torch::Tensor loss = lambda * bpp + options.aux_weight * head_mse;
  if (options.stage == Stage::kCompressor)
    return {loss, bpp.detach(), torch::zeros({}, x.options()), head_mse.detach()};
  auto [unet_loss, mse] = unet_terms(net, context, x, options, tables, gen);
  return {loss + unet_loss, bpp.detach(), mse, head_mse.detach()};
}

LossTerms compute_head_loss(CdcNetworkImpl& net, torch::nn::Conv2dImpl& head,
                            const torch::Tensor& x) {
  CompressorImpl& cf = *net.context_fn;
  torch::Tensor finest;
  {
    torch::NoGradGuard no_grad;
    finest = cf.dec->forward(coded_latent(cf, x).y_hat)[0];
  }
  torch::Tensor head_mse = (head.forward(finest) - x).pow(2).mean();
  torch::Tensor zero = torch::zeros({}, x.options());
  return {head_mse, zero, zero, head_mse.detach()};
}

}  // namespace cdc::train
