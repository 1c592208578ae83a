#include "residual/residual_coding.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include "common/error.h"
#include "residual/binary_coder.h"

namespace cdc::residual {
namespace {

constexpr int kMacro = 32;        // macroblock side: one 32x32 block or four 16x16 quarters
constexpr int kClasses = 64;      // position classes: the zigzag positions of an 8x8 block
constexpr int kKinds = 2;         // luma (or gray), chroma
constexpr int kSizes = 3;         // block sizes: 8x8 (0), 16x16 (1), 32x32 (2)
constexpr int kBands = 10;        // frequency band of a coefficient (8x8 row + column), capped
constexpr int kNeighbourClasses = 5;
constexpr int kCountClasses = 4;
constexpr int kActivityClasses = 5;
constexpr int kMaxPrefix = 24;    // Exp-Golomb prefix bits of a magnitude remainder
// Quantization: |c| / step rounded with this offset (a dead zone: values a
// little above a half step go to zero, which costs less than they give).
constexpr float kRoundingOffset = 0.38f;
// The encoder's block size choice: squared error + this * step^2 * bits
// (measured: docs/quality.md, "The residual layer").
constexpr float kModeLambda = 0.06f;

// The zigzag order of an n x n block (JPEG's: odd anti-diagonals run
// down-left, even ones up-right), as raster indices.
std::vector<int> zigzag_order(int n) {
  std::vector<int> order;
  for (int s = 0; s < 2 * n - 1; ++s)
    for (int t = 0; t <= s; ++t) {
      const int row = (s % 2 == 1) ? t : s - t;
      const int col = s - row;
      if (row < n && col < n) order.push_back(row * n + col);
    }
  return order;
}

// The tables of an N x N block. A coefficient's band and position class are
// those of the 8x8 coefficient of the same frequency (row and column scaled
// by 8 / N), so that both block sizes share the frequency weighting.
template <int N>
struct Shape {
  static constexpr int kCount = N * N;
  std::array<uint16_t, kCount> zigzag{};  // zigzag position -> raster index
  std::array<uint8_t, kCount> band{};     // zigzag position -> band
  std::array<uint8_t, kCount> cls{};      // zigzag position -> position class
  float dct[N][N]{};                      // dct[k][i]: basis k at sample i
  float dct_t[N][N]{};                    // its transpose
  Shape() {
    const std::vector<int> order = zigzag_order(N), order8 = zigzag_order(8);
    std::array<uint8_t, 64> position8{};
    for (int i = 0; i < 64; ++i) position8[order8[i]] = static_cast<uint8_t>(i);
    for (int i = 0; i < kCount; ++i) {
      const int row = order[i] / N * 8 / N, col = order[i] % N * 8 / N;
      zigzag[i] = static_cast<uint16_t>(order[i]);
      band[i] = static_cast<uint8_t>(std::min(row + col, kBands - 1));
      cls[i] = position8[row * 8 + col];
    }
    const double pi = std::acos(-1.0);
    for (int k = 0; k < N; ++k)
      for (int i = 0; i < N; ++i)
        dct[k][i] = dct_t[i][k] = static_cast<float>(std::sqrt((k == 0 ? 1.0 : 2.0) / N) *
                                                     std::cos((2 * i + 1) * k * pi / (2 * N)));
  }
};

template <int N>
const Shape<N>& shape() {
  static const Shape<N> s;
  return s;
}

constexpr int size_index(int n) { return n == 8 ? 0 : n == 16 ? 1 : 2; }

// The adaptive contexts of one image's code.
struct Contexts {
  std::vector<BitContext> mode, coded, significant, last, greater1, greater2, prefix;
  Contexts()
      : mode(2 * kKinds * 3),
        coded(kSizes * kKinds * 3),
        significant(kSizes * kKinds * kClasses * kNeighbourClasses * kCountClasses *
                    kActivityClasses),
        last(kSizes * kKinds * kClasses * kCountClasses),
        greater1(kSizes * kKinds * kBands * kNeighbourClasses),
        greater2(kSizes * kKinds * kBands * kNeighbourClasses),
        prefix(kKinds * (kMaxPrefix + 1)) {}
};

// What a coded block tells the contexts of its right and lower neighbours:
// per position class the largest magnitude there (capped at 4), and how many
// classes hold a nonzero coefficient.
struct Summary {
  std::array<uint8_t, kClasses> magnitude{};
  int nonzero = 0;
};

template <int N>
Summary summarize(const int32_t* q) {
  const Shape<N>& s = shape<N>();
  Summary r;
  for (int i = 0; i < Shape<N>::kCount; ++i)
    if (q[i] != 0) {
      uint8_t& m = r.magnitude[s.cls[i]];
      m = static_cast<uint8_t>(std::max<int>(m, std::min(std::abs(q[i]), 4)));
    }
  for (uint8_t m : r.magnitude) r.nonzero += m != 0;
  return r;
}

// The contexts' view of a block's left and upper neighbours (null: outside
// the image).
struct Neighbours {
  const Summary* left = nullptr;
  const Summary* above = nullptr;
  int coded = 0;     // how many of the two have a nonzero coefficient
  int activity = 0;  // class of their nonzero counts
  Neighbours(const Summary* l, const Summary* a) : left(l), above(a) {
    const int nl = l ? l->nonzero : 0, na = a ? a->nonzero : 0;
    coded = (nl > 0) + (na > 0);
    activity = std::min(nl + na, 12) / 3;
  }
  int at(int cls) const {
    const int v = (left ? left->magnitude[cls] : 0) + (above ? above->magnitude[cls] : 0);
    return std::min(v, kNeighbourClasses - 1);
  }
};

// The three ways of running the code: writing symbols, reading them, and
// estimating what writing them would cost under the contexts' present state
// (the encoder's block size choice). bit() and bypass() take the value to
// write (ignored when reading) and return the value coded.
float bit_cost(const BitContext& c, int bit) {
  static const std::array<float, 4097> table = [] {
    std::array<float, 4097> t{};
    t[0] = 24.0f;
    for (int i = 1; i <= 4096; ++i) t[i] = static_cast<float>(-std::log2(i / 4096.0));
    return t;
  }();
  const uint32_t p = c.probability();  // of a 0, in 1/65536
  return table[(bit ? 65536 - p : p) >> 4];
}

struct Writer {
  RangeEncoder& rc;
  int bit(BitContext& c, int v) {
    rc.encode(c, v);
    return v;
  }
  int bypass(int v) {
    rc.encode_bypass(v);
    return v;
  }
};

struct Reader {
  RangeDecoder& rc;
  int bit(BitContext& c, int) { return rc.decode(c); }
  int bypass(int) { return rc.decode_bypass(); }
};

struct Estimator {
  float bits = 0;
  int bit(const BitContext& c, int v) {
    bits += bit_cost(c, v);
    return v;
  }
  int bypass(int v) {
    bits += 1;
    return v;
  }
};

// One block's code: a coded-block flag; for a coded block, per position up to
// the last nonzero coefficient a significance flag, and per nonzero one its
// magnitude (greater-than-1, greater-than-2, Exp-Golomb remainder), its sign
// and a last flag. q: the quantized coefficients in zigzag order (read when
// writing or estimating; when reading all zero on entry and filled).
template <int N, class Coder>
void code_block(Coder& coder, Contexts& cx, int kind, int32_t* q, const Neighbours& n) {
  constexpr int kCount = Shape<N>::kCount;
  const Shape<N>& s = shape<N>();
  const size_t size_kind = static_cast<size_t>(size_index(N)) * kKinds + kind;
  int last = -1;
  for (int i = 0; i < kCount; ++i)
    if (q[i] != 0) last = i;
  if (!coder.bit(cx.coded[size_kind * 3 + n.coded], last >= 0)) return;
  int count = 0;
  for (int pos = 0; pos < kCount; ++pos) {
    const int cls = s.cls[pos], nb = n.at(cls);
    const int count_class = std::min(count, kCountClasses - 1);
    // The last position of a coded block with nothing before it must be nonzero.
    const bool nonzero =
        (pos == kCount - 1 && count == 0) ||
        coder.bit(cx.significant[(((size_kind * kClasses + cls) * kNeighbourClasses + nb) *
                                      kCountClasses + count_class) * kActivityClasses +
                                 n.activity],
                  q[pos] != 0) != 0;
    if (!nonzero) continue;
    const uint32_t value = static_cast<uint32_t>(std::abs(q[pos]));
    const size_t m = (size_kind * kBands + s.band[pos]) * kNeighbourClasses + nb;
    uint32_t a = 1;
    if (coder.bit(cx.greater1[m], value > 1)) {
      a = 2;
      if (coder.bit(cx.greater2[m], value > 2)) {
        // Exp-Golomb of a - 3: the prefix adaptive, the suffix bypass.
        // (When reading, value is 0: r and bits are unused.)
        const uint32_t r = value > 2 ? value - 3 + 1 : 1;
        int bits = 0;
        while (bits < 31 && (r >> (bits + 1)) != 0) ++bits;
        int b = 0;
        while (coder.bit(cx.prefix[kind * (kMaxPrefix + 1) + b], b < bits)) {
          if (++b > kMaxPrefix - 1)
            fail(CDC_STATUS_CORRUPT_STREAM, "residual section: a magnitude is too large");
        }
        uint32_t coded = 1;
        for (int k = b - 1; k >= 0; --k)
          coded = (coded << 1) | static_cast<uint32_t>(coder.bypass((r >> k) & 1));
        a = coded - 1 + 3;
      }
    }
    const bool negative = coder.bypass(q[pos] < 0) != 0;
    q[pos] = negative ? -static_cast<int32_t>(a) : static_cast<int32_t>(a);
    const bool is_last =
        pos == kCount - 1 ||
        coder.bit(cx.last[(size_kind * kClasses + cls) * kCountClasses + count_class],
                  pos == last) != 0;
    ++count;
    if (is_last) return;
  }
}

// The separable 2-D DCT of an N x N block: out = A in A^T, with A the DCT-II
// matrix (forward) or its transpose (inverse). Rows of `in` and `out` are
// `stride` floats apart.
template <int N>
void dct_2d(const float* in, size_t in_stride, float* out, size_t out_stride, bool inverse) {
  const Shape<N>& t = shape<N>();
  // m: the matrix applied on the left (A, or A^T for the inverse); mt: its
  // transpose, applied on the right. Inner loops run along rows (vectorized).
  const float(*m)[N] = inverse ? t.dct_t : t.dct;
  const float(*mt)[N] = inverse ? t.dct : t.dct_t;
  float tmp[N][N] = {};
  for (int k = 0; k < N; ++k)
    for (int i = 0; i < N; ++i) {
      const float w = m[k][i];
      const float* row = in + i * in_stride;
      for (int j = 0; j < N; ++j) tmp[k][j] += w * row[j];
    }
  for (int k = 0; k < N; ++k) {
    float r[N] = {};
    for (int j = 0; j < N; ++j) {
      const float w = tmp[k][j];
      for (int l = 0; l < N; ++l) r[l] += w * mt[j][l];
    }
    std::copy_n(r, N, out + k * out_stride);
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

void check_steps(const Steps& steps) {
  if (steps.luma == 0 || steps.chroma == 0)
    fail(CDC_STATUS_INVALID_ARGUMENT, "residual layer: a quantizer step of 0");
  if (steps.tilt > 1024)
    fail(CDC_STATUS_INVALID_ARGUMENT, "residual layer: a band tilt of {} (at most 1024)", steps.tilt);
}

// A plane's base step in levels, and the steps of an N x N block's
// coefficients in zigzag order.
float plane_step(const Steps& steps, int plane) {
  return (plane == 0 ? steps.luma : steps.chroma) / 16.0f;
}

template <int N>
std::array<float, N * N> steps_of(const Steps& steps, int plane) {
  const float base = plane_step(steps, plane);
  const float tilt = steps.tilt / 1024.0f;
  std::array<float, N * N> s{};
  for (int i = 0; i < N * N; ++i)
    s[i] = base * std::max(1.0f / 16, 1.0f + tilt * (shape<N>().band[i] - kTiltPivot));
  return s;
}

// The coefficient steps of each block size of one plane (computed once per
// image, not per macroblock row).
struct PlaneSteps {
  std::array<float, 64> s8;
  std::array<float, 256> s16;
  std::array<float, 1024> s32;
};

std::vector<PlaneSteps> plane_steps(const Steps& steps, int planes) {
  std::vector<PlaneSteps> r(static_cast<size_t>(planes));
  for (int c = 0; c < planes; ++c)
    r[c] = {steps_of<8>(steps, c), steps_of<16>(steps, c), steps_of<32>(steps, c)};
  return r;
}

// The quantized block (zigzag order) of the N x N residual at `in`, and its
// squared error.
template <int N>
float quantize(const float* in, size_t stride, const std::array<float, N * N>& step, int32_t* q) {
  const Shape<N>& t = shape<N>();
  float c[N * N];
  dct_2d<N>(in, stride, c, N, /*inverse=*/false);
  float error = 0;
  for (int i = 0; i < N * N; ++i) {
    const float v = c[t.zigzag[i]] / step[i];
    const float m = std::floor(std::fabs(v) + kRoundingOffset);
    q[i] = static_cast<int32_t>(v < 0 ? -m : m);
    const float e = c[t.zigzag[i]] - static_cast<float>(q[i]) * step[i];
    error += e * e;
  }
  return error;
}

template <int N>
void reconstruct(const int32_t* q, const std::array<float, N * N>& step, float* out,
                 size_t stride) {
  const Shape<N>& t = shape<N>();
  float c[N * N] = {};
  for (int i = 0; i < N * N; ++i) c[t.zigzag[i]] = static_cast<float>(q[i]) * step[i];
  dct_2d<N>(c, N, out, stride, /*inverse=*/true);
}

// What the encoder and the decoder keep while they walk an image's
// macroblock rows: one macroblock row of the residual (plane by plane,
// padded to whole macroblocks), the block summaries of its four 8-pixel rows
// and of the row above it, the block sizes of its 16x16 cells and of the row
// above, and the contexts. Blocks wholly outside the image are not coded.
struct MacroblockRows {
  uint32_t width, height, top = 0;  // the image's size; the row's first pixel row
  int channels, planes;
  size_t macroblocks, columns, cells, padded;  // columns: of 8x8 blocks; cells: of 16x16
  std::vector<float> rows;
  std::vector<Summary> summaries;  // per plane: rows -1 .. 3; per column
  std::vector<uint8_t> sizes;      // per plane: rows -1 .. 1 of cells: 0 (8x8), 1 (16x16),
                                   // 2 (32x32)
  bool has_above = false;
  Contexts contexts;
  // The blocks of one macroblock of one plane.
  struct Blocks {
    bool whole = false;        // one 32x32 block
    bool large[4] = {};        // per 16x16 quarter: one 16x16 block
    int32_t q32[1024];
    int32_t q16[4][256];
    int32_t q8[4][4][64];
  };

  MacroblockRows(uint32_t w, uint32_t h, int c)
      : width(w), height(h), channels(c), planes(plane_count(c)),
        macroblocks((w + kMacro - 1) / kMacro),
        columns(4 * macroblocks), cells(2 * macroblocks), padded(macroblocks * kMacro),
        rows(static_cast<size_t>(planes) * kMacro * padded),
        summaries(static_cast<size_t>(planes) * 5 * columns),
        sizes(static_cast<size_t>(planes) * 3 * cells) {}
  // Whether the 8x8 block at 8-pixel row `row` of this macroblock row and
  // column `column` has pixels in the image (blocks wholly in the padding are
  // not coded: zero).
  bool inside(int row, size_t column) const {
    return column * 8 < width && top + static_cast<uint32_t>(row) * 8 < height;
  }
  float* at(int plane, int r, size_t x) { return &rows[(plane * kMacro + r) * padded + x]; }
  // row: -1 (the row above) .. 3.
  Summary* summary(int plane, int row, size_t column) {
    if (row < 0 && !has_above) return nullptr;
    return &summaries[(static_cast<size_t>(plane) * 5 + row + 1) * columns + column];
  }
  // row: -1 .. 1; 0 outside the image.
  int size_at(int plane, int row, long cell) {
    if (cell < 0 || (row < 0 && !has_above)) return 0;
    return sizes[(static_cast<size_t>(plane) * 3 + row + 1) * cells + cell];
  }
  void set_size(int plane, int row, size_t cell, int size) {
    sizes[(static_cast<size_t>(plane) * 3 + row + 1) * cells + cell] = static_cast<uint8_t>(size);
  }
  void set_summaries(int plane, int row, size_t column, int n, const Summary& s) {
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) *summary(plane, row + r, column + c) = s;
  }
  void next_row() {
    top += kMacro;
    for (int p = 0; p < planes; ++p) {
      std::copy_n(summary(p, 3, 0), columns, &summaries[static_cast<size_t>(p) * 5 * columns]);
      std::copy_n(&sizes[(static_cast<size_t>(p) * 3 + 2) * cells], cells,
                  &sizes[static_cast<size_t>(p) * 3 * cells]);
    }
    has_above = true;
  }

  // Codes a 16x16 quarter's size flag (context: plane kind, how many of the
  // cells left of and above it hold blocks of 16x16 or more) and its blocks:
  // one 16x16, or four 8x8 ones (top left, top right, bottom left, bottom right).
  template <class Coder>
  void code_quarter(Coder& coder, int plane, size_t mx, int k, Blocks& b) {
    const int kind = plane == 0 ? 0 : 1;
    const int row = k / 2;
    const size_t cell = 2 * mx + k % 2, column = 2 * cell;
    if (!inside(2 * row, column)) {
      b.large[k] = false;
      std::fill_n(&b.q8[k][0][0], 4 * 64, 0);
      set_size(plane, row, cell, 0);
      for (int j = 0; j < 4; ++j) *summary(plane, 2 * row + j / 2, column + j % 2) = Summary{};
      return;
    }
    const int neighbours = (size_at(plane, row, static_cast<long>(cell) - 1) > 0) +
                           (size_at(plane, row - 1, static_cast<long>(cell)) > 0);
    b.large[k] = coder.bit(contexts.mode[(0 * kKinds + kind) * 3 + neighbours], b.large[k]) != 0;
    set_size(plane, row, cell, b.large[k] ? 1 : 0);
    if (b.large[k]) {
      const Neighbours n(column > 0 ? summary(plane, 2 * row, column - 1) : nullptr,
                         summary(plane, 2 * row - 1, column));
      code_block<16>(coder, contexts, kind, b.q16[k], n);
      set_summaries(plane, 2 * row, column, 2, summarize<16>(b.q16[k]));
      return;
    }
    for (int j = 0; j < 4; ++j) {
      const int r = 2 * row + j / 2;
      const size_t c = column + j % 2;
      if (!inside(r, c)) {
        std::fill_n(b.q8[k][j], 64, 0);
        *summary(plane, r, c) = Summary{};
        continue;
      }
      const Neighbours n(c > 0 ? summary(plane, r, c - 1) : nullptr, summary(plane, r - 1, c));
      code_block<8>(coder, contexts, kind, b.q8[k][j], n);
      *summary(plane, r, c) = summarize<8>(b.q8[k][j]);
    }
  }

  // Codes a macroblock's size flag (context: plane kind, how many of the
  // cells left of and above it hold 32x32 blocks) and its blocks: one 32x32,
  // or its four 16x16 quarters.
  BitContext& whole_context(int plane, size_t mx) {
    const long cell = static_cast<long>(2 * mx);
    const int neighbours = (size_at(plane, 0, cell - 1) == 2) + (size_at(plane, -1, cell) == 2);
    return contexts.mode[(1 * kKinds + (plane == 0 ? 0 : 1)) * 3 + neighbours];
  }
  template <class Coder>
  void code(Coder& coder, int plane, size_t mx, Blocks& b) {
    const int kind = plane == 0 ? 0 : 1;
    const size_t cell = 2 * mx, column = 2 * cell;
    b.whole = coder.bit(whole_context(plane, mx), b.whole) != 0;
    if (!b.whole) {
      for (int k = 0; k < 4; ++k) code_quarter(coder, plane, mx, k, b);
      return;
    }
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c) set_size(plane, r, cell + c, 2);
    const Neighbours n(column > 0 ? summary(plane, 0, column - 1) : nullptr,
                       summary(plane, -1, column));
    code_block<32>(coder, contexts, kind, b.q32, n);
    set_summaries(plane, 0, column, 4, summarize<32>(b.q32));
  }
};

}  // namespace

int plane_count(int channels) { return channels == 1 ? 1 : 3; }

Steps encoder_steps(uint16_t luma) {
  const long chroma = std::lround(luma * kChromaStepRatio);
  return Steps{luma, static_cast<uint16_t>(std::clamp<long>(chroma, 1, 65535)), kDefaultTilt};
}

std::vector<uint8_t> encode_residual(const ImageView& source, const ImageView& base,
                                     const Steps& steps, BlockSizes sizes) {
  check_steps(steps);
  CDC_CHECK(source.width == base.width && source.height == base.height &&
            source.channels == base.channels && source.width > 0 && source.height > 0);
  MacroblockRows w(source.width, source.height, source.channels);
  const int channels = w.channels, planes = w.planes;
  RangeEncoder rc;
  Writer writer{rc};
  float s[3], b[3];
  const std::vector<PlaneSteps> per_plane = plane_steps(steps, planes);
  for (uint32_t top = 0; top < source.height; top += kMacro) {
    for (int r = 0; r < kMacro; ++r) {
      const uint32_t y = std::min<uint32_t>(top + r, source.height - 1);
      const uint8_t* sp = source.pixels + y * source.stride;
      const uint8_t* bp = base.pixels + y * base.stride;
      for (size_t x = 0; x < w.padded; ++x) {
        const size_t xc = std::min<size_t>(x, source.width - 1) * channels;
        to_planes(sp + xc, channels, s);
        to_planes(bp + xc, channels, b);
        // Edge-replicated to the padded width and height.
        for (int c = 0; c < planes; ++c) *w.at(c, r, x) = s[c] - b[c];
      }
    }
    for (int c = 0; c < planes; ++c) {
      const auto& [step8, step16, step32] = per_plane[c];
      const float lambda = kModeLambda * plane_step(steps, c) * plane_step(steps, c);
      for (size_t mx = 0; mx < w.macroblocks; ++mx) {
        // Bottom up: each quarter's better size, then one 32x32 block against
        // the quarters, by squared error + lambda * bits.
        MacroblockRows::Blocks blocks;
        const size_t x0 = mx * kMacro;
        float split_error = 0, split_bits = 0;
        for (int k = 0; k < 4; ++k) {
          const int y = k / 2 * 16;
          const size_t x = x0 + k % 2 * 16;
          float error8 = 0;
          for (int j = 0; j < 4; ++j)
            error8 += quantize<8>(w.at(c, y + j / 2 * 8, x + j % 2 * 8), w.padded, step8,
                                  blocks.q8[k][j]);
          const float error16 = quantize<16>(w.at(c, y, x), w.padded, step16, blocks.q16[k]);
          Estimator small, large;
          blocks.large[k] = false;
          w.code_quarter(small, c, mx, k, blocks);
          blocks.large[k] = true;
          w.code_quarter(large, c, mx, k, blocks);
          const bool choose16 = sizes == BlockSizes::kChoose
                                    ? error16 + lambda * large.bits < error8 + lambda * small.bits
                                    : sizes != BlockSizes::kOnly8x8;
          blocks.large[k] = choose16;
          if (!choose16) {  // its summaries and sizes, for the next quarter's contexts
            Estimator again;
            w.code_quarter(again, c, mx, k, blocks);
          }
          split_error += choose16 ? error16 : error8;
          split_bits += choose16 ? large.bits : small.bits;
        }
        const float error32 = quantize<32>(w.at(c, 0, x0), w.padded, step32, blocks.q32);
        Estimator whole;
        blocks.whole = true;
        w.code(whole, c, mx, blocks);
        const float split_flag = bit_cost(w.whole_context(c, mx), 0);
        blocks.whole = sizes == BlockSizes::kChoose
                           ? error32 + lambda * whole.bits <
                                 split_error + lambda * (split_bits + split_flag)
                           : sizes == BlockSizes::kOnly32x32;
        w.code(writer, c, mx, blocks);
      }
    }
    w.next_row();
  }
  return rc.finish();
}

void decode_residual(const uint8_t* data, size_t size, const Steps& steps,
                     const MutableImageView& image) {
  check_steps(steps);
  CDC_CHECK(image.width > 0 && image.height > 0);
  MacroblockRows w(image.width, image.height, image.channels);
  const int channels = w.channels, planes = w.planes;
  RangeDecoder rc(data, size);
  Reader reader{rc};
  float v[3];
  const std::vector<PlaneSteps> per_plane = plane_steps(steps, planes);
  for (uint32_t top = 0; top < image.height; top += kMacro) {
    for (int c = 0; c < planes; ++c) {
      const auto& [step8, step16, step32] = per_plane[c];
      for (size_t mx = 0; mx < w.macroblocks; ++mx) {
        MacroblockRows::Blocks blocks{};
        w.code(reader, c, mx, blocks);
        const size_t x0 = mx * kMacro;
        if (blocks.whole) {
          reconstruct<32>(blocks.q32, step32, w.at(c, 0, x0), w.padded);
          continue;
        }
        for (int k = 0; k < 4; ++k) {
          const int y = k / 2 * 16;
          const size_t x = x0 + k % 2 * 16;
          if (blocks.large[k]) {
            reconstruct<16>(blocks.q16[k], step16, w.at(c, y, x), w.padded);
            continue;
          }
          for (int j = 0; j < 4; ++j)
            reconstruct<8>(blocks.q8[k][j], step8, w.at(c, y + j / 2 * 8, x + j % 2 * 8),
                           w.padded);
        }
      }
    }
    if (rc.overrun())
      fail(CDC_STATUS_CORRUPT_STREAM, "residual section: the code ends early");
    const uint32_t end = std::min<uint32_t>(top + kMacro, image.height);
    for (uint32_t y = top; y < end; ++y) {
      uint8_t* p = image.pixels + y * image.stride;
      const int r = static_cast<int>(y - top);
      for (uint32_t x = 0; x < image.width; ++x) {
        uint8_t* px = p + static_cast<size_t>(x) * channels;
        to_planes(px, channels, v);
        for (int c = 0; c < planes; ++c) v[c] += *w.at(c, r, x);
        from_planes(v, channels, px);
      }
    }
    w.next_row();
  }
}

}  // namespace cdc::residual
