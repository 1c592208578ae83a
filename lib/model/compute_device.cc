#include "model/compute_device.h"

#include "common/codec_settings.h"
#include "common/error.h"

namespace cdc {

std::string device_unavailable_reason(int device) {
  if (device == kDeviceCpu) return {};
  if (device != kDeviceCuda) return "unknown device " + std::to_string(device);
  if (!torch::cuda::is_available())
    return "CUDA is not available: this libcdc engine's libtorch was built without CUDA or no "
           "CUDA device is visible (the CPU device works everywhere)";
  return {};
}

void check_device_available(int device) {
  const std::string why = device_unavailable_reason(device);
  if (!why.empty()) fail(CDC_STATUS_UNSUPPORTED, "{}", why);
}

torch::Device torch_device(int device) {
  return device == kDeviceCuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

}  // namespace cdc
