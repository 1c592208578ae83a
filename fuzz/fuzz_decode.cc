// libFuzzer target: the whole decode through the public C API (cdc_decode with
// a real model: entropy decoding, hyper synthesis, context decoder, diffusion
// sampler, pixel output). The header and payload CRCs of each input are
// recomputed first, so that mutants get past the checksums and reach the
// entropy decoder and the networks. The library is used as built (by g++, not
// instrumented): the run finds crashes, aborts, hangs (-timeout) and memory
// out of proportion (-rss_limit_mb), not silent memory errors inside it.
//
// The model: CDC_FUZZ_MODEL (a model file) or the built-in default model.
#include <cdc.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kHeader = 120;

cdc_model* the_model() {
  static cdc_model* model = [] {
    cdc_model* m = nullptr;
    const char* path = std::getenv("CDC_FUZZ_MODEL");
    const cdc_status s = path != nullptr && *path ? cdc_model_load_file(path, &m)
                                                  : cdc_model_load_default(&m);
    if (s != CDC_STATUS_OK) std::abort();
    return m;
  }();
  return model;
}

void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> stream(data, data + size);
  if (size >= kHeader) {
    store_u32(stream.data() + 112,
              static_cast<uint32_t>(crc32(0, stream.data() + kHeader,
                                          static_cast<uInt>(size - kHeader))));
    store_u32(stream.data() + 116, static_cast<uint32_t>(crc32(0, stream.data(), 116)));
  }
  static cdc_context* ctx = [] {
    cdc_context* c = nullptr;
    if (cdc_context_create(&c) != CDC_STATUS_OK) std::abort();
    cdc_context_set_option(c, CDC_OPTION_THREADS, 1);
    cdc_context_set_option(c, CDC_OPTION_STEPS, 1);
    // Small images only: each input stays fast and cheap.
    cdc_context_set_option(c, CDC_OPTION_MAX_PIXELS, 128 * 128);
    return c;
  }();
  cdc_stream_info info;
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  if (cdc_stream_get_info(stream.data(), stream.size(), &info) != CDC_STATUS_OK) return 0;
  if (static_cast<uint64_t>(info.width) * info.height > 128 * 128) return 0;
  std::vector<uint8_t> out(static_cast<size_t>(info.width) * info.height * 4);
  const cdc_status s = cdc_decode(ctx, the_model(), stream.data(), stream.size(), out.data(),
                                  out.size(), CDC_PIXEL_RGBA8, 0);
  // Only clean statuses are acceptable: an internal error is a finding.
  if (s == CDC_STATUS_INTERNAL_ERROR) std::abort();
  return 0;
}
