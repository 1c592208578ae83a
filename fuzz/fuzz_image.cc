// libFuzzer target: the cdc tool's image reading (tools/image_io: our code
// around libpng and libjpeg-turbo): decode_image on any bytes with a pixel
// limit, then, for what decodes, PNG and JPEG encoding of the result and a
// re-decode that must give the same size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "image_io/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cdc_tools::Image image;
  std::string error;
  if (!cdc_tools::decode_image(data, size, uint64_t{1} << 20, &image, &error)) return 0;
  if (image.width == 0 || image.height == 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels)
    std::abort();  // a decoded image must be consistent
  std::vector<uint8_t> png, jpeg;
  if (!cdc_tools::encode_png(image, &png, &error)) std::abort();
  cdc_tools::Image again;
  if (!cdc_tools::decode_image(png.data(), png.size(), uint64_t{1} << 20, &again, &error) ||
      again.width != image.width || again.height != image.height)
    std::abort();
  cdc_tools::encode_jpeg(image, 75, &jpeg, &error);
  return 0;
}
