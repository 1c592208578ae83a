#include "common/memory.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cdc {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}  // namespace

void* allocate_large(size_t bytes) {
  size_t size = (bytes + 63) / 64 * 64;
  if (size == 0) size = 64;
  size_t alignment = 64;
  if (size >= kHugePage / 2) {
    size = (size + kHugePage - 1) / kHugePage * kHugePage;
    alignment = kHugePage;
  }
  void* p = std::aligned_alloc(alignment, size);
  if (p == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  if (alignment == kHugePage) madvise(p, size, MADV_HUGEPAGE);
#endif
  return p;
}

std::shared_ptr<uint8_t> make_large_buffer(size_t bytes) {
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(allocate_large(bytes)),
                                  [](uint8_t* p) { std::free(p); });
}

void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace cdc
