#include "onednn/upsample.h"

#include <cstring>
#include <utility>
#include <vector>

#include "common/error.h"

namespace cdc::onednn {

Upsample2x::Upsample2x(const FloatTensor& weight, const FloatTensor& bias) {
  if (weight.dim() != 4 || weight.size(2) != 4 || weight.size(3) != 4)
    fail(CDC_STATUS_INTERNAL_ERROR, "onednn::Upsample2x: expected a 4x4 transposed kernel");
  const int64_t in = weight.size(0), out = weight.size(1);
  // The taps of each parity, in the order of the 2x2 kernel's positions.
  const int64_t taps[2][2] = {{3, 1}, {2, 0}};
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      // O x I x 2 x 2 from the I x O x 4 x 4 transposed kernel.
      std::vector<float> w(static_cast<size_t>(out * in * 4));
      for (int64_t o = 0; o < out; ++o)
        for (int64_t i = 0; i < in; ++i)
          for (int r = 0; r < 2; ++r)
            for (int s = 0; s < 2; ++s)
              w[((o * in + i) * 2 + r) * 2 + s] =
                  weight.data()[((i * out + o) * 4 + taps[a][r]) * 4 + taps[b][s]];
      const FloatTensor parity_weight = FloatTensor::from_values({out, in, 2, 2}, std::move(w));
      // a = 0 reads rows p - 1, p: one row of padding on top; a = 1 reads
      // p, p + 1: one at the bottom. Likewise for columns.
      const std::array<int64_t, 4> pad{a == 0 ? 1 : 0, b == 0 ? 1 : 0, a == 0 ? 0 : 1,
                                       b == 0 ? 0 : 1};
      parity_[a][b] = std::make_unique<Convolution>(parity_weight, bias, 1, pad);
    }
}

Activation Upsample2x::operator()(const Activation& src, BufferPool& pool) const {
  const int64_t c = parity_[0][0]->out_channels();
  Activation dst = Activation::make(pool, src.n, 2 * src.h, 2 * src.w, c);
  // Both column parities of a row parity, then one pass that writes each of
  // its output rows whole and in order (pixel 2q from the first, 2q + 1 from
  // the second): a pass per parity, writing every other pixel, was slower
  // than the convolutions themselves on narrow layers.
  Activation part[2] = {Activation::make(pool, src.n, src.h, src.w, c),
                        Activation::make(pool, src.n, src.h, src.w, c)};
  const size_t pixel = sizeof(float) * static_cast<size_t>(c);
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) parity_[a][b]->run(src, part[b], pool);
    ProfileScope profile("interleave", part[0]);
    // Row r = (image, p) of the input grid becomes output row 2p + a.
    parallel_chunks(src.n * src.h, 8, [&](int64_t, int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t image = r / src.h, p = r % src.h;
        const float* even = part[0].data() + r * src.w * c;
        const float* odd = part[1].data() + r * src.w * c;
        float* out = dst.data() + (image * dst.h + 2 * p + a) * dst.w * c;
        for (int64_t q = 0; q < src.w; ++q) {
          std::memcpy(out, even + q * c, pixel);
          std::memcpy(out + c, odd + q * c, pixel);
          out += 2 * c;
        }
      }
    });
  }
  return dst;
}

void Upsample2x::plan_jobs(int64_t n, int64_t h, int64_t w, PlanJobs& jobs) const {
  for (const auto& row : parity_)
    for (const auto& conv : row) {
      const Convolution* c = conv.get();
      jobs.push_back([=] { c->prepare(n, h, w); });
    }
}

}  // namespace cdc::onednn
