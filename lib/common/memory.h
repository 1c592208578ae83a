// Returning freed memory to the system between the tiles of a large image.
#pragma once

namespace cdc {

// Hands the allocator's free pages back to the system (glibc: malloc_trim),
// so that the resident memory of a tiled run stays that of one tile: without
// it, freed blocks of one tile's shapes stay resident while the next tile's
// shapes need new ones. A no-op where the C library has no such call.
void release_free_memory();

}  // namespace cdc
