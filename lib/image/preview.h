// Previews for progress callbacks: the current x0 prediction as 8-bit RGB.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "image/pixel_rows.h"

namespace cdc {


// Renders x (1x3xHxW in [-1, 1]) into storage as interleaved RGB; the result
// points into storage.
PreviewImage render_preview(const torch::Tensor& x, std::vector<uint8_t>* storage);

}  // namespace cdc
