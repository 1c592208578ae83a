// The model files embedded into the library at build time (models/builtin.cmake
// lists them; the first one is the default model).
#pragma once

#include <cstddef>

namespace cdc {

struct BuiltinModelBlob {
  const char* name;            // e.g. "default-mid"
  const unsigned char* data;   // the bytes of the model file
  size_t size;
};

// The embedded model files, default first; *count receives their number.
const BuiltinModelBlob* builtin_model_blobs(size_t* count);

}  // namespace cdc
