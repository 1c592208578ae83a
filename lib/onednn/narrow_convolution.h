// A convolution with few output channels (the U-Net's last layer: 64 -> 3,
// 7x7), where oneDNN's direct convolution runs at a fraction of its speed
// (its vector registers are filled along the output channels). Computed as a
// 1x1 convolution to O*K*K channels (one per output channel and tap: a large
// matrix product at full speed), then, per output pixel, the sum over the K*K
// taps of the shifted pixels, in a fixed order. Bands of rows bound the
// memory of the tap channels.
#pragma once

#include <memory>

#include "onednn/convolution.h"

namespace cdc::onednn {

class NarrowConvolution {
 public:
  // weight: O x I x K x K (K odd, same padding K / 2, stride 1); bias: O.
  NarrowConvolution(const FloatTensor& weight, const FloatTensor& bias);
  // dst must be n x h x w x O (it may wrap caller memory).
  void run(const Activation& src, const Activation& dst, BufferPool& pool) const;

 private:
  int64_t out_, kernel_;
  FloatTensor bias_;
  std::unique_ptr<Convolution> taps_;
};

}  // namespace cdc::onednn
