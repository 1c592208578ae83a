#include "image/preview.h"

#include "image/pixels.h"

namespace cdc {

PreviewImage render_preview(const torch::Tensor& x, std::vector<uint8_t>* storage) {
  PreviewImage image;
  image.width = static_cast<uint32_t>(x.size(3));
  image.height = static_cast<uint32_t>(x.size(2));
  image.stride = static_cast<size_t>(image.width) * 3;
  storage->resize(image.stride * image.height);
  MutableImageView view;
  view.pixels = storage->data();
  view.width = image.width;
  view.height = image.height;
  view.channels = 3;
  view.stride = image.stride;
  tensor_to_image(x, view);
  image.pixels = storage->data();
  return image;
}

}  // namespace cdc
