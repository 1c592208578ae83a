// Tiled encoding and decoding: the tile plan, the blending weights, the
// region helpers, and the codec's tiled paths against the whole-image ones.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "codec/codec.h"
#include "codec/geometry.h"
#include "codec/tiling.h"
#include "common/error.h"
#include "diffusion/sampler.h"
#include "image/pixels.h"
#include "model_test_util.h"

namespace {

cdc::CodecSettings tiled(int tile, int overlap = -1) {
  cdc::CodecSettings s;
  s.tile = tile;
  s.tile_overlap = overlap;
  s.threads = 2;
  s.steps = 2;
  return s;
}


}  // namespace

TEST_CASE("tiling: the cores partition the image and the regions stay inside it") {
  const cdc::TileDefaults def{1024, 64};
  for (int64_t h : {64, 128, 448, 1088, 3008}) {
    for (int tile : {-1, 0, 64, 100, 256, 512}) {
      const cdc::TilePlan plan = cdc::plan_tiles(h, 640, 64, tiled(tile), def);
      for (const auto* axis : {&plan.rows, &plan.cols}) {
        const int64_t size = axis == &plan.rows ? h : 640;
        int64_t next = 0;
        for (const cdc::AxisTile& t : *axis) {
          CHECK(t.core.begin == next);
          CHECK(t.core.size() > 0);
          CHECK(t.core.begin % 64 == 0);
          CHECK(t.region.begin % 64 == 0);
          CHECK(t.region.end % 64 == 0);
          CHECK(t.region.begin >= 0);
          CHECK(t.region.end <= size);
          CHECK(t.region.begin <= t.core.begin);
          CHECK(t.region.end >= t.core.end);
          next = t.core.end;
        }
        CHECK(next == size);
      }
      if (tile == 0) CHECK(plan.whole());
      if (tile > 0 && h > 512) CHECK_FALSE(plan.whole());
    }
  }
  // Automatic: one tile while the image fits in a tile and its overlap.
  CHECK(cdc::plan_tiles(1152, 1152, 64, tiled(-1), def).whole());
  CHECK_FALSE(cdc::plan_tiles(1216, 640, 64, tiled(-1), def).whole());
  // Sides and overlaps are rounded up to the multiple.
  const cdc::TilePlan p = cdc::plan_tiles(1024, 1024, 64, tiled(300, 10), def);
  CHECK(p.overlap == 64);
  CHECK(p.rows.size() == 4);  // 320-pixel cores at most
}

TEST_CASE("tiling: the automatic grid computes the fewest pixels within the tile area") {
  const cdc::TileDefaults def{768, 64};
  const int64_t max_area = (768 + 2 * 64) * (768 + 2 * 64);
  auto computed = [](const cdc::TilePlan& p) {
    int64_t rows = 0, cols = 0;
    for (const cdc::AxisTile& t : p.rows) rows += t.region.size();
    for (const cdc::AxisTile& t : p.cols) cols += t.region.size();
    return rows * cols;
  };
  // 1155x866 (padded 1216x896): two tiles side by side, where tiles of at
  // most 768 on each side need four and compute 15% more pixels.
  const cdc::TilePlan p = cdc::plan_tiles(896, 1216, 64, tiled(-1), def);
  CHECK(p.rows.size() == 1);
  CHECK(p.cols.size() == 2);
  const cdc::TilePlan sides = cdc::plan_tiles(896, 1216, 64, tiled(768), def);
  CHECK(sides.count() == 4);
  CHECK(computed(p) * 1.1 < computed(sides));
  // The paper layout's tiles (512): 768x512 still goes in two tiles of 384.
  const cdc::TilePlan paper = cdc::plan_tiles(512, 768, 64, tiled(-1), cdc::TileDefaults{512, 64});
  CHECK(paper.rows.size() == 1);
  REQUIRE(paper.cols.size() == 2);
  CHECK(paper.cols[0].core.size() == 384);
  for (auto [h, w] : {std::pair<int64_t, int64_t>{960, 960}, {1088, 1920}, {3008, 4032},
                      {4288, 5696}, {64, 8192}, {8192, 128}}) {
    const cdc::TilePlan a = cdc::plan_tiles(h, w, 64, tiled(-1), def);
    int64_t largest = 0;
    for (const cdc::AxisTile& r : a.rows)
      for (const cdc::AxisTile& c : a.cols) largest = std::max(largest, r.region.size() * c.region.size());
    CHECK(largest <= max_area);
    CHECK(computed(a) <= computed(cdc::plan_tiles(h, w, 64, tiled(768), def)));
  }
}

TEST_CASE("tiling: blending weights sum to one at every pixel") {
  const cdc::TileDefaults def{1024, 64};
  for (auto [tile, overlap] : {std::pair{256, 0}, {256, 64}, {256, 128}, {64, 256}, {128, 512}}) {
    const cdc::TilePlan plan = cdc::plan_tiles(1280, 64, 64, tiled(tile, overlap), def);
    const int64_t band = cdc::blend_band(plan);
    CHECK(band <= plan.overlap);
    CHECK(band <= tile);
    std::vector<double> sum(1280, 0.0);
    for (const cdc::AxisTile& t : plan.rows) {
      const std::vector<float> w = cdc::blend_weights(t, plan.rows, band);
      REQUIRE(static_cast<int64_t>(w.size()) == t.region.size());
      for (int64_t i = 0; i < t.region.size(); ++i) {
        CHECK(w[i] >= 0.0f);
        CHECK(w[i] <= 1.0f);
        sum[t.region.begin + i] += w[i];
      }
    }
    for (double s : sum) CHECK(s == doctest::Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("pixels: a region of the padded image equals the padded image's crop") {
  const std::vector<uint8_t> px = cdc_test::test_image(70, 50, 3);
  const cdc::ImageView image{px.data(), 70, 50, 3, 70 * 3};
  const torch::Tensor whole = cdc::pad_to(cdc::image_to_tensor(image), 128, 128);
  const torch::Tensor part = cdc::image_region_to_tensor(image, 32, 40, 96, 88);
  CHECK(torch::equal(part, whole.narrow(2, 32, 96).narrow(3, 40, 88)));
}

TEST_CASE("sampler: the start noise of a region is the crop of a larger region's") {
  const torch::Tensor big = cdc::start_noise_region(3, 0, 0, 256, 320, 0.8, 5);
  const torch::Tensor part = cdc::start_noise_region(3, 64, 100, 128, 150, 0.8, 5);
  CHECK(torch::equal(part, big.narrow(2, 64, 128).narrow(3, 100, 150)));
  CHECK_FALSE(torch::equal(big, cdc::start_noise_region(3, 0, 0, 256, 320, 0.8, 6)));
  CHECK(torch::equal(cdc::start_noise_region(3, 0, 0, 64, 64, 0.0, 5), torch::zeros({1, 3, 64, 64})));
  CHECK(big.std().item<double>() == doctest::Approx(0.8).epsilon(0.05));
}

TEST_CASE("codec: tiled streams are valid streams; any tile size decodes any stream") {
  auto model = cdc_test::golden_model();
  const uint32_t w = 320, h = 256;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 2);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  const std::vector<uint8_t> whole = cdc::encode_image(*model, image, tiled(0), {});
  const std::vector<uint8_t> tiles = cdc::encode_image(*model, image, tiled(128, 64), {});
  // Same layout and size class: the tiles change the latents only near their borders.
  CHECK(tiles.size() == doctest::Approx(whole.size()).epsilon(0.05));

  std::vector<uint8_t> ref(px.size());
  cdc::MutableImageView ref_view{ref.data(), w, h, 3, size_t{w} * 3};
  cdc::decode_image(*model, whole.data(), whole.size(), ref_view, tiled(0), {});
  for (int tile : {64, 128, 192}) {
    for (const auto* stream : {&whole, &tiles}) {
      INFO("tile " << tile);
      std::vector<uint8_t> out(px.size());
      cdc::MutableImageView view{out.data(), w, h, 3, size_t{w} * 3};
      cdc::decode_image(*model, stream->data(), stream->size(), view, tiled(tile, 64), {});
      // Close to the whole-image decode of the whole-image stream (a random
      // tiny model: the bound is loose; docs/limits.md has photo figures).
      CHECK(cdc_test::psnr(out, ref) > 30.0);
      // Tiled decoding is reproducible across thread counts.
      cdc::CodecSettings one = tiled(tile, 64);
      one.threads = 1;
      std::vector<uint8_t> again(px.size());
      cdc::MutableImageView again_view{again.data(), w, h, 3, size_t{w} * 3};
      cdc::decode_image(*model, stream->data(), stream->size(), again_view, one, {});
      CHECK(again == out);
    }
  }
}

TEST_CASE("codec: tiles report progress; cancelling between tiles leaves the output untouched") {
  auto model = cdc_test::golden_model();
  const uint32_t w = 256, h = 192;
  const std::vector<uint8_t> px = cdc_test::test_image(w, h, 4);
  const cdc::ImageView image{px.data(), w, h, 3, size_t{w} * 3};
  int analysis_calls = 0;
  uint32_t analysis_total = 0;
  const std::vector<uint8_t> stream = cdc::encode_image(
      *model, image, tiled(128, 64),
      [&](cdc_stage stage, uint32_t, uint32_t total, const torch::Tensor*) {
        if (stage == CDC_STAGE_ANALYSIS) ++analysis_calls, analysis_total = total;
        return true;
      });
  CHECK(analysis_total == 2 * 2 + 1);  // 4 tiles of 128 and the hyper analysis
  CHECK(analysis_calls == 6);

  uint32_t last_done = 0, diffusion_total = 0;
  std::vector<uint8_t> out(px.size(), 7);
  cdc::MutableImageView view{out.data(), w, h, 3, size_t{w} * 3};
  cdc::decode_image(*model, stream.data(), stream.size(), view, tiled(128, 64),
                    [&](cdc_stage stage, uint32_t done, uint32_t total, const torch::Tensor* x0) {
                      if (stage == CDC_STAGE_DIFFUSION) {
                        CHECK(done == last_done + 1);
                        CHECK(x0 != nullptr);
                        last_done = done;
                        diffusion_total = total;
                      }
                      return true;
                    });
  CHECK(diffusion_total == 4 * 2);  // 4 tiles x 2 steps
  CHECK(last_done == diffusion_total);

  std::vector<uint8_t> untouched(px.size(), 7);
  cdc::MutableImageView view2{untouched.data(), w, h, 3, size_t{w} * 3};
  try {
    cdc::decode_image(*model, stream.data(), stream.size(), view2, tiled(128, 64),
                      [&](cdc_stage stage, uint32_t done, uint32_t, const torch::Tensor*) {
                        return !(stage == CDC_STAGE_DIFFUSION && done == 5);  // in the 3rd tile
                      });
    FAIL("not cancelled");
  } catch (const cdc::Error& e) {
    CHECK(e.status() == CDC_STATUS_CANCELLED);
  }
  CHECK(std::all_of(untouched.begin(), untouched.end(), [](uint8_t v) { return v == 7; }));
}
