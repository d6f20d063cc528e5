// A snapshot of the storage engine's statistics, named after the `stats`,
// `stats items`, `stats slabs` and `stats settings` fields memcached 1.6
// prints, so handlers can print them one to one.
//
// Thread-safety: a plain value.

#ifndef MEMKIT_SERVER_CACHE_STATS_H_
#define MEMKIT_SERVER_CACHE_STATS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memkit {
namespace server {

// memcached keeps item and hit counters per slab class. The engine does not
// allocate from slabs; it files each item under the class memcached would
// use for its size (same -n/-f table) and counts the slab pages and chunks
// memcached would take, so these line up with memcached's.
// Each shard keeps one per class; GetStats() adds the shards' up with +=.
struct SlabClassCounters {
  uint64_t number = 0;         // items:N:number, slabs used_chunks
  uint64_t mem_requested = 0;  // items:N:mem_requested, slabs mem_requested
  uint64_t evicted = 0;
  uint64_t evicted_nonzero = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t evicted_time = 0;  // Idle seconds of the last evicted item...
  uint64_t evicted_at = 0;    // ...and when it was evicted (to pick the latest).
  uint64_t expired_unfetched = 0;
  uint64_t reclaimed = 0;
  uint64_t crawler_reclaimed = 0;
  uint64_t outofmemory = 0;
  uint64_t get_hits = 0;
  uint64_t cmd_set = 0;
  uint64_t delete_hits = 0;
  uint64_t incr_hits = 0;
  uint64_t decr_hits = 0;
  uint64_t cas_hits = 0;
  uint64_t cas_badval = 0;
  uint64_t touch_hits = 0;

  // Adds `other`'s counts; evicted_time and evicted_at become those of the
  // later eviction of the two.
  SlabClassCounters& operator+=(const SlabClassCounters& other) {
    number += other.number;
    mem_requested += other.mem_requested;
    evicted += other.evicted;
    evicted_nonzero += other.evicted_nonzero;
    evicted_unfetched += other.evicted_unfetched;
    if (other.evicted != 0 && other.evicted_at >= evicted_at) {
      evicted_at = other.evicted_at;
      evicted_time = other.evicted_time;
    }
    expired_unfetched += other.expired_unfetched;
    reclaimed += other.reclaimed;
    crawler_reclaimed += other.crawler_reclaimed;
    outofmemory += other.outofmemory;
    get_hits += other.get_hits;
    cmd_set += other.cmd_set;
    delete_hits += other.delete_hits;
    incr_hits += other.incr_hits;
    decr_hits += other.decr_hits;
    cas_hits += other.cas_hits;
    cas_badval += other.cas_badval;
    touch_hits += other.touch_hits;
    return *this;
  }

  // Whether the class has items or any activity (memcached lists only those).
  bool active() const {
    return number != 0 || evicted != 0 || cmd_set != 0 || get_hits != 0 || outofmemory != 0 ||
           reclaimed != 0 || crawler_reclaimed != 0 || delete_hits != 0 || incr_hits != 0 ||
           decr_hits != 0 || cas_hits != 0 || cas_badval != 0 || touch_hits != 0;
  }
};

// One slab class's counters with its place in the class table and its pages.
struct SlabClassStats : SlabClassCounters {
  int id = 0;
  size_t chunk_size = 0;       // stats slabs chunk_size
  size_t chunks_per_page = 0;  // stats slabs chunks_per_page
  uint64_t total_pages = 0;    // stats slabs total_pages (never shrinks)
  // stats slabs used_chunks: chunks of this class taken by linked items,
  // including the header and last chunks of larger items filed elsewhere.
  // free_chunks is total_pages * chunks_per_page - used_chunks.
  uint64_t used_chunks = 0;
  uint64_t age = 0;  // items:N:age: seconds since this class's LRU tail was used
};

struct CacheStats {
  // Settings (stats: limit_maxbytes; stats settings: item_size_max, ...).
  uint64_t limit_maxbytes = 0;
  uint64_t item_size_max = 0;
  uint64_t slab_chunk_max = 0;
  bool evictions_enabled = true;
  bool cas_enabled = true;
  int largest_slab_class = 0;  // memcached's power_largest for -n/-f/-I
  uint32_t oldest_live = 0;    // memcached's settings.oldest_live (last flush_all)

  // State.
  uint64_t curr_items = 0;
  uint64_t bytes = 0;       // Sum of memcached item sizes of stored items.
  uint64_t heap_bytes = 0;  // What those items really take (header+key+value).
  // stats slabs total_malloced: slab pages memcached would have taken, in
  // bytes. It grows a page at a time and never shrinks.
  uint64_t total_malloced = 0;
  uint64_t total_items = 0;
  uint64_t hash_power_level = 0;  // log2 of all shards' buckets.
  uint64_t hash_bytes = 0;
  // Seconds since the least recently used item (over all shards' LRU tails)
  // was last accessed: what memcached prints as items:N:age, per class.
  uint64_t lru_tail_age = 0;

  // Commands.
  uint64_t cmd_get = 0;
  uint64_t cmd_set = 0;
  uint64_t cmd_flush = 0;
  uint64_t cmd_touch = 0;
  uint64_t get_hits = 0;
  uint64_t get_misses = 0;
  uint64_t get_expired = 0;
  uint64_t get_flushed = 0;
  uint64_t delete_misses = 0;
  uint64_t delete_hits = 0;
  uint64_t incr_misses = 0;
  uint64_t incr_hits = 0;
  uint64_t decr_misses = 0;
  uint64_t decr_hits = 0;
  uint64_t cas_misses = 0;
  uint64_t cas_hits = 0;
  uint64_t cas_badval = 0;
  uint64_t touch_hits = 0;
  uint64_t touch_misses = 0;
  uint64_t store_too_large = 0;
  uint64_t store_no_memory = 0;

  // Items.
  uint64_t evictions = 0;
  uint64_t evicted_nonzero = 0;
  uint64_t evicted_unfetched = 0;
  uint64_t expired_unfetched = 0;
  uint64_t reclaimed = 0;
  uint64_t crawler_reclaimed = 0;
  uint64_t crawler_items_checked = 0;
  uint64_t outofmemory = 0;

  // Classes with items, pages or activity, in ascending id.
  std::vector<SlabClassStats> slab_classes;
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_CACHE_STATS_H_
