// memcached's slab class table, used only to report per-size-class stats
// (`stats slabs`, `stats items`) the way memcached groups them. The engine
// itself allocates each item with malloc at its exact size.
//
// memcached 1.6 builds the table from -n (chunk_size, default 48), -f
// (growth factor, default 1.25) and slab_chunk_max (default 512 KiB): the
// first class holds 48 + chunk_size bytes, each next one is `factor` times
// larger rounded up to 8, until slab_chunk_max / factor; the last class is
// slab_chunk_max. Larger items are chunked and counted in the last class.
//
// Thread-safety: immutable after construction.

#ifndef MEMKIT_SERVER_INTERNAL_SLAB_CLASSES_H_
#define MEMKIT_SERVER_INTERNAL_SLAB_CLASSES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memkit {
namespace server {
namespace internal {

// memcached's MAX_NUMBER_OF_SLAB_CLASSES: ids run 1..63.
constexpr int kMaxSlabClasses = 64;
// memcached's default slab page (-o slab_page_size).
constexpr size_t kSlabPageSize = 1024 * 1024;

class SlabClasses {
 public:
  SlabClasses(size_t chunk_size, double factor, size_t slab_chunk_max);

  // The class whose chunks hold an item of memcached size `ntotal` (1-based);
  // the largest class for anything bigger.
  uint8_t ClassFor(size_t ntotal) const;

  // Number of the largest class.
  int largest() const { return static_cast<int>(sizes_.size()) - 1; }
  // Chunk size of class `id` (1..largest()).
  size_t chunk_size(int id) const { return sizes_[static_cast<size_t>(id)]; }
  size_t chunks_per_page(int id) const { return kSlabPageSize / sizes_[static_cast<size_t>(id)]; }

 private:
  std::vector<size_t> sizes_;  // sizes_[0] unused.
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_INTERNAL_SLAB_CLASSES_H_
