// libcdc.so's front: loads the engine (libcdc-engine.so.<ABI>) on the first
// call that needs it and forwards that call through the engine's table.
// api/engine_table.h says why the library is split in two.
#include "api/front/front.h"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "cdc_version.h"
#include "common/error.h"

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

const CdcEngineTable* loaded_engine() noexcept {
  return g_engine.load(std::memory_order_acquire);
}

const CdcEngineTable& require_engine() {
  std::call_once(g_once, load_engine);
  const CdcEngineTable* table = loaded_engine();
  if (table == nullptr)
    throw Error(CDC_STATUS_INTERNAL_ERROR,
                g_load_error.empty() ? "cannot load the libcdc engine" : g_load_error);
  return *table;
}

cdc_status engine_failed(cdc_status status) noexcept {
  if (status != CDC_STATUS_OK) t_front_failed = false;
  return status;
}

void throw_engine_error(cdc_status status, cdc_context* engine_context) {
  const CdcEngineTable& e = require_engine();
  const char* message = engine_context != nullptr ? e.cdc_context_last_error(engine_context)
                                                  : e.cdc_last_error();
  throw Error(status, message != nullptr && *message ? message : "the libcdc engine failed");
}

cdc_model* engine_model(cdc_model* model) {
  std::lock_guard<std::mutex> lock(model->engine_mutex);
  if (model->engine == nullptr) {
    const CdcEngineTable& e = require_engine();
    const cdc_status status = e.cdc_model_load_memory(model->core->file_data(),
                                                      model->core->file_size(), &model->engine);
    if (status != CDC_STATUS_OK) throw_engine_error(status, nullptr);
  }
  return model->engine;
}

cdc_context* engine_context(cdc_context* context) {
  const CdcEngineTable& e = require_engine();
  if (context->engine == nullptr) {
    const cdc_status status = e.cdc_context_create(&context->engine);
    if (status != CDC_STATUS_OK) throw_engine_error(status, nullptr);
  }
  for (int option = CDC_OPTION_THREADS; option <= kLastOption; ++option) {
    const auto o = static_cast<cdc_option>(option);
    const cdc_status status =
        e.cdc_context_set_option(context->engine, o, get_option(context->settings, o));
    if (status != CDC_STATUS_OK) throw_engine_error(status, context->engine);
  }
  const cdc_status status =
      e.cdc_context_set_progress(context->engine, context->progress, context->progress_user);
  if (status != CDC_STATUS_OK) throw_engine_error(status, context->engine);
  return context->engine;
}

}  // namespace cdc::front

using cdc::front::engine;
using cdc::front::loaded_engine;

// Forwards a call that returns a status: CDC_STATUS_INTERNAL_ERROR when the
// engine cannot be loaded.
#define CDC_FORWARD_STATUS(name, ...)                   \
  do {                                                  \
    const CdcEngineTable* e = engine();                 \
    if (e == nullptr) return CDC_STATUS_INTERNAL_ERROR; \
    return cdc::front::engine_failed(e->name(__VA_ARGS__)); \
  } while (0)

extern "C" {

const char* cdc_last_error(void) {
  const CdcEngineTable* e = loaded_engine();
  if (e == nullptr || cdc::front::t_front_failed) return cdc::front::t_error.c_str();
  return e->cdc_last_error();
}

cdc_status cdc_convert_checkpoint(const char* checkpoint_path, const char* output_path,
                                  const cdc_convert_options* options) {
  CDC_FORWARD_STATUS(cdc_convert_checkpoint, checkpoint_path, output_path, options);
}

// Streams come from malloc, in the front and in the engine alike.
void cdc_buffer_free(void* buffer) { std::free(buffer); }

}  // extern "C"
