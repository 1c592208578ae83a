// The table of functions through which libcdc.so calls its engine.
//
// Why two libraries: libtorch's load-time initialization costs about a second,
// and a program that links libcdc.so should not pay it to decode an image or
// to ask for a version. So libcdc.so (the "front", lib/api/front/) links no
// libtorch: it holds the inference core (cdc_core: models, stream queries,
// decoding on oneDNN) and the built-in models, and forwards only what needs
// libtorch through this table to libcdc-engine.so.<ABI> (lib/api/*.cc over
// cdc_internal and libtorch), which it loads with dlopen on the first such
// call: encoding, checkpoint conversion, and the decodes the core does not
// cover (CUDA, bfloat16, stochastic decoding, CDC_ONEDNN=0).
//
// The engine exports one symbol, cdc_engine_table; its cdc_* functions stay
// local to it, so the two libraries never clash. Front and engine are built
// and installed together: a table of another version or library version is a
// broken installation, refused by the front.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cdc.h"

// Bumped on any change of the table below.
#define CDC_ENGINE_TABLE_VERSION 3u

// The public functions that the front forwards to the engine, in table order.
// The front passes the engine's own handles: a model made from the front
// model's file bytes, a context given the front context's options.
#define CDC_ENGINE_FUNCTIONS(X) \
  X(cdc_last_error)             \
  X(cdc_model_load_memory)      \
  X(cdc_model_free)             \
  X(cdc_convert_checkpoint)     \
  X(cdc_context_create)         \
  X(cdc_context_free)           \
  X(cdc_context_last_error)     \
  X(cdc_context_set_option)     \
  X(cdc_context_set_progress)   \
  X(cdc_encode_with_metadata)   \
  X(cdc_decode)

struct CdcEngineTable {
  uint32_t table_version;       // CDC_ENGINE_TABLE_VERSION of the engine
  size_t size;                  // sizeof(CdcEngineTable) of the engine
  const char* library_version;  // CDC_VERSION_STRING of the engine
#define CDC_ENGINE_MEMBER(name) decltype(&::name) name;
  CDC_ENGINE_FUNCTIONS(CDC_ENGINE_MEMBER)
#undef CDC_ENGINE_MEMBER
};

// The engine's one exported symbol (cmake/cdc_engine.map).
#define CDC_ENGINE_TABLE_SYMBOL "cdc_engine_table"
extern "C" {
typedef const CdcEngineTable* (*cdc_engine_table_fn)(void);
}
