// SlabPages: memcached's slab page accounting without its allocator.
//
// memcached carves memory into pages (1 MiB in 1.6.18) that each
// belong to one slab class and hold chunks_per_page chunks of that class. An
// item takes a free chunk of its class; when the class has none, the class
// gets a new page unless the pages already taken (`total_malloced`) plus one
// would pass -m and the class already has a page (memcached's
// do_slabs_newslab: every class may always take its first page). When neither
// works, the caller evicts an item of that class and tries again. Freed
// chunks go back to their class, never to the memory limit, so replacing items
// with items of the same size takes no new page.
//
// The engine mallocs each item at its exact size; this class only counts what
// memcached would have taken, so `stats slabs` (total_pages, used_chunks,
// free_chunks, total_malloced) and the per-class evictions come out as
// memcached's for the same sequence of stores.
//
// Thread-safety: all methods are thread-safe. Taking and returning chunks is
// lock-free; adding a page takes an internal mutex so that two threads do not
// both add one for the same shortage.

#ifndef MEMKIT_SERVER_INTERNAL_SLAB_PAGES_H_
#define MEMKIT_SERVER_INTERNAL_SLAB_PAGES_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/sync/mutex.h"
#include "server/internal/slab_classes.h"

namespace memkit {
namespace server {
namespace internal {

class SlabPages {
 public:
  // `classes` must outlive this object. `limit` is -m in bytes.
  SlabPages(const SlabClasses* classes, uint64_t limit);

  SlabPages(const SlabPages&) = delete;
  SlabPages& operator=(const SlabPages&) = delete;

  // Takes one chunk of class `id`, adding a page to the class if it has no
  // free chunk and the limit allows. False: the caller must free a chunk of
  // this class (evict) or give up.
  bool TakeChunk(int id);
  // Returns a chunk taken by TakeChunk.
  void ReturnChunk(int id);

  // cache_memlimit: later page requests are checked against `limit`. Pages
  // already taken stay (memcached frees none either).
  void set_limit(uint64_t limit) { limit_.store(limit, std::memory_order_relaxed); }
  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }

  // stats slabs: total_malloced, and per class total_pages and used_chunks.
  uint64_t total_malloced() const { return malloced_.load(std::memory_order_relaxed); }
  uint64_t pages(int id) const;
  uint64_t used_chunks(int id) const;

 private:
  struct ClassState {
    std::atomic<uint64_t> pages{0};
    std::atomic<uint64_t> used{0};
  };

  // Adds a page to class `id` unless the class gained free chunks meanwhile
  // (true then too) or the limit forbids it (false).
  bool AddPage(int id);

  const SlabClasses* const classes_;
  std::atomic<uint64_t> limit_;
  std::atomic<uint64_t> malloced_{0};
  ClassState states_[kMaxSlabClasses];
  Mutex grow_mu_;  // serialises AddPage
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_INTERNAL_SLAB_PAGES_H_
