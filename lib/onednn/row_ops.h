// Row-wise kernels over NHWC activations (a row is one pixel's channels):
// the channel LayerNorm with its fused epilogue, and channel concatenation.
// Loops are split by parallel_chunks, so results do not depend on the thread
// count; the vector width is chosen at run time (AVX-512, AVX2 or baseline).
#pragma once

#include "onednn/runtime.h"

namespace cdc::onednn {

// What follows the norm, in this order, fused into its one pass.
struct NormEpilogue {
  bool relu = false;
  // Added to every row of image i: add_per_image[i * c + j] (the U-Net's
  // time embedding); null for none.
  const float* add_per_image = nullptr;
  // Added elementwise (a residual), same shape as the output; null for none.
  const float* residual = nullptr;
};

// y = LN(x) * g + b over the channels of each row (biased variance, eps),
// then the epilogue. y may be x (in place).
void layer_norm(const Activation& x, const Activation& y, const float* g, const float* b,
                float eps, const NormEpilogue& epilogue = {});

// The channels of a followed by those of b (same n, h, w).
Activation concat_channels(const Activation& a, const Activation& b, BufferPool& pool);

// Adds b to a elementwise (same shape), in place.
void add_in_place(const Activation& a, const Activation& b);

}  // namespace cdc::onednn
