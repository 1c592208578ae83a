// cxx_roundtrip: the C++ way to use libcdc, through the RAII holders of
// <cdc_cxx.h>. Encodes a synthetic 256x192 RGB image with a model (a built-in
// name or a model file; the default built-in model without an argument),
// decodes it and prints the rate and the PSNR.
//
//   cxx_roundtrip [MODEL]
#include <cdc.h>
#include <cdc_cxx.h>

#include <cmath>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  const uint32_t width = 256, height = 192;
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * 3);
  for (uint32_t y = 0; y < height; ++y)
    for (uint32_t x = 0; x < width; ++x) {
      uint8_t* p = &pixels[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x);
      p[1] = static_cast<uint8_t>(y + x / 2);
      p[2] = static_cast<uint8_t>(128 + 100 * std::sin(x * 0.05) * std::cos(y * 0.07));
    }

  cdc_status status = CDC_STATUS_OK;
  cdc::ModelPtr model = cdc::load_model(argc > 1 ? argv[1] : "", &status);
  if (!model) {
    std::fprintf(stderr, "cannot load the model: %s\n", cdc::describe(status).c_str());
    return 1;
  }
  cdc::ContextPtr context = cdc::make_context(&status);
  if (!context) {
    std::fprintf(stderr, "cannot create a context: %s\n", cdc::describe(status).c_str());
    return 1;
  }

  uint8_t* data = nullptr;
  size_t size = 0;
  status = cdc_encode(context.get(), model.get(), pixels.data(), width, height, CDC_PIXEL_RGB8, 0,
                      &data, &size);
  cdc::BufferPtr stream(data);  // freed on every path from here on
  if (status != CDC_STATUS_OK) {
    std::fprintf(stderr, "encode: %s\n", cdc::describe(status, context.get()).c_str());
    return 1;
  }

  std::vector<uint8_t> decoded(pixels.size());
  status = cdc_decode(context.get(), model.get(), stream.get(), size, decoded.data(),
                      decoded.size(), CDC_PIXEL_RGB8, 0);
  if (status != CDC_STATUS_OK) {
    std::fprintf(stderr, "decode: %s\n", cdc::describe(status, context.get()).c_str());
    return 1;
  }
  double sse = 0;
  for (size_t i = 0; i < pixels.size(); ++i) {
    const double d = static_cast<double>(pixels[i]) - decoded[i];
    sse += d * d;
  }
  const double mse = sse / static_cast<double>(pixels.size());
  std::printf("model %s: %zu bytes, %.4f bpp, PSNR %.2f dB\n", cdc::model_id(model.get()).c_str(),
              size, size * 8.0 / (static_cast<double>(width) * height),
              mse > 0 ? 10 * std::log10(255.0 * 255.0 / mse) : INFINITY);
  return 0;
}
