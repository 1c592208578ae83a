#include "model/model_file.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "common/byte_io.h"
#include "common/error.h"
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

std::vector<uint8_t> tensor_section(const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  // Index first (with data offsets patched in), then 64-byte aligned data.
  ByteWriter w;
  w.u32(static_cast<uint32_t>(tensors.size()));
  w.u32(0);
  std::vector<size_t> offset_slots;
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name.size() > kMaxNameLength)
      fail(CDC_STATUS_INVALID_ARGUMENT, "bad tensor name '{}'", name);
    w.u32(static_cast<uint32_t>(name.size()));
    w.bytes(name.data(), name.size());
    w.u32(kDtypeFloat32);
    w.u32(static_cast<uint32_t>(t.dim()));
    for (int64_t d : t.sizes()) w.u64(static_cast<uint64_t>(d));
    offset_slots.push_back(w.size());
    w.u64(0);  // data offset, patched below
    w.u64(static_cast<uint64_t>(t.numel()) * 4);
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    w.pad_to(kAlign);
    w.patch_u64(offset_slots[i], w.size());
    write_f32(w, tensors[i].second);
  }
  return std::move(w.buffer());
}

}  // namespace

std::vector<uint8_t> write_model_file(const ModelConfig& config, const std::string& name,
                                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                      const std::vector<uint8_t>& entropy_tables,
                                      std::array<uint8_t, 16>* id_out) {
  config.validate();
  const std::string json = config.to_json(1);
  const std::vector<uint8_t> tensor_bytes = tensor_section(tensors);
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
  w.u32(kModelFileVersion);
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
    torch::Tensor values = torch::empty(t.shape, torch::kFloat32);
    if (t.numel > 0 && host_is_little_endian()) {
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
