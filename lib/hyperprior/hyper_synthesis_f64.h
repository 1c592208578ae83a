// The hyper synthesis (context_fn.hyper_dec: z_hat -> mean, scale of y) as
// the codec runs it: in float64, each output rounded to the grid of 2^-16 and
// then to float32, so that the entropy coder's inputs come out the same
// whatever the thread count, and the same as the libtorch side's
// HyperSynthesisImpl::forward_double up to that rounding. No libtorch.
#pragma once

#include <cstdint>
#include <vector>

#include "onednn/resnet_block.h"

namespace cdc {

class HyperSynthesisF64 {
 public:
  // params: "<i>.0.weight" / "<i>.0.bias" of every layer (the transposed 5x5
  // convolutions, I x O x 5 x 5, then the 3x3 convolution O x I x 3 x 3).
  explicit HyperSynthesisF64(const onednn::ParamMap& params);

  int64_t in_channels() const { return layers_.front().in; }
  // mean and scale have out_channels() / 2 channels each.
  int64_t out_channels() const { return layers_.back().out; }
  // The output is 2^(layers - 1) times the input's height and width.
  int64_t upscale() const { return int64_t{1} << (layers_.size() - 1); }

  // z_hat: in_channels() x h x w (planar, C-major). Writes the planar mean
  // and scale (clamped at entropy::kScaleMin), each C/2 x (h * upscale()) x
  // (w * upscale()).
  void forward(const float* z_hat, int64_t h, int64_t w, std::vector<float>* mean,
               std::vector<float>* scale) const;

 private:
  struct Layer {
    bool transposed = false;
    int64_t in = 0, out = 0, kernel = 0;
    std::vector<double> weight;  // [ky][kx][in][out]
    std::vector<double> bias;    // [out]
  };
  std::vector<Layer> layers_;
};

}  // namespace cdc
