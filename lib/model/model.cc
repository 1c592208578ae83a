#include "model/model.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/error.h"
#include "context/context_decoder_onednn.h"
#include "diffusion/unet_onednn.h"
#include "common/file_io.h"
#include "common/hex.h"
#include "hyperprior/gaussian_conditional.h"
#include "model/compute_device.h"
#include "model/model_file.h"
#include "onednn/tensor_bridge.h"

namespace cdc {

namespace {

// Convolutions run channels-last (oneDNN's fast path on CPU) unless the
// environment variable CDC_CHANNELS_LAST is "0" when a model is loaded (for
// benchmarks).
bool channels_last_default() {
  const char* v = std::getenv("CDC_CHANNELS_LAST");
  return v == nullptr || std::string(v) != "0";
}

// The grid of the deterministic hyper synthesis output (2^-16).
constexpr double kHyperGrid = 65536.0;

void check_image(const torch::Tensor& x, int channels, int multiple, const char* what) {
  if (x.dim() != 4 || x.size(1) != channels || x.size(2) % multiple || x.size(3) % multiple ||
      x.size(2) == 0 || x.size(3) == 0)
    fail(CDC_STATUS_INVALID_ARGUMENT, "{}: expected Bx{}xHxW with H, W multiples of {}, got {}",
         what, channels, multiple, c10::str(x.sizes()));
}

// NHWC activations of NCHW tensors (shared where they are channels-last).
std::vector<onednn::Activation> activations(const std::vector<torch::Tensor>& tensors) {
  std::vector<onednn::Activation> out;
  for (const auto& t : tensors) out.push_back(onednn::from_nchw(t));
  return out;
}

// One call of the oneDNN U-Net on NCHW tensors; t (B x 1) must be the same
// for every image (as the sampler's is).
torch::Tensor unet_call(const UNetOneDnn& unet, const torch::Tensor& x, const torch::Tensor& t,
                        const UNetOneDnn::Prepared& prepared, onednn::BufferPool& pool) {
  const torch::Tensor tf = t.to(torch::kCPU, torch::kFloat32).reshape({-1});
  if (tf.numel() != x.size(0) || !(tf == tf[0]).all().item<bool>())
    fail(CDC_STATUS_INVALID_ARGUMENT, "denoise: expected one time per image, all equal");
  torch::Tensor out = torch::empty({x.size(0), x.size(2), x.size(3), x.size(1)}, torch::kFloat32);
  unet.forward(onednn::from_nchw(x), tf[0].item<float>(), prepared, pool, onednn::wrap_nhwc(out));
  return out.permute({0, 3, 1, 2});
}

}  // namespace

Model::Model(ModelConfig config, std::string name, NamedTensors tensors,
                   entropy::EntropyTables tables, std::array<uint8_t, 16> id,
                   const std::string& origin)
    : config_(std::move(config)), name_(std::move(name)), id_(id), id_hex_(to_hex(id)),
      tables_(std::move(tables)) {
  torch::NoGradGuard no_grad;
  conv_format_ = channels_last_default() ? torch::MemoryFormat::ChannelsLast
                                         : torch::MemoryFormat::Contiguous;
  check_tensor_total(config_, tensors, origin);
  network_ = CdcNetwork(config_);
  load_network_tensors(*network_, std::move(tensors), origin);
  net().eval();
  for (const auto& p : net().parameters(true)) {
    parameter_count_ += p.numel();
    p.set_requires_grad(false);
    if (p.dim() == 4) p.set_data(p.contiguous(conv_format_));
  }
  hyper_dec_double_ = net().context_fn->hyper_dec->double_weights();
  const int prior_channels = config_.hyper_latent_channels();
  if (tables_.prior.size() != static_cast<size_t>(prior_channels))
    fail(CDC_STATUS_INVALID_MODEL, "{}: the entropy tables have {} prior channels, the model {}",
         origin, tables_.prior.size(), prior_channels);
}

CdcNetworkImpl& Model::net_on(int device) const {
  if (device == kDeviceCpu) return net();
  check_device_available(device);
  std::lock_guard<std::mutex> lock(cuda_mutex_);
  if (!cuda_network_) {
    torch::NoGradGuard no_grad;
    CdcNetwork copy(config_);
    copy->to(torch_device(device));
    load_network_tensors(*copy, network_tensors(net()), name_);
    copy->eval();
    for (const auto& p : copy->parameters(true)) p.set_requires_grad(false);
    cuda_network_ = copy;
  }
  return *cuda_network_.ptr();
}

torch::Tensor Model::analysis(const torch::Tensor& x, int device) const {
  check_image(x, config_.channels, size_multiple(), "analysis");
  if (device != kDeviceCpu) {
    CdcNetworkImpl& n = net_on(device);
    return n.context_fn->enc->forward(x.to(torch_device(device), torch::kFloat32))
        .to(torch::kCPU)
        .contiguous();
  }
  return net().context_fn->enc->forward(to_conv_format(x.to(torch::kFloat32))).contiguous();
}

torch::Tensor Model::hyper_analysis(const torch::Tensor& y) const {
  return net().context_fn->hyper_enc->forward(to_conv_format(y)).contiguous();
}

torch::Tensor Model::prior_medians() const {
  return net().context_fn->prior->medians().clone();
}

HyperParameters Model::hyper_synthesis(const torch::Tensor& z_hat, bool deterministic) const {
  auto& hyper_dec = net().context_fn->hyper_dec;
  if (!deterministic) {
    auto [mean, scale] = split_mean_scale(hyper_dec->forward(to_conv_format(z_hat)));
    return {mean.contiguous(), scale.contiguous()};
  }
  torch::Tensor out = hyper_dec->forward_double(z_hat, hyper_dec_double_);
  out = (torch::round(out * kHyperGrid) / kHyperGrid).to(torch::kFloat32);
  auto [mean, scale] = split_mean_scale(out);
  return {mean.contiguous(), scale.contiguous()};
}

torch::Tensor Model::prior_likelihood(const torch::Tensor& z_hat) const {
  return net().context_fn->prior->likelihood(z_hat.contiguous());
}

torch::Tensor Model::gaussian_likelihood(const torch::Tensor& y_hat,
                                            const HyperParameters& p) const {
  return cdc::gaussian_likelihood(y_hat, p.mean, p.scale);
}

std::vector<torch::Tensor> Model::context(const torch::Tensor& y_hat, int device) const {
  if (device != kDeviceCpu)
    return net_on(device).context_fn->dec->forward(y_hat.to(torch_device(device)));
  // Kept channels-last: they are only fed back to denoise().
  if (const ContextDecoderOneDnn* dec = context_onednn()) {
    std::vector<torch::Tensor> out;
    for (const onednn::Activation& a : dec->forward(onednn::from_nchw(y_hat)))
      out.push_back(onednn::as_tensor(a));
    return out;
  }
  return net().context_fn->dec->forward(to_conv_format(y_hat));
}

torch::Tensor Model::denoise(const torch::Tensor& x, const torch::Tensor& t,
                             const std::vector<torch::Tensor>& context,
                             onednn::BufferPool* pool) const {
  check_image(x, config_.channels, size_multiple(), "denoise");
  if (context.size() != config_.context_dim_mults.size())
    fail(CDC_STATUS_INVALID_ARGUMENT, "denoise: expected {} context tensors, got {}",
         config_.context_dim_mults.size(), context.size());
  std::vector<torch::Tensor> ctx;
  for (const auto& c : context) ctx.push_back(to_conv_format(c));
  if (const UNetOneDnn* unet = unet_onednn()) {
    onednn::BufferPool own;
    onednn::BufferPool& p = pool != nullptr ? *pool : own;
    return unet_call(*unet, x, t, *unet->prepare(activations(ctx), p), p).contiguous();
  }
  return net().denoise_fn->forward(to_conv_format(x), t.to(torch::kFloat32), ctx).contiguous();
}

const ContextDecoderOneDnn* Model::context_onednn() const {
  if (torch::GradMode::is_enabled() || at::autocast::is_cpu_enabled() || !onednn::enabled())
    return nullptr;
  std::call_once(context_onednn_once_, [this] {
    context_onednn_ = std::make_shared<const ContextDecoderOneDnn>(
        onednn::module_params(*net().context_fn->dec));
  });
  return context_onednn_.get();
}

const UNetOneDnn* Model::unet_onednn() const {
  if (torch::GradMode::is_enabled() || at::autocast::is_cpu_enabled() || !onednn::enabled())
    return nullptr;
  std::call_once(unet_onednn_once_, [this] {
    unet_onednn_ = std::make_shared<const UNetOneDnn>(net().denoise_fn->params(),
                                                      onednn::module_params(*net().denoise_fn));
  });
  return unet_onednn_.get();
}

torch::Tensor Model::sample(std::vector<torch::Tensor> context,
                            const CodecSettings& settings, const StepCallback& callback,
                            const torch::Tensor& start) const {
  if (context.empty()) fail(CDC_STATUS_INVALID_ARGUMENT, "sample: no context");
  const torch::Tensor& finest = context.front();
  const std::vector<int64_t> shape{finest.size(0), config_.channels, finest.size(2),
                                   finest.size(3)};
  DiffusionProcess process;
  process.num_timesteps = config_.num_timesteps;
  process.alphas_cumprod = net().train_alphas_cumprod;
  process.variant = config_.variant;
  if (!finest.device().is_cpu()) {
    // The U-Net on the context's device; the sampler's tensors stay on the CPU.
    const torch::Device device = finest.device();
    CdcNetworkImpl& n = net_on(kDeviceCuda);
    DenoiseFn fn = [&](const torch::Tensor& x, const torch::Tensor& t) {
      return n.denoise_fn->forward(x.to(device), t.to(device), context)
          .to(torch::kCPU, torch::kFloat32);
    };
    return ddim_sample(fn, shape, process, settings, callback, start).contiguous();
  }
  onednn::BufferPool pool;  // the U-Net's buffers, reused by every step
  if (const UNetOneDnn* unet = unet_onednn()) {
    std::shared_ptr<const UNetOneDnn::Prepared> prepared = unet->prepare(activations(context), pool);
    // What the steps need is in `prepared`: the caller's features go (the
    // finest, replaced by its share of the first block, is then freed).
    context.clear();
    DenoiseFn fn = [&](const torch::Tensor& x, const torch::Tensor& t) {
      return unet_call(*unet, x, t, *prepared, pool);
    };
    return ddim_sample(fn, shape, process, settings, callback, start).contiguous();
  }
  std::vector<torch::Tensor> ctx;
  for (const auto& c : context) ctx.push_back(to_conv_format(c));
  DenoiseFn fn = [&](const torch::Tensor& x, const torch::Tensor& t) {
    // float32 whatever the arithmetic inside (bfloat16 under autocast
    // decoding): the sampler's steps, its previews and its result stay float32.
    return net().denoise_fn->forward(to_conv_format(x), t, ctx).to(torch::kFloat32);
  };
  return ddim_sample(fn, shape, process, settings, callback, start).contiguous();
}

CodecSettings Model::decoding_settings(const CodecSettings& settings) const {
  return decoding_settings_for(config_, settings);
}

int64_t Model::unet_macs(int64_t height, int64_t width) const {
  return net().denoise_fn->macs(height, width);
}

// --- loading -----------------------------------------------------------------

namespace {

std::shared_ptr<const Model> model_from_contents(ModelFileContents contents,
                                                 const std::string& origin) {
  entropy::EntropyTables tables = entropy::EntropyTables::deserialize(
      contents.entropy_tables.data(), contents.entropy_tables.size());
  return std::make_shared<Model>(std::move(contents.config), std::move(contents.name),
                                 std::move(contents.tensors), std::move(tables), contents.id,
                                 origin);
}

}  // namespace

std::shared_ptr<const Model> Model::load_file(const std::string& path) {
  std::vector<uint8_t> bytes = read_whole_file(path);
  try {
    ModelFileContents contents = read_model_file(bytes.data(), bytes.size());
    std::vector<uint8_t>().swap(bytes);  // the tensors are copies: one copy of the weights at a time
    return model_from_contents(std::move(contents), path);
  } catch (const Error& e) {
    rethrow_with_origin(e, path);
  }
}

std::shared_ptr<const Model> Model::load_memory(const uint8_t* data, size_t size) {
  return model_from_contents(read_model_file(data, size), "model");
}

}  // namespace cdc
