// IEEE 754 binary16 ("half") conversions for model files that store weights
// in 16 bits (docs/model-format.md, dtype 2). Widening is exact; narrowing
// rounds to nearest, ties to even, like every IEEE conversion.
#pragma once

#include <cstdint>

namespace cdc {

// The float32 value of a binary16 bit pattern (subnormals, infinities and
// NaNs included).
float half_to_float(uint16_t h);

// The binary16 bit pattern nearest to f (ties to even); values beyond the
// largest finite half (65504) become infinities, NaN stays NaN.
uint16_t float_to_half(float f);

}  // namespace cdc
