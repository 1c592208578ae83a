#include "common/float_tensor.h"

#include <algorithm>
#include <utility>

#include "common/error.h"

namespace cdc {

int64_t shape_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

FloatTensor::FloatTensor(std::vector<int64_t> shape, std::shared_ptr<const float> data)
    : shape_(std::move(shape)), data_(std::move(data)) {
  for (int64_t s : shape_)
    if (s < 0) fail(CDC_STATUS_INTERNAL_ERROR, "FloatTensor: negative size");
}

FloatTensor FloatTensor::from_values(std::vector<int64_t> shape, std::vector<float> values) {
  if (shape_numel(shape) != static_cast<int64_t>(values.size()))
    fail(CDC_STATUS_INTERNAL_ERROR, "FloatTensor: {} values for {} elements", values.size(),
         shape_numel(shape));
  auto owner = std::make_shared<std::vector<float>>(std::move(values));
  return FloatTensor(std::move(shape), std::shared_ptr<const float>(owner, owner->data()));
}

int64_t FloatTensor::size(int64_t i) const {
  const int64_t d = dim();
  if (i < 0) i += d;
  if (i < 0 || i >= d) fail(CDC_STATUS_INTERNAL_ERROR, "FloatTensor: no dimension {}", i);
  return shape_[static_cast<size_t>(i)];
}

int64_t FloatTensor::numel() const { return shape_numel(shape_); }

FloatTensor FloatTensor::reshape(std::vector<int64_t> shape) const {
  if (shape_numel(shape) != numel())
    fail(CDC_STATUS_INTERNAL_ERROR, "FloatTensor: cannot reshape {} elements to {}", numel(),
         shape_numel(shape));
  return FloatTensor(std::move(shape), data_);
}

FloatTensor FloatTensor::narrow_dim1(int64_t begin, int64_t count) const {
  if (dim() != 4 || begin < 0 || count < 0 || begin + count > shape_[1])
    fail(CDC_STATUS_INTERNAL_ERROR, "FloatTensor: bad narrow of dimension 1");
  const int64_t outer = shape_[0], inner = shape_[2] * shape_[3];
  std::vector<float> v(static_cast<size_t>(outer * count * inner));
  for (int64_t o = 0; o < outer; ++o)
    std::copy_n(data() + (o * shape_[1] + begin) * inner, count * inner,
                v.data() + o * count * inner);
  return from_values({outer, count, shape_[2], shape_[3]}, std::move(v));
}

}  // namespace cdc
