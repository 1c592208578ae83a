// A loaded model for inference without libtorch: the model file's config,
// name, id and entropy tables, its weights as FloatTensors (sharing the
// file's bytes where they can), and the networks the decoder runs, built on
// the oneDNN path on first use. Immutable and shared read-only by any number
// of threads, like Model (model.h), the libtorch side's view of the same
// file, which training, checkpoint conversion and the options that need
// libtorch use.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/codec_settings.h"
#include "common/float_tensor.h"
#include "entropy/entropy_tables.h"
#include "model/model_config.h"
#include "onednn/resnet_block.h"

namespace cdc {

class AnalysisOneDnn;
class ContextDecoderOneDnn;
class HyperAnalysisOneDnn;
class HyperSynthesisF64;
class UNetOneDnn;

class InferenceModel {
 public:
  // A model file's bytes, kept alive by owner (the weights share them).
  // Checks the file (model_file_reader.h) and every tensor's name and shape
  // against its config. Throws cdc::Error: INVALID_MODEL, UNSUPPORTED;
  // `origin` (e.g. the file name) prefixes messages.
  static std::shared_ptr<const InferenceModel> load(const uint8_t* data, size_t size,
                                                    std::shared_ptr<const void> owner,
                                                    const std::string& origin);
  // The same over a copy of the bytes.
  static std::shared_ptr<const InferenceModel> load_copy(const uint8_t* data, size_t size);
  // Reads a model file (IO_ERROR when it cannot be read).
  static std::shared_ptr<const InferenceModel> load_file(const std::string& path);
  ~InferenceModel();

  const ModelConfig& config() const { return config_; }
  const std::string& name() const { return name_; }
  const std::array<uint8_t, 16>& id() const { return id_; }
  const std::string& id_hex() const { return id_hex_; }
  int size_multiple() const { return config_.size_multiple(); }
  const entropy::EntropyTables& entropy_tables() const { return tables_; }
  // The model file, as loaded (to build the libtorch side's Model from).
  const uint8_t* file_data() const { return file_data_; }
  size_t file_size() const { return file_size_; }

  // A tensor by its full name (INTERNAL_ERROR if there is none).
  const FloatTensor& tensor(const std::string& name) const;
  // The tensors under a prefix, named without it.
  onednn::ParamMap params(const std::string& prefix) const;

  // The settings with the model's decoding defaults filled in (as
  // Model::decoding_settings).
  CodecSettings decoding_settings(const CodecSettings& settings) const;

  // The networks, built on first use.
  const AnalysisOneDnn& analysis() const;
  const HyperAnalysisOneDnn& hyper_analysis() const;
  const HyperSynthesisF64& hyper_synthesis() const;
  const ContextDecoderOneDnn& context_decoder() const;
  const UNetOneDnn& unet() const;

 private:
  InferenceModel() = default;

  ModelConfig config_;
  std::string name_;
  std::array<uint8_t, 16> id_{};
  std::string id_hex_;
  entropy::EntropyTables tables_;
  std::shared_ptr<const void> owner_;
  const uint8_t* file_data_ = nullptr;
  size_t file_size_ = 0;
  std::map<std::string, FloatTensor> tensors_;

  mutable std::once_flag analysis_once_, hyper_analysis_once_, hyper_once_, context_once_,
      unet_once_;
  mutable std::unique_ptr<const AnalysisOneDnn> analysis_;
  mutable std::unique_ptr<const HyperAnalysisOneDnn> hyper_analysis_;
  mutable std::unique_ptr<const HyperSynthesisF64> hyper_;
  mutable std::unique_ptr<const ContextDecoderOneDnn> context_;
  mutable std::unique_ptr<const UNetOneDnn> unet_;
};

}  // namespace cdc
