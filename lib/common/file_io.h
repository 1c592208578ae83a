// Whole-file reading and atomic file writing, for model files, checkpoints and
// the trainer's outputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cdc {

// Writes bytes to path atomically: an exclusively created temporary file of
// unpredictable name in the same folder (mkstemp), fsync, rename. An existing
// file at path keeps its permissions (new files get 0666 & ~umask); a symlink
// at path is replaced, never written through; a folder at path is refused.
// On failure nothing at path changes. Throws cdc::Error(CDC_STATUS_IO_ERROR).
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

// The default cap of read_whole_file: larger than any model file or checkpoint
// libcdc accepts (the paper model is about 220 MB).
inline constexpr uint64_t kMaxInputFileBytes = uint64_t{4} << 30;

// Reads a whole regular file of at most max_bytes (checked before reading).
// Throws cdc::Error: IO_ERROR (missing, not a regular file, read error),
// LIMIT_EXCEEDED (larger than max_bytes).
std::vector<uint8_t> read_whole_file(const std::string& path,
                                     uint64_t max_bytes = kMaxInputFileBytes);

// The same into a 64-byte aligned buffer on huge pages (make_large_buffer in
// common/memory.h); *size receives the file's size.
std::shared_ptr<uint8_t> read_whole_file_large(const std::string& path, size_t* size,
                                               uint64_t max_bytes = kMaxInputFileBytes);

}  // namespace cdc
