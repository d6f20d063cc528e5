#include "server/internal/slab_classes.h"

#include <algorithm>

#include "server/internal/item.h"

namespace memkit {
namespace server {
namespace internal {

SlabClasses::SlabClasses(size_t chunk_size, double factor, size_t slab_chunk_max, size_t page_size)
    : page_size_(page_size) {
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

void SlabClasses::ChunksFor(size_t ntotal, size_t nkey, size_t nsuffix, size_t nbytes, bool use_cas,
                            std::vector<uint8_t>* out) const {
  out->clear();
  const size_t chunk_max = slab_chunk_max();
  if (ntotal <= chunk_max) {
    out->push_back(ClassFor(ntotal));
    return;
  }
  const size_t header =
      nkey + 1 + nsuffix + kMemcachedItemHeader + kMemcachedChunkHeader + (use_cas ? 8 : 0);
  out->push_back(ClassFor(header));
  // The value as memcached reads it, "\r\n" included.
  size_t remain = nbytes + 2;
  while (remain > 0) {
    const size_t size = std::min(remain + kMemcachedChunkHeader, chunk_max);
    out->push_back(ClassFor(size));
    remain -= std::min(remain, size - kMemcachedChunkHeader);
  }
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
