#include "model/inference_model.h"

#include <algorithm>

#include "common/error.h"
#include "common/file_io.h"
#include "common/memory.h"
#include "common/hex.h"
#include "analysis/analysis_onednn.h"
#include "context/context_decoder_onednn.h"
#include "diffusion/unet_onednn.h"
#include "hyperprior/hyper_analysis_onednn.h"
#include "hyperprior/hyper_synthesis_f64.h"
#include "model/expected_tensors.h"
#include "model/model_file_reader.h"

namespace cdc {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

InferenceModel::~InferenceModel() = default;

std::shared_ptr<const InferenceModel> InferenceModel::load(const uint8_t* data, size_t size,
                                                           std::shared_ptr<const void> owner,
                                                           const std::string& origin) {
  try {
    ModelFileView view = parse_model_file(data, size);
    std::shared_ptr<InferenceModel> m(new InferenceModel());
    m->config_ = std::move(view.config);
    m->name_ = std::move(view.name);
    m->id_ = view.id;
    m->id_hex_ = to_hex(view.id);
    m->tables_ = entropy::EntropyTables::deserialize(view.entropy_tables, view.entropy_size);
    m->owner_ = std::move(owner);
    m->file_data_ = data;
    m->file_size_ = size;
    // Every tensor of the config exactly once, with its exact shape, and
    // nothing else: checked before any weight is read.
    const std::map<std::string, std::vector<int64_t>> expected = expected_tensors(m->config_);
    for (const ModelFileTensorView& t : view.tensors) {
      auto it = expected.find(t.name);
      if (it == expected.end())
        fail(CDC_STATUS_INVALID_MODEL, "unexpected tensor '{}'", t.name);
      if (it->second != t.shape)
        fail(CDC_STATUS_INVALID_MODEL, "tensor '{}' has shape {}, the config needs {}", t.name,
             shape_text(t.shape), shape_text(it->second));
      if (m->tensors_.count(t.name)) fail(CDC_STATUS_INVALID_MODEL, "tensor '{}' appears twice", t.name);
      m->tensors_[t.name] = tensor_values(t, m->owner_);
    }
    for (const auto& [name, shape] : expected)
      if (!m->tensors_.count(name)) fail(CDC_STATUS_INVALID_MODEL, "missing tensor '{}'", name);
    if (m->tables_.prior.size() != static_cast<size_t>(m->config_.hyper_latent_channels()))
      fail(CDC_STATUS_INVALID_MODEL, "the entropy tables have {} prior channels, the config {}",
           m->tables_.prior.size(), m->config_.hyper_latent_channels());
    return m;
  } catch (const Error& e) {
    rethrow_with_origin(e, origin);
  }
}

std::shared_ptr<const InferenceModel> InferenceModel::load_copy(const uint8_t* data, size_t size) {
  if (data == nullptr) fail(CDC_STATUS_INVALID_ARGUMENT, "model data must not be NULL");
  // 64-byte aligned, so that the weights can share it.
  std::shared_ptr<uint8_t> bytes;
  try {
    bytes = make_large_buffer(size);
  } catch (const std::bad_alloc&) {
    fail(CDC_STATUS_OUT_OF_MEMORY, "out of memory for a {} byte model", size);
  }
  std::copy(data, data + size, bytes.get());
  return load(bytes.get(), size, bytes, "model");
}

std::shared_ptr<const InferenceModel> InferenceModel::load_file(const std::string& path) {
  size_t size = 0;
  const std::shared_ptr<uint8_t> bytes = read_whole_file_large(path, &size);
  return load(bytes.get(), size, bytes, path);
}

const FloatTensor& InferenceModel::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(CDC_STATUS_INTERNAL_ERROR, "model: no tensor '{}'", name);
  return it->second;
}

onednn::ParamMap InferenceModel::params(const std::string& prefix) const {
  onednn::ParamMap p;
  for (auto it = tensors_.lower_bound(prefix); it != tensors_.end() && it->first.rfind(prefix, 0) == 0; ++it)
    p[it->first.substr(prefix.size())] = it->second;
  return p;
}

CodecSettings InferenceModel::decoding_settings(const CodecSettings& settings) const {
  return decoding_settings_for(config_, settings);
}

const AnalysisOneDnn& InferenceModel::analysis() const {
  std::call_once(analysis_once_, [this] {
    analysis_ = std::make_unique<const AnalysisOneDnn>(params("context_fn.enc."));
  });
  return *analysis_;
}

const HyperAnalysisOneDnn& InferenceModel::hyper_analysis() const {
  std::call_once(hyper_analysis_once_, [this] {
    hyper_analysis_ = std::make_unique<const HyperAnalysisOneDnn>(params("context_fn.hyper_enc."));
  });
  return *hyper_analysis_;
}

const HyperSynthesisF64& InferenceModel::hyper_synthesis() const {
  std::call_once(hyper_once_, [this] {
    hyper_ = std::make_unique<const HyperSynthesisF64>(params("context_fn.hyper_dec."));
  });
  return *hyper_;
}

const ContextDecoderOneDnn& InferenceModel::context_decoder() const {
  std::call_once(context_once_, [this] {
    context_ = std::make_unique<const ContextDecoderOneDnn>(params("context_fn.dec."));
  });
  return *context_;
}

const UNetOneDnn& InferenceModel::unet() const {
  std::call_once(unet_once_, [this] {
    unet_ = std::make_unique<const UNetOneDnn>(config_.unet_params(), params("denoise_fn."));
  });
  return *unet_;
}

}  // namespace cdc
