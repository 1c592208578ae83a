#include "codec/latent_symbols.h"

#include <cmath>
#include <limits>

#include "common/error.h"

namespace cdc {

std::vector<int32_t> quantize_around(const torch::Tensor& value, const torch::Tensor& center) {
  torch::Tensor q = (value.to(torch::kFloat64) - center.to(torch::kFloat64)).round().contiguous();
  const double* p = q.data_ptr<double>();
  const int64_t n = q.numel();
  std::vector<int32_t> symbols(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (!(std::fabs(p[i]) <= 1e9))
      fail(CDC_STATUS_LIMIT_EXCEEDED, "latent value {} is out of the codable range", p[i]);
    symbols[static_cast<size_t>(i)] = static_cast<int32_t>(p[i]);
  }
  return symbols;
}

torch::Tensor dequantize_around(const std::vector<int32_t>& symbols, const torch::Tensor& center,
                                at::IntArrayRef shape) {
  torch::Tensor s = torch::from_blob(const_cast<int32_t*>(symbols.data()), shape, torch::kInt32)
                        .to(torch::kFloat32);
  return (s + center.to(torch::kFloat32)).contiguous();
}

std::vector<int32_t> scale_indices(const Model& model, const torch::Tensor& scale) {
  const entropy::EntropyTables& tables = model.entropy_tables();
  torch::Tensor s = scale.to(torch::kFloat64).contiguous();
  const double* p = s.data_ptr<double>();
  std::vector<int32_t> indices(static_cast<size_t>(s.numel()));
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = tables.scale_index(p[i]);
  return indices;
}

}  // namespace cdc
