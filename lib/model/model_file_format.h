// Constants and helpers of the model file format (docs/model-format.md)
// shared by its writer (model_file.cc) and its reader (model_file_reader.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "cdc.h"

namespace cdc::model_file {

inline constexpr char kMagic[8] = {'C', 'D', 'C', 'M', 'O', 'D', 'E', 'L'};
inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kEntrySize = 32;
inline constexpr size_t kAlign = 64;
inline constexpr uint32_t kMaxSections = 64;
inline constexpr uint32_t kMaxTensors = 1u << 20;
inline constexpr uint32_t kMaxNameLength = 4096;
inline constexpr uint32_t kMaxDims = 8;

enum SectionType : uint32_t {
  kSectionConfig = 1,
  kSectionName = 2,
  kSectionTensors = 3,
  kSectionEntropy = 4,
};

inline constexpr uint32_t kDtypeFloat32 = 1;
// IEEE binary16 (version 2 files only).
inline constexpr uint32_t kDtypeFloat16 = 2;
// The first format version with float16 tensors; files without any are
// written as version 1, so that older libraries read them.
inline constexpr uint32_t kFirstVersionWithFloat16 = 2;

inline constexpr cdc_status kInvalid = CDC_STATUS_INVALID_MODEL;


// The id: XXH3-128 over (type, size, bytes) of the config, tensor and entropy
// sections in this order; the name is not part of the model's identity.
std::array<uint8_t, 16> compute_id(
    const std::vector<std::pair<uint32_t, std::pair<const uint8_t*, size_t>>>& parts);

bool host_is_little_endian();

}  // namespace cdc::model_file
