// Whole-file reading and atomic file writing, for model files, checkpoints and
// the trainer's outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cdc {

// Writes bytes to path atomically: a temporary file in the same folder,
// fsync, rename. Throws cdc::Error(CDC_STATUS_IO_ERROR).
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

// Reads a whole regular file. Throws cdc::Error(CDC_STATUS_IO_ERROR).
std::vector<uint8_t> read_whole_file(const std::string& path);

}  // namespace cdc
