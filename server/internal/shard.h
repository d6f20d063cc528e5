// One shard of the storage engine: an intrusive chained hash table and one
// LRU list per slab class over the same items (memcached keeps an LRU per
// class and evicts within the class that needs a chunk), plus the shard's
// share of the statistics.
//
// Items carry their own chain and list pointers (see item.h), so the shard
// allocates nothing per item. The table doubles when it holds 1.5 items per
// bucket, as memcached's assoc table does; the rehash runs inline under the
// shard lock (memcached moves buckets from a background thread instead).
//
// Thread-safety: every member function and counter requires `mu`. The shard
// does not touch reference counts or item flags; the cache does.

#ifndef MEMKIT_SERVER_INTERNAL_SHARD_H_
#define MEMKIT_SERVER_INTERNAL_SHARD_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "core/sync/mutex.h"
#include "server/cache_stats.h"
#include "server/internal/item.h"
#include "server/internal/slab_classes.h"

namespace memkit {
namespace server {
namespace internal {

// The engine's key hash. High bits choose the shard, low bits the bucket.
inline uint64_t KeyHash(absl::string_view key) {
  return static_cast<uint64_t>(absl::Hash<absl::string_view>{}(key));
}

// Counters memcached keeps per thread rather than per class.
struct ShardCounters {
  uint64_t total_items = 0;
  uint64_t cmd_get = 0;
  uint64_t cmd_touch = 0;
  uint64_t get_misses = 0;
  uint64_t get_expired = 0;
  uint64_t get_flushed = 0;
  uint64_t delete_misses = 0;
  uint64_t incr_misses = 0;
  uint64_t decr_misses = 0;
  uint64_t cas_misses = 0;
  uint64_t touch_misses = 0;
  uint64_t store_too_large = 0;
  uint64_t store_no_memory = 0;
  uint64_t crawler_items_checked = 0;
};

class Shard {
 public:
  // `initial_buckets` must be a power of two.
  explicit Shard(size_t initial_buckets);
  // Drops the table's reference to every item still linked.
  ~Shard();

  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Locks the shard. Public so the cache can hold it across several calls.
  Mutex mu;

  // The item stored under `key`, or nullptr. Expiry is the caller's business.
  Item* Find(absl::string_view key, uint64_t hash) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Links `it` (not yet linked) into the table and at the head of the LRU of
  // its slab class (it->slab_class, which must not change while linked).
  void Insert(Item* it, uint64_t hash) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Unlinks `it` (linked) from the table and its LRU.
  void Remove(Item* it, uint64_t hash) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Moves a linked item to the head of its LRU.
  void MoveToHead(Item* it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // The LRU of slab class `cls` (0..kMaxSlabClasses-1), head to tail through
  // Item::next.
  Item* lru_tail(int cls) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return tails_[cls]; }
  Item* lru_head(int cls) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return heads_[cls]; }
  size_t item_count() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return count_; }
  size_t bucket_count() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return mask_ + 1; }
  Item* bucket(size_t index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return buckets_[index]; }

  ShardCounters counters ABSL_GUARDED_BY(mu);
  // Per slab class counters (memcached keeps these per class too).
  SlabClassCounters classes[kMaxSlabClasses] ABSL_GUARDED_BY(mu);
  // Heap bytes (header + key + value) of the linked items.
  size_t heap_bytes ABSL_GUARDED_BY(mu) = 0;
  // Where the expiry crawler resumes in this shard's bucket array.
  size_t crawl_cursor ABSL_GUARDED_BY(mu) = 0;
  // This shard's position in the cache; set once before use.
  size_t index = 0;

 private:
  void Grow() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  std::unique_ptr<Item*[]> buckets_ ABSL_GUARDED_BY(mu);
  size_t mask_ ABSL_GUARDED_BY(mu);
  size_t count_ ABSL_GUARDED_BY(mu) = 0;
  Item* heads_[kMaxSlabClasses] ABSL_GUARDED_BY(mu) = {};
  Item* tails_[kMaxSlabClasses] ABSL_GUARDED_BY(mu) = {};
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_INTERNAL_SHARD_H_
