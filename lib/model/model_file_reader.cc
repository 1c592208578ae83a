#include "model/model_file_reader.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "common/byte_io.h"
#include "common/error.h"
#include "common/float16.h"
#include "common/utf8.h"
#include "model/model_file_format.h"

namespace cdc {

using namespace model_file;

namespace {

// Fuzzing builds (fuzz/build_torch.sh) ignore checksum and id mismatches so
// that the fuzzer reaches the fields behind them.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr bool kCheckHashes = false;
#else
constexpr bool kCheckHashes = true;
#endif

struct Section {
  uint32_t type;
  uint64_t offset, size, checksum;
};

// Checks that the bytes [begin, end) of data outside the sorted spans are
// zero and that the spans (all within [begin, end)) do not overlap.
void check_padding(const uint8_t* data, uint64_t begin, uint64_t end,
                   const std::vector<std::pair<uint64_t, uint64_t>>& spans, const char* what) {
  uint64_t pos = begin;
  auto zeros = [&](uint64_t from, uint64_t to) {
    for (uint64_t k = from; k < to; ++k)
      if (data[k] != 0) fail(kInvalid, "{}: nonzero padding byte at offset {}", what, k);
  };
  for (const auto& [b, e] : spans) {
    if (b < pos) fail(kInvalid, "{}: overlapping data at offset {}", what, b);
    zeros(pos, b);
    pos = e;
  }
  if (pos > end) fail(kInvalid, "{}: data past the end", what);
  zeros(pos, end);
}

}  // namespace

namespace model_file {

bool host_is_little_endian() {
  const uint16_t one = 1;
  uint8_t b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

std::array<uint8_t, 16> compute_id(const std::vector<std::pair<uint32_t, std::pair<const uint8_t*, size_t>>>& parts) {
  XXH3_state_t* state = XXH3_createState();
  if (state == nullptr) fail(CDC_STATUS_OUT_OF_MEMORY, "out of memory");
  XXH3_128bits_reset(state);
  for (const auto& [type, span] : parts) {
    if (type == kSectionName) continue;
    uint8_t head[12];
    for (int i = 0; i < 4; ++i) head[i] = static_cast<uint8_t>(type >> (8 * i));
    for (int i = 0; i < 8; ++i) head[4 + i] = static_cast<uint8_t>(uint64_t{span.second} >> (8 * i));
    XXH3_128bits_update(state, head, sizeof head);
    XXH3_128bits_update(state, span.first, span.second);
  }
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  XXH128_canonical_t canon;
  XXH128_canonicalFromHash(&canon, h);
  std::array<uint8_t, 16> id;
  std::memcpy(id.data(), canon.digest, 16);
  return id;
}


}  // namespace model_file

ModelFileView parse_model_file(const uint8_t* data, size_t size) {
  if (data == nullptr || size < kHeaderSize)
    fail(kInvalid, "model file: too short ({} bytes) to be a libcdc model file", size);
  if (std::memcmp(data, kMagic, sizeof kMagic) != 0)
    fail(kInvalid, "model file: not a libcdc model file (bad magic)");
  ByteReader hdr(data + 8, kHeaderSize - 8, kInvalid, "model file header");
  const uint32_t version = hdr.u32();
  if (version > kModelFileVersion)
    fail(CDC_STATUS_UNSUPPORTED,
         "model file: format version {} is newer than this library supports ({})", version,
         kModelFileVersion);
  if (version == 0) fail(kInvalid, "model file: bad format version 0");
  const uint32_t count = hdr.u32();
  const uint64_t file_size = hdr.u64();
  if (file_size != size)
    fail(kInvalid, "model file: truncated or extended: header says {} bytes, got {}", file_size,
         size);
  std::array<uint8_t, 16> stored_id;
  std::memcpy(stored_id.data(), hdr.bytes(16), 16);
  for (size_t i = 40; i < kHeaderSize; ++i)
    if (data[i] != 0) fail(kInvalid, "model file: nonzero reserved header bytes");
  if (count == 0 || count > kMaxSections)
    fail(kInvalid, "model file: bad section count {}", count);
  ByteReader tab(data, size, kInvalid, "model file section table");
  tab.bytes(kHeaderSize);
  tab.need(size_t{count} * kEntrySize);

  std::vector<Section> sections;
  std::unordered_set<uint32_t> types;
  for (uint32_t i = 0; i < count; ++i) {
    Section s;
    s.type = tab.u32();
    if (tab.u32() != 0) fail(kInvalid, "model file: section entry {} has nonzero reserved bits", i);
    s.offset = tab.u64();
    s.size = tab.u64();
    s.checksum = tab.u64();
    if (s.offset > size || s.size > size - s.offset || s.offset < kHeaderSize + count * kEntrySize)
      fail(kInvalid, "model file: section {} (type {}) lies outside the file", i, s.type);
    if (s.offset % kAlign)
      fail(kInvalid, "model file: section {} (type {}) is not 64-byte aligned", i, s.type);
    if (!types.insert(s.type).second)
      fail(kInvalid, "model file: section type {} appears twice", s.type);
    if (kCheckHashes && XXH3_64bits(data + s.offset, s.size) != s.checksum)
      fail(kInvalid, "model file: section {} (type {}) is corrupted (checksum mismatch)", i,
           s.type);
    sections.push_back(s);
  }
  // Everything outside the header, the table and the sections is padding,
  // zero bytes; sections do not overlap.
  {
    std::vector<std::pair<uint64_t, uint64_t>> spans;  // [begin, end)
    for (const auto& s : sections) spans.emplace_back(s.offset, s.offset + s.size);
    std::sort(spans.begin(), spans.end());
    check_padding(data, kHeaderSize + size_t{count} * kEntrySize, size, spans, "model file");
  }
  auto find = [&](uint32_t type, const char* what) -> const Section& {
    for (const auto& s : sections)
      if (s.type == type) return s;
    fail(kInvalid, "model file: missing {} section", what);
  };

  std::vector<std::pair<uint32_t, std::pair<const uint8_t*, size_t>>> parts;
  for (const auto& s : sections)
    parts.push_back({s.type, {data + s.offset, static_cast<size_t>(s.size)}});
  if (kCheckHashes && compute_id(parts) != stored_id)
    fail(kInvalid, "model file: the content does not match the model id (corrupted file)");

  ModelFileView out;
  out.id = stored_id;
  const Section& cfg = find(kSectionConfig, "config");
  const std::string config_text(reinterpret_cast<const char*>(data + cfg.offset), cfg.size);
  if (!is_valid_utf8(config_text)) fail(kInvalid, "model file: the config is not valid UTF-8");
  out.config = ModelConfig::from_json(config_text);
  const Section& nm = find(kSectionName, "name");
  if (nm.size > kMaxNameLength) fail(kInvalid, "model file: name too long");
  out.name.assign(reinterpret_cast<const char*>(data + nm.offset), nm.size);
  if (!is_valid_utf8(out.name)) fail(kInvalid, "model file: the name is not valid UTF-8");
  const Section& en = find(kSectionEntropy, "entropy tables");
  out.entropy_tables = data + en.offset;
  out.entropy_size = static_cast<size_t>(en.size);

  const Section& ts = find(kSectionTensors, "tensors");
  const uint8_t* base = data + ts.offset;
  ByteReader r(base, ts.size, kInvalid, "model file tensor section");
  const uint32_t n = r.u32();
  if (r.u32() != 0) fail(kInvalid, "model file: nonzero reserved bits in the tensor section");
  if (n > kMaxTensors) fail(kInvalid, "model file: too many tensors ({})", n);
  // The index first: names, shapes and where the data lie; nothing is
  // allocated before the total is known to match the config.
  struct Entry {
    std::string name;
    std::vector<int64_t> shape;
    uint64_t numel, offset, bytes;
    bool float16;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Entry e;
    const uint32_t len = r.u32();
    if (len == 0 || len > kMaxNameLength) fail(kInvalid, "model file: bad tensor name length");
    e.name.assign(reinterpret_cast<const char*>(r.bytes(len)), len);
    if (!is_valid_utf8(e.name)) fail(kInvalid, "model file: a tensor name is not valid UTF-8");
    const std::string& name = e.name;
    const uint32_t dtype = r.u32();
    if (dtype != kDtypeFloat32 && !(dtype == kDtypeFloat16 && version >= kFirstVersionWithFloat16))
      fail(kInvalid, "model file: tensor '{}' has unsupported dtype {}", name, dtype);
    e.float16 = dtype == kDtypeFloat16;
    const uint64_t width = e.float16 ? 2 : 4;
    const uint32_t ndim = r.u32();
    if (ndim > kMaxDims) fail(kInvalid, "model file: tensor '{}' has {} dimensions", name, ndim);
    e.numel = 1;
    for (uint32_t k = 0; k < ndim; ++k) {
      const uint64_t d = r.u64();
      if (d > (uint64_t{1} << 32)) fail(kInvalid, "model file: tensor '{}' is too large", name);
      e.numel *= d;
      if (e.numel > (uint64_t{1} << 34)) fail(kInvalid, "model file: tensor '{}' is too large", name);
      e.shape.push_back(static_cast<int64_t>(d));
    }
    e.offset = r.u64();
    e.bytes = r.u64();
    if (e.bytes != e.numel * width)
      fail(kInvalid, "model file: tensor '{}' has {} data bytes, its shape needs {}", name,
           e.bytes, e.numel * width);
    if (e.offset > ts.size || e.bytes > ts.size - e.offset)
      fail(kInvalid, "model file: tensor '{}' lies outside its section", name);
    if (e.offset % kAlign)
      fail(kInvalid, "model file: tensor '{}' is not 64-byte aligned", name);
    total += e.numel;  // at most 2^20 * 2^34: no overflow
    entries.push_back(std::move(e));
  }
  // The index may not overlap the data; the gaps are zero bytes.
  {
    std::vector<std::pair<uint64_t, uint64_t>> spans;
    for (const auto& e : entries) spans.emplace_back(e.offset, e.offset + e.bytes);
    std::sort(spans.begin(), spans.end());
    check_padding(base, r.position(), ts.size, spans, "model file tensor section");
  }
  // A config that asks for a bigger network than the file holds weights for
  // would otherwise be built (and initialised) before a missing tensor shows.
  const int64_t expected = out.config.parameter_count();
  if (total != static_cast<uint64_t>(expected))
    fail(kInvalid, "model file: the tensors hold {} elements but the config needs {}", total,
         expected);

  for (auto& e : entries)
    out.tensors.push_back({std::move(e.name), std::move(e.shape), base + e.offset, e.numel, e.float16});
  return out;
}

void rethrow_with_origin(const Error& e, const std::string& origin) {
  if (e.status() == CDC_STATUS_INVALID_MODEL || e.status() == CDC_STATUS_UNSUPPORTED) {
    const std::string msg = e.what();
    if (msg.rfind(origin, 0) != 0) throw Error(e.status(), origin + ": " + msg);
  }
  throw e;
}

FloatTensor tensor_values(const ModelFileTensorView& t, const std::shared_ptr<const void>& owner) {
  const auto address = reinterpret_cast<uintptr_t>(t.data);
  if (!t.float16 && host_is_little_endian() && address % alignof(float) == 0 && owner != nullptr)
    return FloatTensor(t.shape, std::shared_ptr<const float>(owner, reinterpret_cast<const float*>(t.data)));
  std::vector<float> v(static_cast<size_t>(t.numel));
  if (t.float16) {
    for (uint64_t k = 0; k < t.numel; ++k)
      v[k] = half_to_float(load_u16(t.data + 2 * k));
    return FloatTensor::from_values(t.shape, std::move(v));
  }
  for (uint64_t k = 0; k < t.numel; ++k) {
    const uint32_t u = load_u32(t.data + 4 * k);
    std::memcpy(&v[k], &u, 4);
  }
  return FloatTensor::from_values(t.shape, std::move(v));
}

}  // namespace cdc
