// libcdc.so's front: loads the engine (libcdc-engine.so.<ABI>) on the first
// call that needs it and forwards that call through the engine's table.
// api/engine_table.h says why the library is split in two.
#include "api/front/front.h"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>

#include "cdc_version.h"

namespace cdc::front {
namespace {

std::once_flag g_once;
std::atomic<const CdcEngineTable*> g_engine{nullptr};
std::string g_load_error;  // why the engine could not be loaded; written once

// The front's own last failure on this thread, and whether the thread's last
// failure was the front's (else the engine's message is the one to report).
thread_local std::string t_error;
thread_local bool t_front_failed = false;

std::string dl_error() {
  const char* e = dlerror();
  return e != nullptr ? e : "unknown error";
}

// The folder of this libcdc.so ("" when unknown), where the engine is
// installed beside it.
// (Asked with a local function: an exported one may have its canonical
// address in the executable.)
std::string front_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&front_directory), &info) == 0 ||
      info.dli_fname == nullptr)
    return "";
  const std::string path = info.dli_fname;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// Opens the engine: beside this library first, then by soname (RPATH,
// LD_LIBRARY_PATH, the system's folders). On failure returns NULL with the
// reason in *error.
void* open_engine(std::string* path, std::string* error) {
  const int flags = RTLD_NOW | RTLD_LOCAL;
  const std::string dir = front_directory();
  if (!dir.empty()) {
    *path = dir + CDC_ENGINE_FILE;
    if (void* handle = dlopen(path->c_str(), flags)) return handle;
    // A file that is there but does not load (e.g. libtorch missing) is the
    // error to report.
    if (access(path->c_str(), F_OK) == 0) {
      *error = "cannot load the libcdc engine " + *path + ": " + dl_error();
      return nullptr;
    }
  }
  *path = CDC_ENGINE_FILE;
  if (void* handle = dlopen(CDC_ENGINE_FILE, flags)) return handle;
  *error = "cannot load the libcdc engine " + *path + ": " + dl_error();
  return nullptr;
}

void load_engine() noexcept {
  try {
    std::string path, error;
    void* handle = open_engine(&path, &error);
    if (handle == nullptr) {
      g_load_error = error;
      return;
    }
    auto get_table =
        reinterpret_cast<cdc_engine_table_fn>(dlsym(handle, CDC_ENGINE_TABLE_SYMBOL));
    const CdcEngineTable* table = get_table != nullptr ? get_table() : nullptr;
    if (table == nullptr) {
      g_load_error = "cannot load the libcdc engine " + path + ": no " CDC_ENGINE_TABLE_SYMBOL;
    } else if (table->table_version != CDC_ENGINE_TABLE_VERSION ||
               table->size < sizeof(CdcEngineTable) || table->library_version == nullptr ||
               std::strcmp(table->library_version, CDC_VERSION_STRING) != 0) {
      g_load_error = "cannot load the libcdc engine " + path + ": it is version " +
                     (table->library_version != nullptr ? table->library_version : "?") +
                     " (table " + std::to_string(table->table_version) +
                     "), libcdc.so is " CDC_VERSION_STRING " (table " +
                     std::to_string(CDC_ENGINE_TABLE_VERSION) + ")";
    } else {
      g_engine.store(table, std::memory_order_release);
    }
  } catch (...) {
    // Out of memory while loading: g_load_error may be empty; engine() copes.
  }
}

// The engine if it is loaded already; never loads it.
const CdcEngineTable* loaded_engine() noexcept {
  return g_engine.load(std::memory_order_acquire);
}

// A status returned by the engine: a failure makes the engine's message the
// thread's last one.
cdc_status engine_status(cdc_status status) noexcept {
  if (status != CDC_STATUS_OK) t_front_failed = false;
  return status;
}

}  // namespace

const CdcEngineTable* engine() noexcept {
  std::call_once(g_once, load_engine);
  const CdcEngineTable* table = loaded_engine();
  if (table == nullptr)
    fail(CDC_STATUS_INTERNAL_ERROR,
         g_load_error.empty() ? "cannot load the libcdc engine" : g_load_error.c_str());
  return table;
}

cdc_status fail(cdc_status status, const char* message) noexcept {
  try {
    t_error = message;
  } catch (...) {
    // Keep the status even if the message cannot be stored.
  }
  t_front_failed = true;
  return status;
}

}  // namespace cdc::front

using cdc::front::engine;
using cdc::front::engine_status;
using cdc::front::loaded_engine;

// Forwards a call that returns a status: CDC_STATUS_INTERNAL_ERROR when the
// engine cannot be loaded.
#define CDC_FORWARD_STATUS(name, ...)                 \
  do {                                                \
    const CdcEngineTable* e = engine();               \
    if (e == nullptr) return CDC_STATUS_INTERNAL_ERROR; \
    return engine_status(e->name(__VA_ARGS__));       \
  } while (0)

extern "C" {

const char* cdc_last_error(void) {
  const CdcEngineTable* e = loaded_engine();
  if (e == nullptr || cdc::front::t_front_failed) return cdc::front::t_error.c_str();
  return e->cdc_last_error();
}

// --- models ------------------------------------------------------------------

cdc_status cdc_model_load_file(const char* path, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  CDC_FORWARD_STATUS(cdc_model_load_file, path, model);
}

cdc_status cdc_model_load_memory(const void* data, size_t size, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  CDC_FORWARD_STATUS(cdc_model_load_memory, data, size, model);
}

cdc_status cdc_model_load_default(cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  CDC_FORWARD_STATUS(cdc_model_load_default, model);
}

cdc_status cdc_model_load_builtin(const char* name, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  CDC_FORWARD_STATUS(cdc_model_load_builtin, name, model);
}

cdc_status cdc_model_load(const char* name_or_path, cdc_model** model) {
  if (model != nullptr) *model = nullptr;
  CDC_FORWARD_STATUS(cdc_model_load, name_or_path, model);
}

size_t cdc_builtin_model_count(void) {
  const CdcEngineTable* e = engine();
  return e != nullptr ? e->cdc_builtin_model_count() : 0;
}

const char* cdc_builtin_model_name(size_t index) {
  const CdcEngineTable* e = engine();
  return e != nullptr ? e->cdc_builtin_model_name(index) : nullptr;
}

const char* cdc_builtin_model_for_quality(int quality) {
  const CdcEngineTable* e = engine();
  return e != nullptr ? e->cdc_builtin_model_for_quality(quality) : nullptr;
}

// A non-NULL handle comes from the engine, which is then loaded.
void cdc_model_free(cdc_model* model) {
  if (model == nullptr) return;
  if (const CdcEngineTable* e = loaded_engine()) e->cdc_model_free(model);
}

cdc_status cdc_model_get_info(const cdc_model* model, cdc_model_info* info) {
  CDC_FORWARD_STATUS(cdc_model_get_info, model, info);
}

cdc_status cdc_convert_checkpoint(const char* checkpoint_path, const char* output_path,
                                  const cdc_convert_options* options) {
  CDC_FORWARD_STATUS(cdc_convert_checkpoint, checkpoint_path, output_path, options);
}

// --- contexts ----------------------------------------------------------------

cdc_status cdc_context_create(cdc_context** context) {
  if (context != nullptr) *context = nullptr;
  CDC_FORWARD_STATUS(cdc_context_create, context);
}

void cdc_context_free(cdc_context* context) {
  if (context == nullptr) return;
  if (const CdcEngineTable* e = loaded_engine()) e->cdc_context_free(context);
}

const char* cdc_context_last_error(const cdc_context* context) {
  const CdcEngineTable* e = context != nullptr ? loaded_engine() : nullptr;
  return e != nullptr ? e->cdc_context_last_error(context) : "";
}

cdc_status cdc_context_set_option(cdc_context* context, cdc_option option, double value) {
  CDC_FORWARD_STATUS(cdc_context_set_option, context, option, value);
}

cdc_status cdc_context_get_option(const cdc_context* context, cdc_option option, double* value) {
  CDC_FORWARD_STATUS(cdc_context_get_option, context, option, value);
}

cdc_status cdc_context_set_progress(cdc_context* context, cdc_progress_fn fn, void* user) {
  CDC_FORWARD_STATUS(cdc_context_set_progress, context, fn, user);
}

// --- encoding, decoding, streams ---------------------------------------------

cdc_status cdc_encode(cdc_context* context, const cdc_model* model, const uint8_t* pixels,
                      uint32_t width, uint32_t height, cdc_pixel_format format, size_t stride,
                      uint8_t** data, size_t* size) {
  return cdc_encode_with_metadata(context, model, pixels, width, height, format, stride, nullptr,
                                  data, size);
}

cdc_status cdc_encode_with_metadata(cdc_context* context, const cdc_model* model,
                                    const uint8_t* pixels, uint32_t width, uint32_t height,
                                    cdc_pixel_format format, size_t stride,
                                    const cdc_metadata* metadata, uint8_t** data, size_t* size) {
  if (data != nullptr) *data = nullptr;
  if (size != nullptr) *size = 0;
  CDC_FORWARD_STATUS(cdc_encode_with_metadata, context, model, pixels, width, height, format,
                     stride, metadata, data, size);
}

void cdc_buffer_free(void* buffer) {
  if (buffer == nullptr) return;
  if (const CdcEngineTable* e = loaded_engine()) e->cdc_buffer_free(buffer);
}

cdc_status cdc_stream_get_info(const void* data, size_t size, cdc_stream_info* info) {
  CDC_FORWARD_STATUS(cdc_stream_get_info, data, size, info);
}

cdc_status cdc_stream_get_metadata(const void* data, size_t size, cdc_metadata_kind kind,
                                   const uint8_t** block, size_t* block_size) {
  if (block != nullptr) *block = nullptr;
  if (block_size != nullptr) *block_size = 0;
  CDC_FORWARD_STATUS(cdc_stream_get_metadata, data, size, kind, block, block_size);
}

cdc_status cdc_decode(cdc_context* context, const cdc_model* model, const void* data,
                      size_t size, uint8_t* pixels, size_t capacity, cdc_pixel_format format,
                      size_t stride) {
  CDC_FORWARD_STATUS(cdc_decode, context, model, data, size, pixels, capacity, format, stride);
}

}  // extern "C"
