#include "codec/tiling.h"

#include <algorithm>

#include "common/error.h"

namespace cdc {

namespace {

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// Splits [0, size) into cores of at most `tile` (multiples of `multiple`,
// near-equal) and widens each by `overlap`.
std::vector<AxisTile> split_axis(int64_t size, int64_t tile, int64_t overlap, int64_t multiple) {
  const int64_t units = size / multiple;
  const int64_t per_tile = std::max<int64_t>(1, tile / multiple);
  const int64_t n = (units + per_tile - 1) / per_tile;
  std::vector<AxisTile> out;
  int64_t begin = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t end = (units * (i + 1) / n) * multiple;
    AxisTile t;
    t.core = {begin, end};
    t.region = {std::max<int64_t>(0, begin - overlap), std::min(size, end + overlap)};
    out.push_back(t);
    begin = end;
  }
  return out;
}

}  // namespace

TilePlan plan_tiles(int64_t height, int64_t width, int64_t multiple, const CodecSettings& settings,
                    const TileDefaults& defaults) {
  CDC_CHECK(multiple >= 1 && height % multiple == 0 && width % multiple == 0);
  TilePlan plan;
  plan.height = height;
  plan.width = width;
  const int64_t overlap =
      round_up(settings.tile_overlap >= 0 ? settings.tile_overlap : defaults.overlap, multiple);
  int64_t tile = settings.tile;
  if (tile < 0) {
    // Automatic: one pass when the image fits in a tile and its context.
    const int64_t fits = defaults.tile + 2 * overlap;
    tile = height <= fits && width <= fits ? 0 : defaults.tile;
  }
  if (tile == 0) {
    plan.rows = {AxisTile{{0, height}, {0, height}}};
    plan.cols = {AxisTile{{0, width}, {0, width}}};
    return plan;
  }
  tile = round_up(std::max<int64_t>(tile, 64), multiple);
  plan.overlap = overlap;
  plan.rows = split_axis(height, tile, overlap, multiple);
  plan.cols = split_axis(width, tile, overlap, multiple);
  return plan;
}

int64_t blend_band(const TilePlan& plan) {
  int64_t band = plan.overlap;
  for (const auto* axis : {&plan.rows, &plan.cols})
    for (const AxisTile& t : *axis) band = std::min(band, t.core.size());
  return band;
}

std::vector<float> blend_weights(const AxisTile& tile, const std::vector<AxisTile>& axis,
                                 int64_t band) {
  const int64_t n = tile.region.size();
  std::vector<float> w(static_cast<size_t>(n), 0.0f);
  const bool first = tile.core.begin == axis.front().core.begin;
  const bool last = tile.core.end == axis.back().core.end;
  for (int64_t i = 0; i < n; ++i) {
    const double p = static_cast<double>(tile.region.begin + i) + 0.5;  // pixel centre
    // Rising ramp centred on the lower core border, falling on the upper.
    double up = 1.0, down = 1.0;
    if (!first) up = std::clamp((p - (tile.core.begin - band / 2.0)) / band, 0.0, 1.0);
    if (!last) down = std::clamp(((tile.core.end + band / 2.0) - p) / band, 0.0, 1.0);
    if (band == 0) {
      up = first || p >= tile.core.begin ? 1.0 : 0.0;
      down = last || p < tile.core.end ? 1.0 : 0.0;
    }
    w[static_cast<size_t>(i)] = static_cast<float>(std::min(up, down));
  }
  return w;
}

}  // namespace cdc
