// Conversions between interleaved 8-bit pixels and the model's tensors, and
// the padding rule: images are padded on the right and bottom to a multiple
// of the model's size multiple by repeating the last column and row
// (docs/format.md, "Padding").
#pragma once

#include <torch/torch.h>

#include "image/pixel_rows.h"

#include <cstdint>
#include <vector>

#include "image/image_view.h"

namespace cdc {

// The padded size of n for a multiple m (n >= 1, m >= 1).
uint32_t padded_size(uint32_t n, uint32_t multiple);

// Interleaved pixels -> 1x3xHxW float32 in [-1, 1], x = 2 * p / 255 - 1.
// Gray is replicated to three channels; alpha is ignored.
torch::Tensor image_to_tensor(const ImageView& image);

// The rectangle [top, top + height) x [left, left + width) of the image padded
// by edge replication (coordinates past the image repeat its last row or
// column) as 1x3xheightxwidth float32, like image_to_tensor. The whole padded
// image equals pad_to(image_to_tensor(image), ...).
torch::Tensor image_region_to_tensor(const ImageView& image, int64_t top, int64_t left,
                                     int64_t height, int64_t width);
// Pads 1xCxHxW on the right/bottom to (height, width) by edge replication.
torch::Tensor pad_to(const torch::Tensor& x, int64_t height, int64_t width);

// 1x3xHxW in [-1, 1] (at least out's size; the top-left part is used) ->
// interleaved pixels of out's format: clamp, map to [0, 255], round half
// away from zero. Gray output is the BT.601 luma of the RGB result; alpha,
// if wanted, is set to 255 (the caller overwrites it when the stream has one).
void tensor_to_image(const torch::Tensor& x, const MutableImageView& out);
// The same for a band of rows: x (1x3xhxW', W' >= out.width) holds image rows
// [top, top + h); those inside out are written.
void tensor_to_image_rows(const torch::Tensor& x, const MutableImageView& out, int64_t top);


}  // namespace cdc
