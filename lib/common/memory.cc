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
  // The whole huge pages of a 2 MiB aligned buffer are offered; the tail
  // stays on small pages, so that no memory is wasted on rounding.
  const size_t huge = size / kHugePage * kHugePage;
  void* p = std::aligned_alloc(huge > 0 ? kHugePage : 64, size);
  if (p == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  if (huge > 0) madvise(p, huge, MADV_HUGEPAGE);
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
