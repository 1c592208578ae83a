// Large buffers backed by huge pages, and returning freed memory to the
// system between the tiles of a large image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace cdc {

// A 64-byte aligned buffer of at least `bytes` bytes, released with
// std::free. Buffers of 2 MiB and more are aligned to 2 MiB and their whole
// 2 MiB pages offered to the kernel for transparent huge pages (advice only;
// the tail stays on small pages, so nothing is wasted): the first touch of a
// fresh buffer then costs one page fault per 2 MiB instead of one per 4 KiB. On the virtual machines measured, 4 KiB faults
// cost about 3 ms per MB, more than writing the memory; every decode's
// activations and every model file read are fresh memory. Throws
// std::bad_alloc.
void* allocate_large(size_t bytes);

// The same as a shared buffer of bytes.
std::shared_ptr<uint8_t> make_large_buffer(size_t bytes);

// Hands the allocator's free pages back to the system (glibc: malloc_trim),
// so that the resident memory of a tiled run stays that of one tile: without
// it, freed blocks of one tile's shapes stay resident while the next tile's
// shapes need new ones. A no-op where the C library has no such call.
void release_free_memory();

}  // namespace cdc
