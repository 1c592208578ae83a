// Shared helpers of the model tests (golden data, temporary files, small
// random models).
#pragma once

#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/codec_settings.h"
#include "common/file_io.h"
#include "convert/checkpoint_import.h"
#include "model/model.h"
#include "model/model_export.h"
#include "model/model_file.h"

namespace cdc_test {

// Decoding settings with explicit steps, gamma and seed.
inline cdc::CodecSettings decoding(int steps, double gamma, uint64_t seed) {
  cdc::CodecSettings s;
  s.steps = steps;
  s.gamma = gamma;
  s.seed = seed;
  return s;
}

inline std::string golden_path(const std::string& file) {
  return std::string(CDC_TEST_DATA_DIR) + "/golden_x8/" + file;
}

// A fresh path in a per-process temporary folder.
inline std::string temp_path(const std::string& stem) {
  static std::atomic<int> counter{0};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cdc_model_tests_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / (std::to_string(counter++) + "_" + stem)).string();
}

inline std::map<std::string, torch::Tensor> load_expected() {
  std::ifstream f(golden_path("expected.pt"), std::ios::binary);
  std::vector<char> data((std::istreambuf_iterator<char>(f)), {});
  c10::IValue v = torch::pickle_load(data);
  std::map<std::string, torch::Tensor> out;
  for (const auto& kv : v.toGenericDict()) out[kv.key().toStringRef()] = kv.value().toTensor();
  return out;
}

// The golden input image as 1x3xHxW in [-1, 1].
inline torch::Tensor load_golden_image() {
  const int64_t w = 192, h = 128;
  std::ifstream f(golden_path("image_192x128.rgb"), std::ios::binary);
  std::vector<char> data((std::istreambuf_iterator<char>(f)), {});
  if (static_cast<int64_t>(data.size()) != w * h * 3) throw std::runtime_error("bad image file");
  torch::Tensor px = torch::from_blob(data.data(), {h, w, 3}, torch::kUInt8).clone();
  return px.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32).div(255.0).mul(2.0).sub(1.0);
}

// The golden checkpoint converted once into a model file (bytes).
inline const std::vector<uint8_t>& golden_model_bytes() {
  static const std::vector<uint8_t> bytes = [] {
    const std::string path = temp_path("golden.cdcm");
    cdc::convert_checkpoint(golden_path("checkpoint.pt"), path, cdc::ConvertOptions{"golden-x8"});
    std::vector<uint8_t> b = cdc::read_whole_file(path);
    std::filesystem::remove(path);
    return b;
  }();
  return bytes;
}

// The status of loading a model file's bytes (OK, or the error's status).
inline cdc_status load_status(const std::vector<uint8_t>& bytes) {
  try {
    cdc::Model::load_memory(bytes.data(), bytes.size());
    return CDC_STATUS_OK;
  } catch (const cdc::Error& e) {
    return e.status();
  }
}

inline std::shared_ptr<const cdc::Model> golden_model() {
  static const std::shared_ptr<const cdc::Model> model = cdc::Model::load_memory(
      golden_model_bytes().data(), golden_model_bytes().size());
  return model;
}

// An x-param layout with one compressor stage, one hyper stage and odd
// widths (every size rule at its smallest).
inline cdc::ModelConfig odd_xparam() {
  cdc::ModelConfig c;
  c.dim = 8;
  c.dim_mults = {1, 3};
  c.context_dim_mults = {5};
  c.compressor_dim = 6;
  c.compressor_dim_mults = {2};
  c.reverse_dim_mults = {2};
  c.hyper_dims_mults = {3};
  c.context_channels = c.out_channels = 5;
  c.num_timesteps = 7;
  c.default_steps = 3;
  return c;
}

// A small random model (golden-x8 layout) with T timesteps.
inline std::shared_ptr<const cdc::Model> small_random_model(int timesteps = 20, uint64_t seed = 1) {
  cdc::ModelConfig c = cdc::ModelConfig::preset("golden-x8");
  c.num_timesteps = timesteps;
  c.default_steps = std::min(c.default_steps, timesteps);
  const std::vector<uint8_t> bytes = cdc::make_random_model_file(c, "random", seed);
  return cdc::Model::load_memory(bytes.data(), bytes.size());
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// PSNR in dB between two 8-bit buffers of the same size (99 when equal).
inline double psnr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  double se = 0;
  for (size_t i = 0; i < a.size(); ++i) se += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return se == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 * a.size() / se);
}

// A varied test image: a crop of the golden photo, shifted in brightness and
// with noise, of the given size (edge-padded when larger than the photo).
inline std::vector<uint8_t> test_image(uint32_t width, uint32_t height, uint64_t seed) {
  torch::manual_seed(seed);
  torch::Tensor photo = load_golden_image();  // 1x3x128x192 in [-1, 1]
  const int64_t dy = static_cast<int64_t>(seed * 7) % 64, dx = static_cast<int64_t>(seed * 13) % 96;
  torch::Tensor rows = (torch::arange(static_cast<int64_t>(height), torch::kLong) + dy).clamp_max(127);
  torch::Tensor cols = (torch::arange(static_cast<int64_t>(width), torch::kLong) + dx).clamp_max(191);
  torch::Tensor x = photo.index_select(2, rows).index_select(3, cols);
  x = x * (0.6 + 0.1 * static_cast<double>(seed % 5)) + 0.05 * torch::randn_like(x);
  torch::Tensor px = x.clamp(-1, 1).add(1).mul(127.5).round().to(torch::kUInt8)[0]
                         .permute({1, 2, 0}).contiguous();
  return std::vector<uint8_t>(px.data_ptr<uint8_t>(), px.data_ptr<uint8_t>() + px.numel());
}

}  // namespace cdc_test
