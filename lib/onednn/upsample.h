// The U-Net's upsampling, a 4x4 transposed convolution of stride 2 and
// padding 1, computed as four 2x2 convolutions (one per output pixel parity)
// whose results are interleaved. oneDNN's own transposed convolution runs
// about 5x below its convolutions on these shapes; this form does only the
// useful multiply-adds, all on the fast convolution path.
//
// Output pixel (2p + a, 2q + b) takes input rows {p - 1, p} (a = 0: taps 3, 1)
// or {p, p + 1} (a = 1: taps 2, 0), and the same for columns.
#pragma once

#include <memory>

#include "onednn/convolution.h"

namespace cdc::onednn {

class Upsample2x {
 public:
  // weight: I x O x 4 x 4 (torch's ConvTranspose2d layout); bias: O.
  Upsample2x(const FloatTensor& weight, const FloatTensor& bias);
  Activation operator()(const Activation& src, BufferPool& pool) const;
  // Jobs that create the plans of operator() for an n x h x w source.
  void plan_jobs(int64_t n, int64_t h, int64_t w, PlanJobs& jobs) const;

 private:
  std::unique_ptr<Convolution> parity_[2][2];  // [row parity][column parity]
};

}  // namespace cdc::onednn
