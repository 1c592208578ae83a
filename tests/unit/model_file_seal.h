// Recomputes the section checksums and the model id of a model file after an
// edit in place (the layout of docs/model-format.md), so that the edit reaches
// the checks behind them. Sections that do not lie inside the file are left
// alone. Header-only on xxhash alone: shared by the unit tests and the
// fuzz_model_load target, which builds against the public API only.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace cdc_test {

inline uint64_t seal_load(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

inline void seal_store_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline void reseal_model_file(std::vector<uint8_t>& f) {
  constexpr size_t kHeader = 64, kEntry = 32;
  constexpr uint64_t kSectionName = 2;  // the name is not part of the id
  if (f.size() < kHeader) return;
  const uint64_t count = seal_load(f.data() + 12, 4);
  XXH3_state_t* id = XXH3_createState();
  if (id == nullptr) std::abort();
  XXH3_128bits_reset(id);
  for (uint64_t i = 0; i < count && kHeader + (i + 1) * kEntry <= f.size(); ++i) {
    uint8_t* entry = f.data() + kHeader + i * kEntry;
    const uint64_t type = seal_load(entry, 4);
    const uint64_t offset = seal_load(entry + 8, 8), size = seal_load(entry + 16, 8);
    if (offset > f.size() || size > f.size() - offset) continue;
    seal_store_u64(entry + 24, XXH3_64bits(f.data() + offset, size));
    if (type == kSectionName) continue;
    uint8_t head[12];
    for (int k = 0; k < 4; ++k) head[k] = static_cast<uint8_t>(type >> (8 * k));
    seal_store_u64(head + 4, size);
    XXH3_128bits_update(id, head, sizeof head);
    XXH3_128bits_update(id, f.data() + offset, size);
  }
  XXH128_canonical_t canon;
  XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(id));
  XXH3_freeState(id);
  std::memcpy(f.data() + 24, canon.digest, 16);
}

}  // namespace cdc_test
