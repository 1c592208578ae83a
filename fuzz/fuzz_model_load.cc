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

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "model_file_seal.h"

namespace {

bool clean(cdc_status s) { return s != CDC_STATUS_INTERNAL_ERROR; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(data, data + size);
  if (file.size() >= 64 && std::memcmp(file.data(), "CDCMODEL", 8) == 0) {
    cdc_test::seal_store_u64(file.data() + 16, file.size());
    cdc_test::reseal_model_file(file);
  }
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
