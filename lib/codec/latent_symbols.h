// The integers that are entropy coded, and the tensors rebuilt from them.
// Hyper-latent: round(z - median[c]); latent: round(y - mean). Scale indices
// come from the deterministic scales of the hyper synthesis.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "model/model.h"

namespace cdc {

// round(z - medians) as int32, channel-major; throws LIMIT_EXCEEDED when a
// value does not fit in int32 (only a broken model can produce that).
std::vector<int32_t> quantize_around(const torch::Tensor& value, const torch::Tensor& center);

// symbols + center, as a float32 tensor of center's (broadcast) shape.
torch::Tensor dequantize_around(const std::vector<int32_t>& symbols, const torch::Tensor& center,
                                at::IntArrayRef shape);

// The Gaussian table index of every element of scale (channel-major).
std::vector<int32_t> scale_indices(const Model& model, const torch::Tensor& scale);

}  // namespace cdc
