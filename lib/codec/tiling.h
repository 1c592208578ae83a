// Tiled processing: the plan that cuts a padded image into tiles (each a core
// that it owns plus an overlap of context on every side), and the blending
// weights that join decoded tiles without seams. Every coordinate is in pixels
// of the padded image and a multiple of the model's size multiple, so that a
// tile's latents are a sub-rectangle of the whole image's latents.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "common/codec_settings.h"

namespace cdc {

struct Span {
  int64_t begin = 0, end = 0;  // [begin, end)
  int64_t size() const { return end - begin; }
};

// One tile along one axis: the core it owns and the region it computes
// (the core widened by the overlap, clipped to the image).
struct AxisTile {
  Span core, region;
};

struct Tile {
  AxisTile row, col;
};

struct TilePlan {
  int64_t height = 0, width = 0;  // padded size
  int64_t overlap = 0;            // context beyond the core, pixels
  std::vector<AxisTile> rows, cols;
  bool whole() const { return rows.size() == 1 && cols.size() == 1; }
  size_t count() const { return rows.size() * cols.size(); }
  Tile at(size_t index) const { return {rows[index / cols.size()], cols[index % cols.size()]}; }
};

// The automatic tile side and overlap of a model (pixels, multiples of its
// size multiple): the tile keeps a decode of one tile within about the same
// memory for every configuration.
struct TileDefaults {
  int64_t tile = 0, overlap = 0;
};

// Cuts a padded height x width image (multiples of `multiple`) by the
// settings' tile and tile_overlap (see CDC_OPTION_TILE): tile 0 is the whole
// image; a tile > 0 caps the cores' side; -1 (automatic) codes the image
// whole when both its sides fit in a default tile with its overlap on both
// sides, and otherwise picks the grid that computes the fewest pixels with no
// tile (core and overlap) larger in area than that. Sides and overlaps are
// rounded up to `multiple`. The cores split each axis into near-equal parts.
TilePlan plan_tiles(int64_t height, int64_t width, int64_t multiple, const CodecSettings& settings,
                    const TileDefaults& defaults);

// The distinct region sizes (height, width) of a plan's tiles, in order.
std::vector<std::pair<int64_t, int64_t>> region_sizes(const TilePlan& plan);

// The width of the blending band across core borders: the overlap, but no
// wider than the smallest core (so that the two ramps of a tile never meet).
int64_t blend_band(const TilePlan& plan);

// The weight of each pixel of a region along one axis in the blend of
// neighbouring tiles: 1 inside the core, ramps of `band` pixels on each side
// of a core border shared with a neighbour, so that the weights of all tiles
// sum to one at every pixel. band = blend_band(plan); size = region size.
std::vector<float> blend_weights(const AxisTile& tile, const std::vector<AxisTile>& axis,
                                 int64_t band);

}  // namespace cdc
