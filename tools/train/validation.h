// Validation of a training run with the real codec: the exported model file is
// loaded like any model, each held-out photo is encoded to a .cdc stream and
// decoded, and the rate is the stream's size (header included).
#pragma once

#include <cstdint>
#include <vector>

#include "train/photo_set.h"

namespace cdc::train {

struct ValidationResult {
  int photos = 0;
  double bpp = 0;          // mean over photos of stream bits / pixels
  double psnr = 0;         // mean over photos of the 8-bit RGB PSNR (dB)
  double encode_s = 0;     // total seconds
  double decode_s = 0;
};

// Centre crops of at most max_side of the first `count` photos, decoded with
// `steps` deterministic steps (0: the model's default) on `threads` threads (0: all cores).
ValidationResult validate_model_file(const std::vector<uint8_t>& model_file, const PhotoSet& photos,
                                     int count, int max_side, int steps, int threads);

}  // namespace cdc::train
