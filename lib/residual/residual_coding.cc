#include "residual/residual_coding.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "common/error.h"
#include "residual/binary_coder.h"

namespace cdc::residual {
namespace {

constexpr int kN = 8;             // block side
constexpr int kCoefficients = 64;
constexpr int kKinds = 2;         // luma (or gray), chroma
constexpr int kBands = 10;        // row + column of a coefficient, capped
constexpr int kNeighbourClasses = 5;
constexpr int kCountClasses = 4;
constexpr int kActivityClasses = 5;
constexpr int kMaxPrefix = 24;    // Exp-Golomb prefix bits of a magnitude remainder
// Quantization: |c| / step rounded with this offset (a dead zone: values a
// little above a half step go to zero, which costs less than they give).
constexpr float kRoundingOffset = 0.38f;

struct Tables {
  std::array<uint8_t, kCoefficients> zigzag{};  // zigzag position -> raster index
  std::array<uint8_t, kCoefficients> band{};    // zigzag position -> band
  float dct[kN][kN]{};                          // dct[k][i]: basis k at sample i
  Tables() {
    int n = 0;
    for (int s = 0; s < 2 * kN - 1; ++s) {
      // Odd anti-diagonals run down-left, even ones up-right (JPEG's order).
      for (int t = 0; t <= s; ++t) {
        const int row = (s % 2 == 1) ? t : s - t;
        const int col = s - row;
        if (row >= kN || col >= kN) continue;
        zigzag[n] = static_cast<uint8_t>(row * kN + col);
        band[n] = static_cast<uint8_t>(std::min(row + col, kBands - 1));
        ++n;
      }
    }
    const double pi = std::acos(-1.0);
    for (int k = 0; k < kN; ++k)
      for (int i = 0; i < kN; ++i)
        dct[k][i] = static_cast<float>(std::sqrt((k == 0 ? 1.0 : 2.0) / kN) *
                                       std::cos((2 * i + 1) * k * pi / (2 * kN)));
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// The adaptive contexts of one image's code.
struct Contexts {
  std::vector<BitContext> coded, significant, last, greater1, greater2, prefix;
  Contexts()
      : coded(kKinds * 3),
        significant(kKinds * kCoefficients * kNeighbourClasses * kCountClasses * kActivityClasses),
        last(kKinds * kCoefficients * kCountClasses),
        greater1(kKinds * kBands * kNeighbourClasses),
        greater2(kKinds * kBands * kNeighbourClasses),
        prefix(kKinds * (kMaxPrefix + 1)) {}
};

// What the contexts of a block read from its coded neighbours (left and
// above, zero outside the image).
struct Neighbours {
  const int32_t* left = nullptr;   // 64 quantized coefficients (zigzag) or null
  const int32_t* above = nullptr;
  bool left_coded = false, above_coded = false;
  int activity = 0;  // class of the number of nonzero coefficients in both
};

int nonzeros(const int32_t* q) {
  if (q == nullptr) return 0;
  int n = 0;
  for (int i = 0; i < kCoefficients; ++i) n += q[i] != 0;
  return n;
}

Neighbours neighbours_of(const int32_t* left, const int32_t* above) {
  Neighbours n;
  n.left = left;
  n.above = above;
  const int nl = nonzeros(left), na = nonzeros(above);
  n.left_coded = nl > 0;
  n.above_coded = na > 0;
  n.activity = std::min(nl + na, 12) / 3;
  return n;
}

int neighbour_class(const Neighbours& n, int pos) {
  const int v = (n.left ? std::abs(n.left[pos]) : 0) + (n.above ? std::abs(n.above[pos]) : 0);
  return std::min(v, kNeighbourClasses - 1);
}

size_t significant_index(int kind, int pos, int neighbour, int count, int activity) {
  return (((static_cast<size_t>(kind) * kCoefficients + pos) * kNeighbourClasses + neighbour) *
              kCountClasses + std::min(count, kCountClasses - 1)) * kActivityClasses + activity;
}

size_t magnitude_index(int kind, int pos, int neighbour) {
  return (static_cast<size_t>(kind) * kBands + tables().band[pos]) * kNeighbourClasses + neighbour;
}

void encode_block(RangeEncoder& rc, Contexts& cx, int kind, const int32_t* q,
                  const Neighbours& n) {
  int last = -1;
  for (int i = 0; i < kCoefficients; ++i)
    if (q[i] != 0) last = i;
  rc.encode(cx.coded[kind * 3 + n.left_coded + n.above_coded], last >= 0);
  if (last < 0) return;
  int count = 0;
  for (int pos = 0; pos <= last; ++pos) {
    const int nb = neighbour_class(n, pos);
    const int32_t v = q[pos];
    // The last position of a coded block with nothing before it must be nonzero.
    if (!(pos == kCoefficients - 1 && count == 0))
      rc.encode(cx.significant[significant_index(kind, pos, nb, count, n.activity)], v != 0);
    if (v == 0) continue;
    const uint32_t a = static_cast<uint32_t>(std::abs(v));
    const size_t m = magnitude_index(kind, pos, nb);
    rc.encode(cx.greater1[m], a > 1);
    if (a > 1) {
      rc.encode(cx.greater2[m], a > 2);
      if (a > 2) {
        // Exp-Golomb of a - 3: the prefix adaptive, the suffix bypass.
        const uint32_t r = a - 3 + 1;
        int bits = 0;
        while ((r >> (bits + 1)) != 0) ++bits;
        for (int b = 0; b < bits; ++b) rc.encode(cx.prefix[kind * (kMaxPrefix + 1) + b], 1);
        rc.encode(cx.prefix[kind * (kMaxPrefix + 1) + bits], 0);
        for (int b = bits - 1; b >= 0; --b) rc.encode_bypass((r >> b) & 1);
      }
    }
    rc.encode_bypass(v < 0);
    if (pos < kCoefficients - 1)
      rc.encode(cx.last[(static_cast<size_t>(kind) * kCoefficients + pos) * kCountClasses +
                        std::min(count, kCountClasses - 1)],
                pos == last);
    ++count;
  }
}

void decode_block(RangeDecoder& rc, Contexts& cx, int kind, int32_t* q, const Neighbours& n) {
  std::fill(q, q + kCoefficients, 0);
  if (!rc.decode(cx.coded[kind * 3 + n.left_coded + n.above_coded])) return;
  int count = 0;
  for (int pos = 0; pos < kCoefficients; ++pos) {
    const int nb = neighbour_class(n, pos);
    const bool nonzero =
        (pos == kCoefficients - 1 && count == 0) ||
        rc.decode(cx.significant[significant_index(kind, pos, nb, count, n.activity)]) != 0;
    if (!nonzero) continue;
    const size_t m = magnitude_index(kind, pos, nb);
    uint32_t a = 1;
    if (rc.decode(cx.greater1[m])) {
      a = 2;
      if (rc.decode(cx.greater2[m])) {
        int bits = 0;
        while (rc.decode(cx.prefix[kind * (kMaxPrefix + 1) + bits])) {
          if (++bits > kMaxPrefix - 1)
            fail(CDC_STATUS_CORRUPT_STREAM, "residual section: a magnitude is too large");
        }
        uint32_t r = 1;
        for (int b = 0; b < bits; ++b) r = (r << 1) | static_cast<uint32_t>(rc.decode_bypass());
        a = r - 1 + 3;
      }
    }
    const bool negative = rc.decode_bypass() != 0;
    q[pos] = negative ? -static_cast<int32_t>(a) : static_cast<int32_t>(a);
    const bool is_last =
        pos == kCoefficients - 1 ||
        rc.decode(cx.last[(static_cast<size_t>(kind) * kCoefficients + pos) * kCountClasses +
                          std::min(count, kCountClasses - 1)]) != 0;
    ++count;
    if (is_last) return;
  }
}

// The separable 2-D DCT: out = A in A^T, with A the DCT-II matrix (forward)
// or its transpose (inverse).
void dct_2d(const float in[kN][kN], float out[kN][kN], bool inverse) {
  const Tables& t = tables();
  const auto a = [&](int r, int c) { return inverse ? t.dct[c][r] : t.dct[r][c]; };
  float tmp[kN][kN];
  for (int k = 0; k < kN; ++k)
    for (int j = 0; j < kN; ++j) {
      float s = 0;
      for (int i = 0; i < kN; ++i) s += a(k, i) * in[i][j];
      tmp[k][j] = s;
    }
  for (int k = 0; k < kN; ++k)
    for (int l = 0; l < kN; ++l) {
      float s = 0;
      for (int j = 0; j < kN; ++j) s += tmp[k][j] * a(l, j);
      out[k][l] = s;
    }
}

// Pixel -> planes (YCbCr for colour, the value for gray) and back.
void to_planes(const uint8_t* p, int channels, float* v) {
  if (channels == 1) {
    v[0] = p[0];
    return;
  }
  const float r = p[0], g = p[1], b = p[2];
  v[0] = 0.299f * r + 0.587f * g + 0.114f * b;
  v[1] = -0.168736f * r - 0.331264f * g + 0.5f * b;
  v[2] = 0.5f * r - 0.418688f * g - 0.081312f * b;
}

uint8_t to_level(float v) {
  return static_cast<uint8_t>(std::clamp(std::floor(v + 0.5f), 0.0f, 255.0f));
}

void from_planes(const float* v, int channels, uint8_t* p) {
  if (channels == 1) {
    p[0] = to_level(v[0]);
    return;
  }
  p[0] = to_level(v[0] + 1.402f * v[2]);
  p[1] = to_level(v[0] - 0.344136f * v[1] - 0.714136f * v[2]);
  p[2] = to_level(v[0] + 1.772f * v[1]);
}

// The per-plane coefficient rows of two block rows (the current one and the
// one above, for the contexts).
struct CoefficientRows {
  int planes;
  size_t blocks;
  std::vector<int32_t> current, above;
  bool has_above = false;
  CoefficientRows(int p, size_t b)
      : planes(p), blocks(b), current(static_cast<size_t>(p) * b * kCoefficients),
        above(current.size()) {}
  int32_t* block(int plane, size_t bx) {
    return current.data() + (static_cast<size_t>(plane) * blocks + bx) * kCoefficients;
  }
  Neighbours neighbours(int plane, size_t bx) {
    const int32_t* left = bx > 0 ? block(plane, bx - 1) : nullptr;
    const int32_t* up =
        has_above ? above.data() + (static_cast<size_t>(plane) * blocks + bx) * kCoefficients
                  : nullptr;
    return neighbours_of(left, up);
  }
  void next_row() {
    current.swap(above);
    has_above = true;
  }
};

void check_steps(const Steps& steps) {
  if (steps.luma == 0 || steps.chroma == 0)
    fail(CDC_STATUS_INVALID_ARGUMENT, "residual layer: a quantizer step of 0");
  if (steps.tilt > 1024)
    fail(CDC_STATUS_INVALID_ARGUMENT, "residual layer: a band tilt of {} (at most 1024)", steps.tilt);
}

// The steps of the 64 coefficients of a plane, in zigzag order.
std::array<float, kCoefficients> steps_of(const Steps& steps, int plane) {
  const float base = (plane == 0 ? steps.luma : steps.chroma) / 16.0f;
  const float tilt = steps.tilt / 1024.0f;
  std::array<float, kCoefficients> s{};
  for (int i = 0; i < kCoefficients; ++i)
    s[i] = base * std::max(1.0f / 16, 1.0f + tilt * (tables().band[i] - kTiltPivot));
  return s;
}

}  // namespace

int plane_count(int channels) { return channels == 1 ? 1 : 3; }

namespace {

// What the encoder and the decoder keep while they walk an image's block
// rows: one block row of the residual (plane by plane, padded to whole
// blocks), the quantized coefficients of it and of the row above, and the
// contexts.
struct BlockRows {
  int channels, planes;
  size_t blocks, padded;
  std::vector<float> rows;
  CoefficientRows coefficients;
  Contexts contexts;
  BlockRows(uint32_t width, int c)
      : channels(c), planes(plane_count(c)), blocks((width + kN - 1) / kN), padded(blocks * kN),
        rows(static_cast<size_t>(planes) * kN * padded), coefficients(planes, blocks) {}
  float& at(int plane, int r, size_t x) { return rows[(plane * kN + r) * padded + x]; }
};

}  // namespace

std::vector<uint8_t> encode_residual(const ImageView& source, const ImageView& base,
                                     const Steps& steps) {
  check_steps(steps);
  CDC_CHECK(source.width == base.width && source.height == base.height &&
            source.channels == base.channels && source.width > 0 && source.height > 0);
  const Tables& t = tables();
  BlockRows w(source.width, source.channels);
  const int channels = w.channels, planes = w.planes;
  const size_t blocks = w.blocks, padded = w.padded;
  RangeEncoder rc;
  float s[3], b[3];
  for (uint32_t top = 0; top < source.height; top += kN) {
    for (int r = 0; r < kN; ++r) {
      const uint32_t y = std::min<uint32_t>(top + r, source.height - 1);
      const uint8_t* sp = source.pixels + y * source.stride;
      const uint8_t* bp = base.pixels + y * base.stride;
      for (size_t x = 0; x < padded; ++x) {
        const size_t xc = std::min<size_t>(x, source.width - 1) * channels;
        to_planes(sp + xc, channels, s);
        to_planes(bp + xc, channels, b);
        // Edge-replicated to the padded width and height.
        for (int c = 0; c < planes; ++c) w.at(c, r, x) = s[c] - b[c];
      }
    }
    for (int c = 0; c < planes; ++c) {
      const std::array<float, kCoefficients> step = steps_of(steps, c);
      for (size_t bx = 0; bx < blocks; ++bx) {
        float in[kN][kN], out[kN][kN];
        for (int i = 0; i < kN; ++i)
          for (int j = 0; j < kN; ++j) in[i][j] = w.at(c, i, bx * kN + j);
        dct_2d(in, out, /*inverse=*/false);
        int32_t* q = w.coefficients.block(c, bx);
        for (int i = 0; i < kCoefficients; ++i) {
          const float v = out[t.zigzag[i] / kN][t.zigzag[i] % kN] / step[i];
          const float m = std::floor(std::fabs(v) + kRoundingOffset);
          q[i] = static_cast<int32_t>(v < 0 ? -m : m);
        }
        encode_block(rc, w.contexts, c == 0 ? 0 : 1, q, w.coefficients.neighbours(c, bx));
      }
    }
    w.coefficients.next_row();
  }
  return rc.finish();
}

void decode_residual(const uint8_t* data, size_t size, const Steps& steps,
                     const MutableImageView& image) {
  check_steps(steps);
  CDC_CHECK(image.width > 0 && image.height > 0);
  const Tables& t = tables();
  BlockRows w(image.width, image.channels);
  const int channels = w.channels, planes = w.planes;
  const size_t blocks = w.blocks;
  RangeDecoder rc(data, size);
  float v[3];
  for (uint32_t top = 0; top < image.height; top += kN) {
    for (int c = 0; c < planes; ++c) {
      const std::array<float, kCoefficients> step = steps_of(steps, c);
      for (size_t bx = 0; bx < blocks; ++bx) {
        int32_t* q = w.coefficients.block(c, bx);
        decode_block(rc, w.contexts, c == 0 ? 0 : 1, q, w.coefficients.neighbours(c, bx));
        float in[kN][kN] = {}, out[kN][kN];
        for (int i = 0; i < kCoefficients; ++i)
          in[t.zigzag[i] / kN][t.zigzag[i] % kN] = static_cast<float>(q[i]) * step[i];
        dct_2d(in, out, /*inverse=*/true);
        for (int i = 0; i < kN; ++i)
          for (int j = 0; j < kN; ++j) w.at(c, i, bx * kN + j) = out[i][j];
      }
    }
    if (rc.overrun())
      fail(CDC_STATUS_CORRUPT_STREAM, "residual section: the code ends early");
    const uint32_t end = std::min<uint32_t>(top + kN, image.height);
    for (uint32_t y = top; y < end; ++y) {
      uint8_t* p = image.pixels + y * image.stride;
      const int r = static_cast<int>(y - top);
      for (uint32_t x = 0; x < image.width; ++x) {
        uint8_t* px = p + static_cast<size_t>(x) * channels;
        to_planes(px, channels, v);
        for (int c = 0; c < planes; ++c) v[c] += w.at(c, r, x);
        from_planes(v, channels, px);
      }
    }
    w.coefficients.next_row();
  }
}

}  // namespace cdc::residual
