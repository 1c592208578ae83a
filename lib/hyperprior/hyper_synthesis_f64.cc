#include "hyperprior/hyper_synthesis_f64.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "entropy/cdf.h"
#include "onednn/runtime.h"

namespace cdc {

namespace {

// The grid of the output (2^-16), as Model::hyper_synthesis rounds it.
constexpr double kGrid = 65536.0;

// acc[o] += sum_i x[i] * w[i][o] (w: in x out, rows of out), vectorized
// along o: each output's sum runs over i in order.
CDC_VECTOR_CLONES
void accumulate(const double* x, const double* w, int64_t in, int64_t out, double* acc) {
  for (int64_t i = 0; i < in; ++i) {
    const double v = x[i];
    const double* row = w + i * out;
    for (int64_t o = 0; o < out; ++o) acc[o] += v * row[o];
  }
}

// The input index that output index `o` reads through tap `t` along one axis
// of `size` inputs, or -1 when there is none: o + t - 1 for the 3x3
// convolution (padding 1); for the 5x5 transposed one (stride 2, padding 2),
// out[o] takes in[i] * w[t] where o = 2 i - 2 + t.
int64_t input_index(int64_t o, int64_t t, bool transposed, int64_t size) {
  int64_t i;
  if (transposed) {
    const int64_t twice = o + 2 - t;
    if (twice < 0 || twice % 2) return -1;
    i = twice / 2;
  } else {
    i = o + t - 1;
  }
  return i < size ? i : -1;
}

}  // namespace

HyperSynthesisF64::HyperSynthesisF64(const onednn::ParamMap& p) {
  for (size_t i = 0;; ++i) {
    const std::string prefix = std::to_string(i) + ".0.";
    if (!p.count(prefix + "weight")) break;
    const FloatTensor& w = onednn::named_param(p, prefix + "weight");
    const FloatTensor& b = onednn::named_param(p, prefix + "bias");
    Layer layer;
    // Every layer but the last is a transposed convolution.
    layer.transposed = p.count(std::to_string(i + 1) + ".0.weight") > 0;
    if (w.dim() != 4 || w.size(2) != w.size(3))
      fail(CDC_STATUS_INVALID_MODEL, "hyper synthesis: bad weight shape of layer {}", i);
    layer.in = layer.transposed ? w.size(0) : w.size(1);
    layer.out = layer.transposed ? w.size(1) : w.size(0);
    layer.kernel = w.size(2);
    if (layer.transposed ? layer.kernel != 5 : layer.kernel != 3)
      fail(CDC_STATUS_INVALID_MODEL, "hyper synthesis: bad kernel size of layer {}", i);
    if (b.numel() != layer.out ||
        (!layers_.empty() && layers_.back().out != layer.in))
      fail(CDC_STATUS_INVALID_MODEL, "hyper synthesis: inconsistent layer {}", i);
    const int64_t k = layer.kernel;
    layer.weight.resize(static_cast<size_t>(k * k * layer.in * layer.out));
    for (int64_t ky = 0; ky < k; ++ky)
      for (int64_t kx = 0; kx < k; ++kx)
        for (int64_t ci = 0; ci < layer.in; ++ci)
          for (int64_t co = 0; co < layer.out; ++co) {
            const int64_t src = layer.transposed ? ((ci * layer.out + co) * k + ky) * k + kx
                                                 : ((co * layer.in + ci) * k + ky) * k + kx;
            layer.weight[static_cast<size_t>(((ky * k + kx) * layer.in + ci) * layer.out + co)] =
                static_cast<double>(w.data()[src]);
          }
    layer.bias.assign(b.data(), b.data() + layer.out);
    layers_.push_back(std::move(layer));
  }
  if (layers_.empty() || layers_.back().transposed || layers_.back().out % 2 != 0)
    fail(CDC_STATUS_INVALID_MODEL, "hyper synthesis: bad layer structure");
}

void HyperSynthesisF64::forward(const float* z_hat, int64_t h, int64_t w, std::vector<float>* mean,
                                std::vector<float>* scale) const {
  // Activations in HWC order (rows of channels).
  std::vector<double> x(static_cast<size_t>(h * w * in_channels()));
  for (int64_t c = 0; c < in_channels(); ++c)
    for (int64_t i = 0; i < h * w; ++i)
      x[static_cast<size_t>(i * in_channels() + c)] = static_cast<double>(z_hat[c * h * w + i]);
  for (size_t li = 0; li < layers_.size(); ++li) {
    const Layer& L = layers_[li];
    const bool last = li + 1 == layers_.size();
    const int64_t k = L.kernel;
    // Transposed: stride 2, padding 2, output padding 1 -> 2h x 2w. Last:
    // stride 1, padding 1.
    const int64_t oh = L.transposed ? 2 * h : h, ow = L.transposed ? 2 * w : w;
    std::vector<double> y(static_cast<size_t>(oh * ow * L.out));
    // Row by row: each weight row (one tap, one input channel) is applied
    // to every pixel of the output row before the next, so that the weights
    // stream from memory once per row rather than once per pixel. Every
    // output's sum still runs over (ky, kx, input channel) in that order.
    onednn::parallel_chunks(oh, 1, [&](int64_t, int64_t begin, int64_t end) {
      for (int64_t oy = begin; oy < end; ++oy) {
        double* row = y.data() + oy * ow * L.out;
        for (int64_t ox = 0; ox < ow; ++ox)
          std::copy(L.bias.begin(), L.bias.end(), row + ox * L.out);
        for (int64_t ky = 0; ky < k; ++ky) {
          const int64_t iy = input_index(oy, ky, L.transposed, h);
          if (iy < 0) continue;
          for (int64_t kx = 0; kx < k; ++kx) {
            const double* wk = L.weight.data() + (ky * k + kx) * L.in * L.out;
            for (int64_t ox = 0; ox < ow; ++ox) {
              const int64_t ix = input_index(ox, kx, L.transposed, w);
              if (ix < 0) continue;
              accumulate(x.data() + (iy * w + ix) * L.in, wk, L.in, L.out, row + ox * L.out);
            }
          }
        }
        if (!last)
          for (int64_t i = 0; i < ow * L.out; ++i)
            if (row[i] < 0) row[i] *= 0.2;  // LeakyReLU(0.2)
      }
    });
    x.swap(y);
    h = oh;
    w = ow;
  }
  const int64_t half = out_channels() / 2, plane = h * w;
  mean->assign(static_cast<size_t>(half * plane), 0.0f);
  scale->assign(static_cast<size_t>(half * plane), 0.0f);
  const float floor = static_cast<float>(entropy::kScaleMin);
  for (int64_t i = 0; i < plane; ++i)
    for (int64_t c = 0; c < out_channels(); ++c) {
      const float v = static_cast<float>(std::nearbyint(x[static_cast<size_t>(i * out_channels() + c)] * kGrid) / kGrid);
      if (c < half)
        (*mean)[static_cast<size_t>(c * plane + i)] = v;
      else
        (*scale)[static_cast<size_t>((c - half) * plane + i)] = std::max(v, floor);
    }
}

}  // namespace cdc
