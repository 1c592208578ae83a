#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/hex.h"
#include "common/json.h"
#include "model/builtin/builtin_models.h"
#include "model/model.h"
#include "model/model_export.h"
#include "model/model_file.h"
#include "common/file_io.h"

namespace cdc::train {

namespace {

constexpr const char* kCheckpointFormat = "cdc-train checkpoint 1";

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

std::vector<uint8_t> model_file_bytes(const std::string& file_or_name) {
  const ModelSource source = resolve_model_name(file_or_name);
  if (source.builtin == nullptr) return read_whole_file(source.path);
  return std::vector<uint8_t>(source.builtin->data, source.builtin->data + source.builtin->size);
}

namespace {

// A model file's contents from a path or a built-in model name.
ModelFileContents read_init_model(const std::string& init) {
  const std::vector<uint8_t> bytes = model_file_bytes(init);
  return read_model_file(bytes.data(), bytes.size());
}

ModelConfig config_for(const TrainOptions& options) {
  if (!options.init.empty()) return read_init_model(options.init).config;
  if (file_exists(options.config)) {
    std::vector<uint8_t> bytes = read_whole_file(options.config);
    return ModelConfig::from_json(std::string(bytes.begin(), bytes.end()));
  }
  return ModelConfig::preset(options.config);
}

torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  archive.read(key, t);
  return t;
}

c10::IValue read_value(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue v;
  archive.read(key, v);
  return v;
}

void write_tensors(torch::serialize::OutputArchive& archive, const std::string& prefix,
                   const NamedTensors& tensors) {
  std::string names;
  for (size_t i = 0; i < tensors.size(); ++i) {
    archive.write(prefix + "_" + std::to_string(i), tensors[i].second.detach().cpu().contiguous());
    names += tensors[i].first + "\n";
  }
  archive.write(prefix + "_names", c10::IValue(names));
}

void read_tensors(torch::serialize::InputArchive& archive, const std::string& prefix,
                  const NamedTensors& tensors) {
  std::string names;
  for (const auto& t : tensors) names += t.first + "\n";
  if (read_value(archive, prefix + "_names").toStringRef() != names)
    fail(CDC_STATUS_INVALID_MODEL, "checkpoint: the tensors of '{}' do not match the model", prefix);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    torch::Tensor src = read_tensor(archive, prefix + "_" + std::to_string(i));
    if (src.sizes() != tensors[i].second.sizes())
      fail(CDC_STATUS_INVALID_MODEL, "checkpoint: tensor '{}' has the wrong shape",
           tensors[i].first);
    tensors[i].second.copy_(src);
  }
}

NamedTensors head_tensors(const torch::nn::Conv2dImpl& head) {
  NamedTensors out;
  for (auto& p : head.named_parameters()) out.emplace_back(p.key(), p.value());
  return out;
}

}  // namespace

Trainer::Trainer(const TrainOptions& options) : Trainer(options, config_for(options)) {
  torch::NoGradGuard no_grad;
  if (!options_.init.empty()) {
    ModelFileContents init = read_init_model(options_.init);
    load_network_tensors(*net_, init.tensors, options_.init);
    load_network_tensors(*ema_, init.tensors, options_.init);
    start_ = fmt::format("warm start from '{}' (model {}, id {})", options_.init, init.name,
                         to_hex(init.id));
  } else {
    start_ = fmt::format("fresh start: config '{}', seed {}", options_.config, options_.seed);
  }
}

Trainer::Trainer(const TrainOptions& options, const ModelConfig& config)
    : options_(options), config_(config), gen_(at::make_generator<at::CPUGeneratorImpl>(options.seed)) {
  options_.validate();
  config_.validate();
  if (config_.variant != ModelVariant::kXParam || config_.pred_mode != PredictionMode::kX)
    fail(CDC_STATUS_UNSUPPORTED, "cdc-train trains x-param models (pred_mode x) only");
  config_.default_steps = options_.default_steps;
  config_.default_gamma = 0.0;
  build();
}

void Trainer::build() {
  device_ = torch::Device(options_.device);
  if (device_.is_cuda() && !torch::cuda::is_available())
    fail(CDC_STATUS_UNSUPPORTED, "--device {}: this libtorch has no usable CUDA device",
         options_.device);
  torch::manual_seed(options_.seed);
  net_ = CdcNetwork(config_);
  net_->context_fn->prior->reset_parameters();
  ema_ = CdcNetwork(config_);
  load_network_tensors(*ema_, network_tensors(*net_), "the EMA copy");
  head_ = torch::nn::Conv2d(
      torch::nn::Conv2dOptions(config_.context_feature_channels().front(), 3, 3).padding(1));
  net_->to(device_);
  ema_->to(device_);
  head_->to(device_);
  ema_->eval();
  const auto format = options_.channels_last ? torch::MemoryFormat::ChannelsLast
                                             : torch::MemoryFormat::Contiguous;
  for (torch::nn::Module* m : {static_cast<torch::nn::Module*>(net_.get()),
                               static_cast<torch::nn::Module*>(ema_.get()),
                               static_cast<torch::nn::Module*>(head_.get())})
    for (auto& p : m->parameters())
      if (p.dim() == 4) p.set_data(p.data().contiguous(format));
  for (auto& p : ema_->parameters()) p.set_requires_grad(false);

  torch::Tensor medians = net_->context_fn->prior->medians_param;
  if (options_.stage == Stage::kDecoder) {
    // The encoder, hyperprior and prior (medians too) stay as they are.
    CompressorImpl& cf = *net_->context_fn;
    for (torch::nn::Module* m : {static_cast<torch::nn::Module*>(cf.enc.get()),
                                 static_cast<torch::nn::Module*>(cf.hyper_enc.get()),
                                 static_cast<torch::nn::Module*>(cf.hyper_dec.get()),
                                 static_cast<torch::nn::Module*>(cf.prior.get())})
      for (auto& p : m->parameters()) p.set_requires_grad(false);
  }
  main_params_.clear();
  for (auto& p : net_->parameters())
    if (p.requires_grad() && !p.is_same(medians)) main_params_.push_back(p);
  for (auto& p : head_->parameters()) main_params_.push_back(p);
  adam_ = std::make_unique<torch::optim::Adam>(main_params_, torch::optim::AdamOptions(options_.lr));
  median_adam_ = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{medians},
                                                      torch::optim::AdamOptions(options_.median_lr));
  tables_ = DiffusionTables::make(config_, device_);
  lambda_ctrl_ = options_.lambda;
}

int64_t Trainer::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : net_->parameters()) n += p.numel();
  return n;
}

double Trainer::learning_rate() const {
  const double f = std::min(1.0, static_cast<double>(step_) / static_cast<double>(options_.steps));
  const double w = options_.lr_warmup_frac;
  if (f < w) return options_.lr * (0.1 + 0.9 * f / w);
  const double g = w < 1.0 ? (f - w) / (1.0 - w) : 1.0;
  const double lo = options_.lr * options_.lr_min_frac;
  return lo + 0.5 * (options_.lr - lo) * (1.0 + std::cos(M_PI * g));
}

double Trainer::lambda() const {
  const double f = std::min(1.0, static_cast<double>(step_) / static_cast<double>(options_.steps));
  const double w = options_.lambda_warmup_frac;
  if (f >= w) return lambda_ctrl_;
  return lambda_ctrl_ * std::pow(options_.lambda_start_frac, 1.0 - f / w);
}

void Trainer::steer_lambda(double bpp) {
  // A running mean of the training rate; once half the warm-up is done,
  // lambda moves multiplicatively (at most 0.2% a step) towards the target.
  bpp_avg_ = bpp_avg_ < 0 ? bpp : 0.98 * bpp_avg_ + 0.02 * bpp;
  if (options_.target_bpp <= 0) return;
  const double f = static_cast<double>(step_) / static_cast<double>(options_.steps);
  if (f < 0.5 * options_.lambda_warmup_frac) return;
  const double err = std::clamp(std::log(std::max(bpp_avg_, 1e-6) / options_.target_bpp), -1.0, 1.0);
  lambda_ctrl_ *= std::exp(0.002 * err);
}

StepStats Trainer::step(const torch::Tensor& x_in) {
  StepStats s;
  s.lr = learning_rate();
  s.lambda = lambda();
  for (auto& group : adam_->param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(s.lr);
  net_->train();
  torch::Tensor x = x_in.to(device_).contiguous(options_.channels_last
                                                    ? torch::MemoryFormat::ChannelsLast
                                                    : torch::MemoryFormat::Contiguous);
  if (step_ < options_.head_warmup) {
    // Head warm-up: only the head learns; the networks, medians and EMA stay.
    LossTerms terms = compute_head_loss(*net_, *head_, x);
    adam_->zero_grad();
    terms.loss.backward();
    adam_->step();
    ++step_;
    s.loss = terms.loss.item<double>();
    s.head_mse = s.loss;
    return s;
  }
  LossTerms terms = compute_loss(*net_, *head_, x, s.lambda, options_, tables_, gen_);
  adam_->zero_grad();
  terms.loss.backward();
  if (options_.clip > 0) torch::nn::utils::clip_grad_norm_(main_params_, options_.clip);
  adam_->step();

  torch::Tensor median_loss = net_->context_fn->prior->median_loss();
  if (net_->context_fn->prior->medians_param.requires_grad()) {
    median_adam_->zero_grad();
    median_loss.backward();
    median_adam_->step();
  }

  ++step_;
  {
    torch::NoGradGuard no_grad;
    const double d = std::min(options_.ema, (1.0 + step_) / (10.0 + step_));
    auto e = ema_->parameters(), m = net_->parameters();
    // Fixed parameters stay exact (d * e + (1 - d) * e need not round back to e).
    for (size_t i = 0; i < e.size(); ++i)
      if (m[i].requires_grad()) e[i].mul_(d).add_(m[i].detach(), 1.0 - d);
  }
  s.loss = terms.loss.item<double>();
  s.bpp = terms.bpp.item<double>();
  s.mse = terms.mse.item<double>();
  s.head_mse = terms.head_mse.item<double>();
  s.median_loss = median_loss.item<double>();
  if (!std::isfinite(s.loss))
    fail(CDC_STATUS_INTERNAL_ERROR, "the loss is not finite at step {} (lower --lr?)", step_);
  steer_lambda(s.bpp);
  return s;
}

void Trainer::save_checkpoint(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kCheckpointFormat)));
  archive.write("options", c10::IValue(options_.to_json().dump()));
  archive.write("config", c10::IValue(config_.to_json()));
  archive.write("step", c10::IValue(step_));
  archive.write("lambda_ctrl", c10::IValue(lambda_ctrl_));
  archive.write("bpp_avg", c10::IValue(bpp_avg_));
  archive.write("start", c10::IValue(start_));
  archive.write("seconds", c10::IValue(seconds_));
  archive.write("generator", gen_.get_state());
  write_tensors(archive, "net", network_tensors(*net_));
  write_tensors(archive, "ema", network_tensors(*ema_));
  write_tensors(archive, "head", head_tensors(*head_));
  torch::serialize::OutputArchive adam, median_adam;
  adam_->save(adam);
  median_adam_->save(median_adam);
  archive.write("adam", adam);
  archive.write("median_adam", median_adam);
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string data = bytes.str();
  write_file_atomically(path, std::vector<uint8_t>(data.begin(), data.end()));
}

std::unique_ptr<Trainer> Trainer::resume(const std::string& path, const TrainOptions& run_control) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, torch::Device(run_control.device));
  } catch (const c10::Error&) {
    fail(CDC_STATUS_INVALID_MODEL, "{}: not a readable cdc-train checkpoint", path);
  }
  if (read_value(archive, "format").toStringRef() != kCheckpointFormat)
    fail(CDC_STATUS_UNSUPPORTED, "{}: unknown checkpoint format", path);
  TrainOptions options = run_control;
  options.apply_json(json::Value::parse(read_value(archive, "options").toStringRef(),
                                        CDC_STATUS_INVALID_MODEL));
  if (run_control.steps != options.steps && run_control.steps > 0) options.steps = run_control.steps;
  const ModelConfig config = ModelConfig::from_json(read_value(archive, "config").toStringRef());
  std::unique_ptr<Trainer> t(new Trainer(options, config));
  t->step_ = read_value(archive, "step").toInt();
  t->lambda_ctrl_ = read_value(archive, "lambda_ctrl").toDouble();
  t->bpp_avg_ = read_value(archive, "bpp_avg").toDouble();
  t->seconds_ = read_value(archive, "seconds").toDouble();
  t->start_ = read_value(archive, "start").toStringRef() +
              fmt::format("; resumed at step {}", t->step_);
  t->gen_.set_state(read_tensor(archive, "generator").cpu());
  read_tensors(archive, "net", network_tensors(*t->net_));
  read_tensors(archive, "ema", network_tensors(*t->ema_));
  read_tensors(archive, "head", head_tensors(*t->head_));
  torch::serialize::InputArchive adam, median_adam;
  archive.read("adam", adam);
  archive.read("median_adam", median_adam);
  t->adam_->load(adam);
  t->median_adam_->load(median_adam);
  return t;
}

std::vector<uint8_t> Trainer::export_model_file() const {
  NamedTensors tensors;
  for (auto& [name, t] : network_tensors(*ema_))
    tensors.emplace_back(name, t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous());
  // The rate weight the weights were trained for, so that the encoder's effort
  // levels optimize the same trade-off.
  ModelConfig config = config_;
  config.rate_lambda = lambda();
  return make_model_file(config, options_.name, tensors, "cdc-train export");
}

}  // namespace cdc::train
