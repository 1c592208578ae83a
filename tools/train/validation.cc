#include "train/validation.h"

#include <chrono>
#include <cmath>

#include "codec/codec.h"
#include "model/model.h"

namespace cdc::train {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

ValidationResult validate_model_file(const std::vector<uint8_t>& model_file, const PhotoSet& photos,
                                     int count, int max_side, int steps, int threads) {
  std::shared_ptr<const Model> model = Model::load_memory(model_file.data(), model_file.size());
  ValidationResult r;
  CodecSettings settings;
  settings.threads = threads;
  settings.steps = steps;
  settings.gamma = 0.0;
  const size_t n = std::min(photos.size(), static_cast<size_t>(std::max(count, 0)));
  for (size_t i = 0; i < n; ++i) {
    torch::Tensor photo = centre_crop(photos.photo(i), max_side);
    ImageView in;
    in.pixels = photo.data_ptr<uint8_t>();
    in.height = static_cast<uint32_t>(photo.size(0));
    in.width = static_cast<uint32_t>(photo.size(1));
    in.channels = 3;
    in.stride = static_cast<size_t>(in.width) * 3;
    auto t0 = std::chrono::steady_clock::now();
    std::vector<uint8_t> stream = encode_image(*model, in, settings, {});
    r.encode_s += seconds_since(t0);
    torch::Tensor decoded = torch::empty_like(photo);
    MutableImageView out{decoded.data_ptr<uint8_t>(), in.width, in.height, 3, in.stride};
    t0 = std::chrono::steady_clock::now();
    decode_image(*model, stream.data(), stream.size(), out, settings, {});
    r.decode_s += seconds_since(t0);
    const double pixels = static_cast<double>(in.width) * in.height;
    const double mse =
        (decoded.to(torch::kFloat64) - photo.to(torch::kFloat64)).pow(2).mean().item<double>();
    r.bpp += static_cast<double>(stream.size()) * 8.0 / pixels;
    r.psnr += 10.0 * std::log10(255.0 * 255.0 / std::max(mse, 1e-10));
    ++r.photos;
  }
  if (r.photos > 0) {
    r.bpp /= r.photos;
    r.psnr /= r.photos;
  }
  return r;
}

}  // namespace cdc::train
