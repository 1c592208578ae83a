// What the CPU this process runs on can do, detected at run time (cpuid), for
// choices that depend on the machine rather than on the build.
#pragma once

namespace cdc {

// True when the CPU computes bfloat16 natively: AVX512-BF16 or AMX-BF16 (and
// the OS enables the AVX-512 state). Without it bfloat16 is emulated and
// slower than float32.
bool cpu_has_native_bf16();

}  // namespace cdc
