#include "model/model_file.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "common/byte_io.h"
#include "common/error.h"
#include "common/float16.h"
#include "common/utf8.h"
#include "model/model_file_format.h"
#include "model/model_file_reader.h"

namespace cdc {

using namespace model_file;

namespace {

void write_f32(ByteWriter& w, const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const size_t n = static_cast<size_t>(c.numel());
  if (host_is_little_endian()) {
    w.bytes(c.data_ptr<float>(), n * 4);
  } else {
    const float* p = c.data_ptr<float>();
    for (size_t i = 0; i < n; ++i) {
      uint32_t u;
      std::memcpy(&u, &p[i], 4);
      w.u32(u);
    }
  }
}

void write_f16(ByteWriter& w, const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const float* p = c.data_ptr<float>();
  for (int64_t i = 0; i < c.numel(); ++i) w.u16(float_to_half(p[i]));
}

std::vector<uint8_t> tensor_section(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                    const std::vector<bool>& half) {
  // Index first (with data offsets patched in), then 64-byte aligned data.
  ByteWriter w;
  w.u32(static_cast<uint32_t>(tensors.size()));
  w.u32(0);
  std::vector<size_t> offset_slots;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, t] = tensors[i];
    if (name.empty() || name.size() > kMaxNameLength)
      fail(CDC_STATUS_INVALID_ARGUMENT, "bad tensor name '{}'", name);
    w.u32(static_cast<uint32_t>(name.size()));
    w.bytes(name.data(), name.size());
    const bool f16 = half[i];
    w.u32(f16 ? kDtypeFloat16 : kDtypeFloat32);
    w.u32(static_cast<uint32_t>(t.dim()));
    for (int64_t d : t.sizes()) w.u64(static_cast<uint64_t>(d));
    offset_slots.push_back(w.size());
    w.u64(0);  // data offset, patched below
    w.u64(static_cast<uint64_t>(t.numel()) * (f16 ? 2 : 4));
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    w.pad_to(kAlign);
    w.patch_u64(offset_slots[i], w.size());
    if (half[i])
      write_f16(w, tensors[i].second);
    else
      write_f32(w, tensors[i].second);
  }
  return std::move(w.buffer());
}

}  // namespace

bool stored_as_float16(const std::string& name, const torch::Tensor& tensor) {
  if (tensor.dim() < 2 || name.rfind("context_fn.prior.", 0) == 0) return false;
  // 65504 is the largest finite float16; the rounding of anything above
  // 65519 would give an infinity.
  return tensor.numel() == 0 || tensor.detach().abs().max().item<double>() <= 65504.0;
}

std::vector<std::pair<std::string, torch::Tensor>> rounded_to_float16(
    const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  out.reserve(tensors.size());
  for (const auto& [name, t] : tensors)
    out.emplace_back(name, stored_as_float16(name, t)
                               ? t.detach().to(torch::kHalf).to(torch::kFloat32).contiguous()
                               : t);
  return out;
}

std::vector<uint8_t> write_model_file(const ModelConfig& config, const std::string& name,
                                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                      const std::vector<uint8_t>& entropy_tables,
                                      std::array<uint8_t, 16>* id_out, WeightStorage storage) {
  config.validate();
  const std::string json = config.to_json(1);
  std::vector<bool> half(tensors.size(), false);
  bool any_half = false;
  if (storage == WeightStorage::kFloat16) {
    for (size_t i = 0; i < tensors.size(); ++i) {
      half[i] = stored_as_float16(tensors[i].first, tensors[i].second);
      any_half = any_half || half[i];
    }
  }
  const std::vector<uint8_t> tensor_bytes = tensor_section(tensors, half);
  const std::vector<std::pair<uint32_t, std::pair<const uint8_t*, size_t>>> parts = {
      {kSectionConfig, {reinterpret_cast<const uint8_t*>(json.data()), json.size()}},
      {kSectionName, {reinterpret_cast<const uint8_t*>(name.data()), name.size()}},
      {kSectionTensors, {tensor_bytes.data(), tensor_bytes.size()}},
      {kSectionEntropy, {entropy_tables.data(), entropy_tables.size()}},
  };
  const std::array<uint8_t, 16> id = compute_id(parts);
  if (id_out != nullptr) *id_out = id;

  ByteWriter w;
  w.bytes(kMagic, sizeof kMagic);
  w.u32(any_half ? kFirstVersionWithFloat16 : 1);
  w.u32(static_cast<uint32_t>(parts.size()));
  w.u64(0);  // file size, patched
  w.bytes(id.data(), id.size());
  w.pad_to(kHeaderSize);
  const size_t table = w.size();
  for (size_t i = 0; i < parts.size(); ++i) {
    w.u32(parts[i].first);
    w.u32(0);
    w.u64(0);  // offset, patched
    w.u64(parts[i].second.second);
    w.u64(XXH3_64bits(parts[i].second.first, parts[i].second.second));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    w.pad_to(kAlign);
    w.patch_u64(table + i * kEntrySize + 8, w.size());
    w.bytes(parts[i].second.first, parts[i].second.second);
  }
  w.patch_u64(16, w.size());
  return std::move(w.buffer());
}

ModelFileContents read_model_file(const uint8_t* data, size_t size) {
  ModelFileView view = parse_model_file(data, size);
  ModelFileContents out;
  out.config = std::move(view.config);
  out.name = std::move(view.name);
  out.id = view.id;
  out.entropy_tables.assign(view.entropy_tables, view.entropy_tables + view.entropy_size);
  for (auto& t : view.tensors) {
    if (t.float16) out.storage = WeightStorage::kFloat16;
    torch::Tensor values = torch::empty(t.shape, torch::kFloat32);
    if (t.numel > 0 && host_is_little_endian() && !t.float16) {
      std::memcpy(values.data_ptr<float>(), t.data, t.numel * sizeof(float));
    } else if (t.numel > 0) {
      const FloatTensor f = tensor_values(t, nullptr);  // converted
      std::memcpy(values.data_ptr<float>(), f.data(), t.numel * sizeof(float));
    }
    out.tensors.emplace_back(std::move(t.name), std::move(values));
  }
  return out;
}

}  // namespace cdc
