// libFuzzer target: model loading through the public C API, as libcdc.so
// loads a model file (the inference core's reader: header, section table,
// configuration, every tensor's name and shape against the configuration,
// entropy tables), and then the networks built from what was accepted: each
// accepted model encodes a small image and decodes the stream. The section
// checksums, the file size field and the model id of each input are
// recomputed first, so that mutants get past them and reach the fields and
// weights behind. The library is used as built (by g++, not instrumented):
// the run finds crashes, aborts, hangs (-timeout) and memory out of
// proportion (-rss_limit_mb), not silent memory errors inside it.
//
// Seeds: small model files (tests/scripts/fuzz_api.sh writes them with
// cdc-train from a tiny configuration).
#include <cdc.h>
#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kHeader = 64, kEntry = 32;
constexpr uint32_t kSectionName = 2;

uint32_t load_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t load_u64(const uint8_t* p) { return uint64_t{load_u32(p)} | uint64_t{load_u32(p + 4)} << 32; }
void store_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Rewrites the file size, the checksums of the sections that lie inside the
// file and the model id over them (docs/model-format.md).
void repair(std::vector<uint8_t>& f) {
  if (f.size() < kHeader || std::memcmp(f.data(), "CDCMODEL", 8) != 0) return;
  store_u64(f.data() + 16, f.size());
  const uint32_t count = load_u32(f.data() + 12);
  XXH3_state_t* id = XXH3_createState();
  if (id == nullptr) std::abort();
  XXH3_128bits_reset(id);
  for (uint32_t i = 0; i < count && i < 64; ++i) {
    uint8_t* entry = f.data() + kHeader + i * kEntry;
    if (kHeader + (i + 1) * kEntry > f.size()) break;
    const uint32_t type = load_u32(entry);
    const uint64_t offset = load_u64(entry + 8), size = load_u64(entry + 16);
    if (offset > f.size() || size > f.size() - offset) continue;
    store_u64(entry + 24, XXH3_64bits(f.data() + offset, size));
    if (type == kSectionName) continue;
    uint8_t head[12];
    for (int k = 0; k < 4; ++k) head[k] = static_cast<uint8_t>(type >> (8 * k));
    store_u64(head + 4, size);
    XXH3_128bits_update(id, head, sizeof head);
    XXH3_128bits_update(id, f.data() + offset, size);
  }
  XXH128_canonical_t canon;
  XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(id));
  XXH3_freeState(id);
  std::memcpy(f.data() + 24, canon.digest, 16);
}

bool clean(cdc_status s) { return s != CDC_STATUS_INTERNAL_ERROR; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(data, data + size);
  repair(file);
  cdc_model* model = nullptr;
  const cdc_status loaded = cdc_model_load_memory(file.data(), file.size(), &model);
  if (loaded != CDC_STATUS_OK) {
    // A refused file is refused with a model error, never anything else
    // (an empty one is an invalid argument).
    const bool expected = loaded == CDC_STATUS_INVALID_MODEL || loaded == CDC_STATUS_UNSUPPORTED ||
                          loaded == CDC_STATUS_OUT_OF_MEMORY ||
                          (size == 0 && loaded == CDC_STATUS_INVALID_ARGUMENT);
    if (!expected) std::abort();
    if (model != nullptr) std::abort();
    return 0;
  }
  static cdc_context* ctx = [] {
    cdc_context* c = nullptr;
    if (cdc_context_create(&c) != CDC_STATUS_OK) std::abort();
    cdc_context_set_option(c, CDC_OPTION_THREADS, 1);
    cdc_context_set_option(c, CDC_OPTION_STEPS, 1);
    return c;
  }();
  // A small gray-and-colour gradient through the model's networks and back.
  constexpr uint32_t w = 64, h = 64;
  std::vector<uint8_t> pixels(w * h * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7 + i / 192);
  uint8_t* stream = nullptr;
  size_t stream_size = 0;
  const cdc_status encoded =
      cdc_encode(ctx, model, pixels.data(), w, h, CDC_PIXEL_RGB8, 0, &stream, &stream_size);
  if (!clean(encoded)) std::abort();
  if (encoded == CDC_STATUS_OK) {
    std::vector<uint8_t> out(pixels.size());
    const cdc_status decoded = cdc_decode(ctx, model, stream, stream_size, out.data(), out.size(),
                                          CDC_PIXEL_RGB8, 0);
    if (!clean(decoded)) std::abort();
    cdc_buffer_free(stream);
  }
  cdc_model_free(model);
  return 0;
}
