#include "train/photo_set.h"

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "image_io/image_io.h"
#include "model/model_file.h"
#include "common/file_io.h"

namespace cdc::train {

namespace {

bool has_photo_extension(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// HxWx3 uint8 from a decoded image of 1, 3 or 4 channels.
torch::Tensor to_rgb_tensor(const cdc_tools::Image& image) {
  const int64_t h = image.height, w = image.width, c = image.channels;
  torch::Tensor t = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()), {h, w, c},
                                     torch::kUInt8)
                        .clone();
  if (c == 1) return t.expand({h, w, 3}).contiguous();
  if (c == 4) return t.slice(2, 0, 3).contiguous();
  return t;
}

}  // namespace

PhotoSet PhotoSet::load_folder(const std::string& folder, int min_side, int max_photos) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    fail(CDC_STATUS_IO_ERROR, "'{}' is not a readable folder", folder);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder, ec))
    if (entry.is_regular_file() && has_photo_extension(entry.path())) files.push_back(entry.path());
  if (ec) fail(CDC_STATUS_IO_ERROR, "cannot list '{}': {}", folder, ec.message());
  std::sort(files.begin(), files.end());

  PhotoSet set;
  for (const auto& path : files) {
    if (max_photos > 0 && set.size() >= static_cast<size_t>(max_photos)) break;
    const std::vector<uint8_t> bytes = read_whole_file(path.string());
    cdc_tools::Image image;
    std::string error;
    if (!cdc_tools::decode_image(bytes.data(), bytes.size(), uint64_t{1} << 28, &image, &error))
      fail(CDC_STATUS_INVALID_ARGUMENT, "{}: {}", path.string(), error);
    if (static_cast<int>(std::min(image.width, image.height)) < min_side) {
      ++set.skipped_;
      continue;
    }
    set.photos_.push_back(to_rgb_tensor(image));
    set.names_.push_back(path.filename().string());
  }
  if (set.photos_.empty())
    fail(CDC_STATUS_INVALID_ARGUMENT, "no PNG or JPEG photo of at least {}x{} pixels in '{}'",
         min_side, min_side, folder);
  return set;
}

PhotoSet PhotoSet::from_tensors(std::vector<torch::Tensor> photos) {
  PhotoSet set;
  for (auto& p : photos) {
    CDC_CHECK(p.dim() == 3 && p.size(2) == 3 && p.scalar_type() == torch::kUInt8);
    set.names_.push_back("photo" + std::to_string(set.photos_.size()));
    set.photos_.push_back(p.contiguous());
  }
  return set;
}

int64_t PhotoSet::total_pixels() const {
  int64_t n = 0;
  for (const auto& p : photos_) n += p.size(0) * p.size(1);
  return n;
}

torch::Tensor PhotoSet::sample_crops(int batch, int crop, at::Generator& gen) const {
  CDC_CHECK(!photos_.empty() && batch > 0 && crop > 0);
  torch::Tensor u = torch::rand({batch, 4}, gen, torch::kFloat64);
  auto a = u.accessor<double, 2>();
  std::vector<torch::Tensor> crops;
  crops.reserve(batch);
  const auto n = static_cast<double>(photos_.size());
  for (int b = 0; b < batch; ++b) {
    const auto index = std::min(static_cast<size_t>(a[b][0] * n), photos_.size() - 1);
    const torch::Tensor& p = photos_[index];
    const int64_t h = p.size(0), w = p.size(1);
    CDC_CHECK(h >= crop && w >= crop);
    const int64_t top = std::min(static_cast<int64_t>(a[b][1] * (h - crop + 1)), h - crop);
    const int64_t left = std::min(static_cast<int64_t>(a[b][2] * (w - crop + 1)), w - crop);
    torch::Tensor c = p.slice(0, top, top + crop).slice(1, left, left + crop);
    if (a[b][3] < 0.5) c = c.flip({1});
    crops.push_back(c);
  }
  return torch::stack(crops).permute({0, 3, 1, 2}).to(torch::kFloat32).div_(127.5).sub_(1.0)
      .contiguous();
}

torch::Tensor centre_crop(const torch::Tensor& photo, int max_side) {
  const int64_t h = std::min<int64_t>(photo.size(0), max_side);
  const int64_t w = std::min<int64_t>(photo.size(1), max_side);
  const int64_t top = (photo.size(0) - h) / 2, left = (photo.size(1) - w) / 2;
  return photo.slice(0, top, top + h).slice(1, left, left + w).contiguous();
}

}  // namespace cdc::train
