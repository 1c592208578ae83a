// cdc_bench_coder: speed of the entropy coder alone (single-threaded).
//
// Codes Gaussian latents of the size of a 768x512 image with the paper layout
// (y: 256 x 32 x 48 = 393216 symbols) with the default Gaussian tables, and
// prints symbols per second and MB/s to encode and to decode (best of several runs),
// the bits per symbol and the overhead against the ideal -log2 likelihood.
// A plain timed loop; it never fails on timing.
//
// Usage: cdc_bench_coder [repetitions (default 10)]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "bitstream/latent_coding.h"
#include "entropy/cdf.h"
#include "entropy/entropy_tables.h"

using namespace cdc;
using Clock = std::chrono::steady_clock;

namespace {

entropy::EntropyTables make_tables() {
  const int channels = 256;
  std::vector<double> medians(channels, 0.0);
  auto fn = [](int c, const std::vector<double>& x) {
    std::vector<double> out(x.size());
    const double b = 0.1 + 0.02 * c;
    for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] / b;
    return out;
  };
  return entropy::build_entropy_tables(channels, fn, medians);
}

struct Latent {
  std::vector<int32_t> symbols, indices;
  double ideal_bits = 0.0;
};

// kind 0: "realistic" (half the elements near the scale floor, the rest
// log-uniform in 0.3..10); kind 1: log-uniform scales in 0.1..50.
Latent make_latent(const entropy::EntropyTables& t, size_t n, int kind, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Latent l;
  l.symbols.resize(n);
  l.indices.resize(n);
  for (size_t i = 0; i < n; ++i) {
    double scale;
    if (kind == 0)
      scale = u(rng) < 0.5 ? 0.1 + 0.1 * u(rng) : std::exp(std::log(0.3) + u(rng) * std::log(10 / 0.3));
    else
      scale = std::exp(std::log(0.1) + u(rng) * std::log(500.0));
    const double mean = 4.0 * normal(rng);
    const double y = mean + scale * normal(rng);
    l.symbols[i] = static_cast<int32_t>(std::lround(y - mean));
    l.indices[i] = t.scale_index(scale);
    l.ideal_bits -= std::log2(std::max(entropy::gaussian_pmf(l.symbols[i], scale), 1e-9));
  }
  return l;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  auto t0 = Clock::now();
  const entropy::EntropyTables tables = make_tables();
  const double build_s = seconds_since(t0);
  t0 = Clock::now();
  const bitstream::PreparedTables prepared(tables);
  const double prepare_s = seconds_since(t0);
  std::printf("tables: build %.1f ms, prepare %.3f ms, serialized %zu bytes\n", build_s * 1e3,
              prepare_s * 1e3, tables.serialize().size());

  const size_t n = 256 * 32 * 48;
  const char* names[] = {"realistic scales (half at the floor, half 0.3..10)",
                         "log-uniform scales 0.1..50"};
  for (int kind = 0; kind < 2; ++kind) {
    const Latent l = make_latent(tables, n, kind, 7 + kind);
    double best_enc = 1e30, best_dec = 1e30;
    std::vector<uint8_t> bytes;
    for (int r = 0; r < reps; ++r) {
      t0 = Clock::now();
      bytes = bitstream::encode_latent(l.symbols.data(), l.indices.data(), n, prepared);
      best_enc = std::min(best_enc, seconds_since(t0));
      t0 = Clock::now();
      const std::vector<int32_t> back =
          bitstream::decode_latent(bytes.data(), bytes.size(), l.indices.data(), n, prepared);
      best_dec = std::min(best_dec, seconds_since(t0));
      if (back != l.symbols) {
        std::fprintf(stderr, "round trip failed\n");
        return 1;
      }
    }
    const double coded = 8.0 * static_cast<double>(bytes.size());
    std::printf("%s\n  %zu symbols, %.4f bits/symbol, overhead vs ideal %+.3f%%\n", names[kind], n,
                coded / n, 100.0 * (coded / l.ideal_bits - 1.0));
    std::printf("  encode %.1f Msymbols/s (%.2f ms), decode %.1f Msymbols/s (%.2f ms)\n",
                n / best_enc * 1e-6, best_enc * 1e3, n / best_dec * 1e-6, best_dec * 1e3);
    // In bytes: the stream written or read, and the int32 symbols.
    const double stream_mb = static_cast<double>(bytes.size()) * 1e-6;
    const double symbol_mb = 4.0 * static_cast<double>(n) * 1e-6;
    std::printf("  stream: encode %.1f MB/s, decode %.1f MB/s; symbols (int32): encode %.0f MB/s, "
                "decode %.0f MB/s\n",
                stream_mb / best_enc, stream_mb / best_dec, symbol_mb / best_enc,
                symbol_mb / best_dec);
  }

  // Hyper-latent: 256 x 8 x 12 with the factorized prior's tables.
  {
    const uint32_t c = 256, h = 8, w = 12;
    std::mt19937_64 rng(3);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<int32_t> z(size_t{c} * h * w);
    for (size_t i = 0; i < z.size(); ++i)
      z[i] = static_cast<int32_t>(std::lround(normal(rng) * (0.1 + 0.02 * (i / (h * w))) * 1.6));
    double best_enc = 1e30, best_dec = 1e30;
    std::vector<uint8_t> bytes;
    for (int r = 0; r < reps * 10; ++r) {
      t0 = Clock::now();
      bytes = bitstream::encode_hyper_latent(z.data(), c, h, w, prepared);
      best_enc = std::min(best_enc, seconds_since(t0));
      t0 = Clock::now();
      auto back = bitstream::decode_hyper_latent(bytes.data(), bytes.size(), c, h, w, prepared);
      best_dec = std::min(best_dec, seconds_since(t0));
      if (back != z) {
        std::fprintf(stderr, "round trip failed\n");
        return 1;
      }
    }
    std::printf("hyper-latent %zu symbols: encode %.1f Msymbols/s, decode %.1f Msymbols/s\n",
                z.size(), z.size() / best_enc * 1e-6, z.size() / best_dec * 1e-6);
  }
  return 0;
}
