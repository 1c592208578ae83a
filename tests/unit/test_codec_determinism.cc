// The tables chosen from the decoded hyper-latent must be identical at encode
// and at decode whatever the thread count: streams made with 2 threads decode
// with 1 thread to the very symbols the encoder wrote.
#include <doctest/doctest.h>

#include "bitstream/format.h"
#include "bitstream/latent_coding.h"
#include "codec/codec.h"
#include "codec/geometry.h"
#include "codec/latent_symbols.h"
#include "common/threads.h"
#include "hyperprior/gaussian_conditional.h"
#include "model_test_util.h"

namespace {

struct Tables {
  std::vector<int32_t> indices;
  torch::Tensor mean;
};

// What a decoder derives from a stream's hyper-latent, with the given threads.
Tables tables_from_stream(const cdc::Model& model, const std::vector<uint8_t>& stream,
                          int threads) {
  cdc::set_compute_threads(threads);
  c10::InferenceMode guard;
  const auto parsed = cdc::bitstream::parse_stream(stream.data(), stream.size(),
                                                   cdc::stream_limits(model.config(), 1 << 26));
  const auto& h = parsed.header;
  std::vector<int32_t> z = cdc::bitstream::decode_hyper_latent(
      parsed.z.data, parsed.z.size, h.z.channels, h.z.height, h.z.width, model.entropy_tables());
  torch::Tensor medians = model.prior_medians().reshape({1, -1, 1, 1});
  const std::vector<int64_t> shape{1, h.z.channels, h.z.height, h.z.width};
  cdc::HyperParameters p = model.hyper_synthesis(cdc::dequantize_around(z, medians, shape), true);
  return {cdc::scale_indices(model, p.scale), p.mean.clone()};
}

}  // namespace

TEST_CASE("codec: streams encoded with 2 threads decode with 1 thread (many images)") {
  auto model = cdc_test::golden_model();
  const uint32_t sizes[][2] = {{64, 64}, {96, 80}, {192, 128}, {130, 70}, {37, 201}, {160, 160}};
  int images = 0;
  for (uint64_t seed = 0; seed < 18; ++seed) {
    const uint32_t w = sizes[seed % 6][0], h = sizes[seed % 6][1];
    std::vector<uint8_t> pixels = cdc_test::test_image(w, h, seed);
    cdc::ImageView image{pixels.data(), w, h, 3, static_cast<size_t>(w) * 3};
    cdc::CodecSettings encode_settings;
    encode_settings.threads = 2;
    const std::vector<uint8_t> stream = cdc::encode_image(*model, image, encode_settings, {});

    const Tables two = tables_from_stream(*model, stream, 2);
    const Tables one = tables_from_stream(*model, stream, 1);
    CHECK(one.indices == two.indices);
    CHECK(torch::equal(one.mean, two.mean));

    // The whole decode with one thread succeeds (the coder's final-state check
    // would catch a different table choice).
    std::vector<uint8_t> out(pixels.size());
    cdc::MutableImageView view{out.data(), w, h, 3, static_cast<size_t>(w) * 3};
    cdc::CodecSettings decode_settings;
    decode_settings.threads = 1;
    decode_settings.steps = 1;
    CHECK_NOTHROW(
        cdc::decode_image(*model, stream.data(), stream.size(), view, decode_settings, {}));
    ++images;
  }
  CHECK(images == 18);
  cdc::set_compute_threads(0);
}


TEST_CASE("codec: the same image and stream give the same stream and pixels with 1 and 2 threads") {
  auto model = cdc_test::golden_model();
  const uint32_t sizes[][2] = {{64, 64}, {192, 128}, {130, 70}, {320, 256}};
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const uint32_t w = sizes[seed][0], h = sizes[seed][1];
    INFO("image " << w << "x" << h);
    std::vector<uint8_t> pixels = cdc_test::test_image(w, h, seed);
    cdc::ImageView image{pixels.data(), w, h, 3, static_cast<size_t>(w) * 3};
    std::vector<uint8_t> streams[2];
    for (int threads = 1; threads <= 2; ++threads) {
      cdc::CodecSettings s;
      s.threads = threads;
      streams[threads - 1] = cdc::encode_image(*model, image, s, {});
    }
    CHECK(streams[0] == streams[1]);
    for (double gamma : {0.0, 0.8}) {
      INFO("gamma " << gamma);
      std::vector<uint8_t> out[2];
      for (int threads = 1; threads <= 2; ++threads) {
        cdc::CodecSettings s;
        s.threads = threads;
        s.steps = 3;
        s.gamma = gamma;
        s.seed = 11;
        out[threads - 1].resize(pixels.size());
        cdc::MutableImageView view{out[threads - 1].data(), w, h, 3, static_cast<size_t>(w) * 3};
        cdc::decode_image(*model, streams[0].data(), streams[0].size(), view, s, {});
      }
      CHECK(out[0] == out[1]);
    }
  }
  cdc::set_compute_threads(0);
}

TEST_CASE("rate_bits: the stream's rate estimate does not depend on the thread count") {
  // libtorch's parallel sum gives other last bits with 2 threads for some sizes
  // (100,003 elements is one); the estimate is part of every stream.
  for (int64_t n : {100003, 589824, 1000003}) {
    torch::manual_seed(5);
    const torch::Tensor p = torch::rand({n}).clamp_min(1e-12);
    cdc::set_compute_threads(1);
    const double one = cdc::rate_bits(p);
    cdc::set_compute_threads(2);
    const double two = cdc::rate_bits(p);
    CHECK(one == two);  // bit for bit
    CHECK(one > 0);
  }
  cdc::set_compute_threads(0);
}
