// The model files embedded into the library at build time (models/builtin.cmake
// lists them; the first one is the default model).
#pragma once

#include <cstddef>
#include <string>

namespace cdc {

struct BuiltinModelBlob {
  const char* name;            // e.g. "default-mid"
  const unsigned char* data;   // the bytes of the model file
  size_t size;
};

// The embedded model files, default first; *count receives their number.
const BuiltinModelBlob* builtin_model_blobs(size_t* count);

// The quality ladder: names of built-in models in increasing rate
// (models/builtin.cmake, CDC_BUILTIN_LADDER); *count receives their number.
const char* const* builtin_quality_ladder(size_t* count);

// The built-in model of that name, or nullptr.
const BuiltinModelBlob* find_builtin_model(const std::string& name);

// What a user's model name refers to: a built-in model (builtin set) or a
// model file (path set).
struct ModelSource {
  const BuiltinModelBlob* builtin = nullptr;
  std::string path;
};

// The one resolver of "a built-in model name or a model file": "" names the
// default built-in model; a built-in model's name wins over a file of the same
// name; anything else is a file path. Throws cdc::Error(CDC_STATUS_NOT_FOUND)
// for a bare name (no '/', no '.') that is neither; a missing path is left to
// the file loader (IO_ERROR). Used by cdc_model_load (and so
// by the cdc tool and pycdc) and by cdc-train's --init.
ModelSource resolve_model_name(const std::string& name_or_path);

}  // namespace cdc
