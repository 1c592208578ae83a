// Writes a seed corpus for fuzz_stream (valid .cdc streams made with the
// fixture's tables: several sizes, channel counts, alpha or not, escapes) and
// for fuzz_tables (the fixture's serialized tables).
// Usage: make_seeds <stream corpus dir> [<tables corpus dir>]
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "entropy/cdf.h"
#include "fuzz_fixture.h"

using namespace cdc::bitstream;

static void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <stream corpus dir> [<tables corpus dir>]\n", argv[0]);
    return 2;
  }
  const PreparedTables& pt = cdc_fuzz::prepared();
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(0.0, 1.0);
  struct Case {
    uint32_t w, h, channels, y_channels;
    bool alpha, wild;
  } cases[] = {{1, 1, 3, 4, false, false},   {64, 64, 3, 8, false, false},
               {65, 17, 1, 4, false, false}, {100, 70, 4, 4, true, false},
               {130, 3, 4, 2, false, true},  {200, 129, 3, 16, false, false},
               {7, 300, 3, 1, false, true},  {32, 32, 4, 8, true, true}};
  int n = 0;
  for (const Case& c : cases) {
    StreamHeader h;
    for (int i = 0; i < 16; ++i) h.model_id[i] = static_cast<uint8_t>(rng());
    h.width = c.w;
    h.height = c.h;
    h.channels = c.channels;
    h.has_alpha = c.alpha;
    set_geometry(h, c.y_channels, cdc_fuzz::kPriorChannels, cdc_fuzz::limits());
    std::vector<int32_t> z(h.z.count());
    for (size_t i = 0; i < z.size(); ++i)
      z[i] = static_cast<int32_t>(std::lround(normal(rng) * (1 + i % 3)));
    if (c.wild && !z.empty()) z[0] = 1 << 30;
    const std::vector<int32_t> idx = cdc_fuzz::scale_indices(z, h.y.count());
    std::vector<int32_t> y(h.y.count());
    const auto& scales = cdc_fuzz::tables().scale_table;
    for (size_t i = 0; i < y.size(); ++i)
      y[i] = static_cast<int32_t>(std::lround(normal(rng) * scales[static_cast<size_t>(idx[i])]));
    if (c.wild && y.size() > 2) {
      y[1] = INT32_MIN;
      y[2] = INT32_MAX;
    }
    h.estimated_bits = 8.0 * static_cast<double>(y.size());
    const auto zs = encode_hyper_latent(z.data(), h.z.channels, h.z.height, h.z.width, pt);
    const auto ys = encode_latent(y.data(), idx.data(), y.size(), pt);
    std::vector<uint8_t> alpha;
    if (c.alpha) alpha = {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01};
    std::vector<uint8_t> stream = write_stream(h, zs, ys, alpha, cdc_fuzz::limits());
    write_file(std::string(argv[1]) + "/seed" + std::to_string(n++) + ".cdc", stream);
    // The same stream with a metadata section (format version 2): one block
    // for odd cases, all three for even ones.
    const std::vector<uint8_t> icc(300, 0x11), exif = {'M', 'M', 0, '*', 0, 0, 0, 8},
                               xmp = {'<', 'x', '/', '>'};
    MetadataBlocks blocks;
    blocks.blocks[1] = {exif.data(), exif.size()};
    if (n % 2 == 0) {
      blocks.blocks[0] = {icc.data(), icc.size()};
      blocks.blocks[2] = {xmp.data(), xmp.size()};
    }
    attach_metadata(stream, blocks, cdc_fuzz::limits());
    write_file(std::string(argv[1]) + "/seed" + std::to_string(n++) + ".cdc", stream);
  }
  if (argc > 2) {
    write_file(std::string(argv[2]) + "/tables.bin", cdc_fuzz::tables().serialize());
    // Small tables: two prior channels, three scales.
    cdc::entropy::EntropyTables small;
    small.prior = {cdc_fuzz::tables().prior[0], cdc_fuzz::tables().prior[1]};
    small.scale_table = {0.1, 1.0, 10.0};
    for (double s : small.scale_table) small.gaussian.push_back(cdc::entropy::gaussian_cdf(s));
    write_file(std::string(argv[2]) + "/small_tables.bin", small.serialize());
  }
  std::printf("wrote %d stream seeds\n", n);
  return 0;
}
