// The training and validation photos, decoded once into memory (8-bit RGB),
// and the random crops of a training batch.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace cdc::train {

class PhotoSet {
 public:
  // Decodes every .png / .jpg / .jpeg in `folder` (sorted by name; gray is
  // expanded to RGB, alpha dropped). Photos with a side below `min_side` are
  // skipped; at most `max_photos` are kept (0: all). Throws cdc::Error
  // (IO_ERROR / INVALID_ARGUMENT) for an unreadable folder, an undecodable
  // file or a folder with no usable photo.
  static PhotoSet load_folder(const std::string& folder, int min_side, int max_photos = 0);

  // From HxWx3 uint8 tensors (tests, synthetic data).
  static PhotoSet from_tensors(std::vector<torch::Tensor> photos);

  size_t size() const { return photos_.size(); }
  size_t skipped() const { return skipped_; }
  int64_t total_pixels() const;
  const torch::Tensor& photo(size_t i) const { return photos_[i]; }  // HxWx3 uint8
  const std::string& name(size_t i) const { return names_[i]; }

  // A batch of random crops: Bx3xcropxcrop float32 in [-1, 1], each from a
  // uniformly chosen photo at a uniform position, flipped left-right with
  // probability 1/2. Every random number comes from `gen` (a CPU generator).
  torch::Tensor sample_crops(int batch, int crop, at::Generator& gen) const;

 private:
  std::vector<torch::Tensor> photos_;
  std::vector<std::string> names_;
  size_t skipped_ = 0;
};

// The centre crop of an HxWx3 photo with sides of at most max_side.
torch::Tensor centre_crop(const torch::Tensor& photo, int max_side);

}  // namespace cdc::train
