#include "codec/tiling.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/error.h"

namespace cdc {

namespace {

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// Splits [0, size) into n near-equal cores (multiples of `multiple`; n at
// most size / multiple) and widens each by `overlap`.
std::vector<AxisTile> split_axis_into(int64_t size, int64_t n, int64_t overlap, int64_t multiple) {
  const int64_t units = size / multiple;
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

// Splits [0, size) into cores of at most `tile` (near-equal).
std::vector<AxisTile> split_axis(int64_t size, int64_t tile, int64_t overlap, int64_t multiple) {
  const int64_t units = size / multiple;
  const int64_t per_tile = std::max<int64_t>(1, tile / multiple);
  return split_axis_into(size, (units + per_tile - 1) / per_tile, overlap, multiple);
}

// What n tiles along one axis compute: the sum and the largest of their
// regions' sizes.
struct AxisCost {
  int64_t n = 0, total = 0, largest = 0;
};

std::vector<AxisCost> axis_costs(int64_t size, int64_t overlap, int64_t multiple) {
  std::vector<AxisCost> costs;
  for (int64_t n = 1; n <= size / multiple; ++n) {
    AxisCost c{n, 0, 0};
    for (const AxisTile& t : split_axis_into(size, n, overlap, multiple)) {
      c.total += t.region.size();
      c.largest = std::max(c.largest, t.region.size());
    }
    costs.push_back(c);
  }
  return costs;
}

// The automatic grid of an image that does not fit in one tile: of the
// splits into two or more tiles whose largest tile (region) has at most
// max_area pixels, the one that computes the fewest pixels in all (the
// overlaps are computed twice), then the fewest tiles.
std::pair<int64_t, int64_t> automatic_grid(int64_t height, int64_t width, int64_t overlap,
                                           int64_t multiple, int64_t max_area) {
  const std::vector<AxisCost> rows = axis_costs(height, overlap, multiple);
  const std::vector<AxisCost> cols = axis_costs(width, overlap, multiple);
  std::pair<int64_t, int64_t> best{rows.back().n, cols.back().n};
  int64_t best_pixels = -1, best_tiles = 0;
  for (const AxisCost& r : rows) {
    for (const AxisCost& c : cols) {
      if (r.largest * c.largest > max_area || r.n * c.n == 1) continue;
      const int64_t pixels = r.total * c.total, tiles = r.n * c.n;
      if (best_pixels < 0 || pixels < best_pixels || (pixels == best_pixels && tiles < best_tiles)) {
        best = {r.n, c.n};
        best_pixels = pixels;
        best_tiles = tiles;
      }
      break;  // more columns only compute more
    }
  }
  return best;
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
    // Automatic: one pass when the image fits in a default tile and its
    // context; otherwise the grid that computes the fewest pixels with no
    // tile larger in area than that.
    const int64_t side = round_up(std::max<int64_t>(defaults.tile, 64), multiple) + 2 * overlap;
    if (height <= side && width <= side) {
      tile = 0;
    } else {
      const auto [rows, cols] = automatic_grid(height, width, overlap, multiple, side * side);
      plan.overlap = overlap;
      plan.rows = split_axis_into(height, rows, overlap, multiple);
      plan.cols = split_axis_into(width, cols, overlap, multiple);
      return plan;
    }
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

std::vector<std::pair<int64_t, int64_t>> region_sizes(const TilePlan& plan) {
  std::set<std::pair<int64_t, int64_t>> sizes;
  for (const AxisTile& row : plan.rows)
    for (const AxisTile& col : plan.cols) sizes.emplace(row.region.size(), col.region.size());
  return {sizes.begin(), sizes.end()};
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
