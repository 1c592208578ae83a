// FloatTensor: a dense float32 array with a shape (row-major, contiguous),
// whose data is shared and read-only. The inference path's parameters are
// FloatTensors, so that it runs without libtorch: they may own their data,
// point into a model file's bytes, or alias a torch tensor (which the
// torch side keeps alive through the shared pointer's deleter).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

namespace cdc {

class FloatTensor {
 public:
  FloatTensor() = default;
  // A tensor over `data`, which must hold at least the shape's element count.
  FloatTensor(std::vector<int64_t> shape, std::shared_ptr<const float> data);
  // A new tensor with the given values (their count must match the shape).
  static FloatTensor from_values(std::vector<int64_t> shape, std::vector<float> values);

  bool defined() const { return data_ != nullptr; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  // Size of dimension i (negative counts from the end).
  int64_t size(int64_t i) const;
  int64_t numel() const;
  const float* data() const { return data_.get(); }
  const std::shared_ptr<const float>& shared_data() const { return data_; }

  // The same data with another shape of the same element count.
  FloatTensor reshape(std::vector<int64_t> shape) const;
  // A copy of channels [begin, begin + count) of dimension 1 of a 4-D tensor
  // (an OIHW weight's input channels).
  FloatTensor narrow_dim1(int64_t begin, int64_t count) const;

 private:
  std::vector<int64_t> shape_;
  std::shared_ptr<const float> data_;
};

// The product of the sizes (1 for an empty shape).
int64_t shape_numel(const std::vector<int64_t>& shape);

}  // namespace cdc
