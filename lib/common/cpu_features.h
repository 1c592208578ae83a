// What the CPU this process runs on can do, detected at run time (cpuid), for
// choices that depend on the machine rather than on the build.
#pragma once

namespace cdc {

// True when the CPU computes bfloat16 natively: AVX512-BF16 or AMX-BF16 (and
// the OS enables the AVX-512 state). Without it bfloat16 is emulated and
// slower than float32.
bool cpu_has_native_bf16();

// True when the CPU has AVX2 and FMA and the OS enables the AVX state: where
// libtorch's CPU kernels run their AVX2 versions.
bool cpu_has_avx2_fma();

}  // namespace cdc
