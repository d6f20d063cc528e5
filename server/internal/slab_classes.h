// memcached's slab class table. The engine allocates each item with malloc
// at its exact size; the table says which class memcached would file an item
// under (`stats items`, `stats slabs`) and how many chunks a page of each
// class holds, which SlabPages (slab_pages.h) uses to count pages the way
// memcached's allocator takes them.
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
// memcached 1.6.18's slab page (fixed there; CacheOptions::slab_page_size).
constexpr size_t kSlabPageSize = 1024 * 1024;
// sizeof(item_chunk) in memcached 1.6 on 64-bit: the header of each chunk of
// an item larger than slab_chunk_max.
constexpr size_t kMemcachedChunkHeader = 48;

class SlabClasses {
 public:
  SlabClasses(size_t chunk_size, double factor, size_t slab_chunk_max,
              size_t page_size = kSlabPageSize);

  // The class whose chunks hold an item of memcached size `ntotal` (1-based);
  // the largest class for anything bigger.
  uint8_t ClassFor(size_t ntotal) const;

  // Number of the largest class.
  int largest() const { return static_cast<int>(sizes_.size()) - 1; }
  // Chunk size of class `id` (1..largest()).
  size_t chunk_size(int id) const { return sizes_[static_cast<size_t>(id)]; }
  size_t chunks_per_page(int id) const { return page_size_ / sizes_[static_cast<size_t>(id)]; }
  size_t page_size() const { return page_size_; }
  size_t slab_chunk_max() const { return sizes_.back(); }

  // The slab chunks memcached 1.6 takes for an item of memcached size
  // `ntotal` (MemcachedItemSize) with a `nkey`-byte key, `nsuffix` (0 or 4)
  // bytes of client flags, `nbytes` value bytes and an 8-byte CAS when
  // `use_cas`: one chunk of ClassFor(ntotal) up to slab_chunk_max; above it a
  // header chunk (item + item_chunk header + key + flags + CAS) and the value
  // (with its "\r\n") in chunks of at most slab_chunk_max, each holding its
  // size minus the 48-byte chunk header, the last one in the smallest class
  // that fits what remains (do_item_alloc, do_item_alloc_chunk). Appends
  // class ids to `out` (cleared first).
  void ChunksFor(size_t ntotal, size_t nkey, size_t nsuffix, size_t nbytes, bool use_cas,
                 std::vector<uint8_t>* out) const;

 private:
  std::vector<size_t> sizes_;  // sizes_[0] unused.
  size_t page_size_;
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_INTERNAL_SLAB_CLASSES_H_
