// Where the codec's networks run (CDC_OPTION_DEVICE): the CPU, or a CUDA
// device when the engine's libtorch was built with CUDA and a device is
// visible. The entropy coder's inputs (the hyper synthesis) are always
// computed on the CPU, so streams decode on either device.
#pragma once

#include <torch/torch.h>

#include <string>

namespace cdc {

// Empty when `device` (kDeviceCpu / kDeviceCuda of common/codec_settings.h)
// can run in this process, else the reason it cannot.
std::string device_unavailable_reason(int device);

// Throws cdc::Error(CDC_STATUS_UNSUPPORTED) with that reason.
void check_device_available(int device);

// The torch device of a CDC_OPTION_DEVICE value (CUDA: the first device).
torch::Device torch_device(int device);

}  // namespace cdc
