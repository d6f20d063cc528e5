#include "server/internal/slab_classes.h"

#include <algorithm>

#include "server/internal/item.h"

namespace memkit {
namespace server {
namespace internal {

SlabClasses::SlabClasses(size_t chunk_size, double factor, size_t slab_chunk_max) {
  sizes_.push_back(0);
  size_t size = kMemcachedItemHeader + chunk_size;
  while (static_cast<int>(sizes_.size()) < kMaxSlabClasses - 1 &&
         static_cast<double>(size) < static_cast<double>(slab_chunk_max) / factor) {
    if (size % 8 != 0) size += 8 - size % 8;  // CHUNK_ALIGN_BYTES
    sizes_.push_back(size);
    size = static_cast<size_t>(static_cast<double>(size) * factor);
  }
  sizes_.push_back(slab_chunk_max);
}

uint8_t SlabClasses::ClassFor(size_t ntotal) const {
  auto it = std::lower_bound(sizes_.begin() + 1, sizes_.end(), ntotal);
  if (it == sizes_.end()) return static_cast<uint8_t>(largest());
  return static_cast<uint8_t>(it - sizes_.begin());
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
