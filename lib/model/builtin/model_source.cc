#include <sys/stat.h>

#include <cstring>

#include "common/error.h"
#include "model/builtin/builtin_models.h"

namespace cdc {

const BuiltinModelBlob* find_builtin_model(const std::string& name) {
  size_t count = 0;
  const BuiltinModelBlob* blobs = builtin_model_blobs(&count);
  for (size_t i = 0; i < count; ++i)
    if (name == blobs[i].name) return &blobs[i];
  return nullptr;
}

ModelSource resolve_model_name(const std::string& name_or_path) {
  ModelSource source;
  if (name_or_path.empty()) {
    size_t count = 0;
    source.builtin = builtin_model_blobs(&count);
    if (count == 0)
      fail(CDC_STATUS_NOT_FOUND,
           "this build of libcdc has no built-in model; name a model file instead");
    return source;
  }
  source.builtin = find_builtin_model(name_or_path);
  if (source.builtin != nullptr) return source;
  // A bare name that is no file: the user meant a built-in model. Anything
  // that looks like a path goes to the file loader (which reports IO_ERROR).
  struct stat st;
  const bool bare = name_or_path.find_first_of("/.") == std::string::npos;
  if (bare && ::stat(name_or_path.c_str(), &st) != 0)
    fail(CDC_STATUS_NOT_FOUND,
         "'{}': no such file and no built-in model of that name (see `cdc models`)",
         name_or_path);
  source.path = name_or_path;
  return source;
}

}  // namespace cdc
