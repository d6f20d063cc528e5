// The storage engine behind server::Cache (cache.h), which forwards every
// call here through one pointer. Private to //server:cache: the shards, the
// item layout and the slab table stay out of the public header. cache.h's
// comments describe the methods; the private ones are documented here.
//
// Thread-safety: as Cache.

#ifndef MEMKIT_SERVER_INTERNAL_CACHE_IMPL_H_
#define MEMKIT_SERVER_INTERNAL_CACHE_IMPL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/net/clock.h"
#include "core/status/status.h"
#include "core/sync/mutex.h"
#include "server/cache.h"
#include "server/cache_stats.h"
#include "server/cache_types.h"
#include "server/internal/item.h"
#include "server/internal/shard.h"
#include "server/internal/slab_classes.h"
#include "server/internal/slab_pages.h"

namespace memkit {
namespace server {
namespace internal {

// InvalidArgument when `options` break memcached's rules.
absl::Status ValidateCacheOptions(const CacheOptions& options);

class CacheImpl {
 public:
  // `options` must have passed ValidateCacheOptions().
  explicit CacheImpl(const CacheOptions& options);
  ~CacheImpl();

  CacheImpl(const CacheImpl&) = delete;
  CacheImpl& operator=(const CacheImpl&) = delete;

  // ---- Reading ----

  // get/gets (cas in the result), gat/gats and touch (options.new_exptime),
  // mg (all options). Expired or flushed items are removed on sight.
  GetResult Get(absl::string_view key, const GetOptions& options = {});
  // A multi-key get: results[i] answers keys[i]. Each shard is locked once.
  // `results` is overwritten; reuse it across calls to avoid reallocation.
  void GetMulti(absl::Span<const absl::string_view> keys, const GetOptions& options,
                std::vector<GetResult>* results);
  // touch: kOk (TOUCHED) or kNotFound.
  McCode Touch(absl::string_view key, int64_t exptime);
  // me: the item's metadata without counting an access; nullopt on a miss.
  // info.key is `key`.
  std::optional<ItemInfo> Inspect(absl::string_view key);
  Cache::Probe ProbeKey(absl::string_view key, ItemInfo* info);

  // ---- Writing ----

  // set/add/replace/append/prepend/cas/ms with the value in hand.
  StoreResult Store(absl::string_view key, absl::string_view value, const StoreRequest& request);
  // The two-step form for reading values straight off the socket. Allocate
  // fails with kTooLarge (OutOfRange) when memcached would answer "object too
  // large for cache", kOutOfMemory when malloc fails, kClientError for an
  // empty or > 250-byte key; it then already applied drop_on_failure.
  absl::StatusOr<NewItem> Allocate(absl::string_view key, size_t value_length,
                                   const StoreRequest& request);
  StoreResult Store(NewItem item);

  // delete / md: kOk (DELETED / HD), kNotFound, kExists (CAS mismatch).
  McCode Delete(absl::string_view key, const DeleteOptions& options = {});

  // incr/decr/ma.
  ArithmeticResult Arithmetic(absl::string_view key, const ArithmeticOptions& options);
  ArithmeticResult Incr(absl::string_view key, uint64_t delta);
  ArithmeticResult Decr(absl::string_view key, uint64_t delta);

  // flush_all [delay]: items last stored or accessed before the flush time
  // (now, or `delay` as an exptime) become invalid when it arrives.
  void FlushAll(int64_t delay = 0);

  // ---- Maintenance and stats ----

  // One step of the expiry sweep over `max_buckets` hash buckets; returns the
  // items removed (counted as crawler_reclaimed).
  size_t ReclaimExpired(size_t max_buckets);
  // cache_memlimit: takes effect as later stores evict.
  void SetMemoryLimit(size_t bytes);
  CacheStats GetStats() const;
  // stats reset: zeroes counters; items, bytes and settings stay.
  void ResetStats();
  // stats sizes: (size rounded up to 32 bytes, item count), ascending, over
  // the items in the table (expired or flushed ones too, until removed)
  // whose CAS is at least `min_cas` (memcached counts only items stored
  // after "stats sizes_enable"; with -C every item).
  std::vector<std::pair<size_t, uint64_t>> SizeHistogram(uint64_t min_cas = 0) const;
  // memcached's get_cas_id(): takes the next CAS value, as if an item had
  // been stored (flush_all and "stats sizes_enable" do); 0 with -C.
  uint64_t TakeCasId() { return NextCas(); }
  // Visits live items, shard by shard, while holding that shard's lock:
  // `visit` must not call back into the cache. Return false to stop.
  void ForEachItem(absl::FunctionRef<bool(const ItemInfo&)> visit) const;

  // memcached's clock: seconds since a start time 62 s before creation
  // (memcached's process_started), so `uptime` = CurrentTime() - 60 and
  // `time` = ProcessStarted() + CurrentTime().
  uint32_t CurrentTime() const;
  int64_t ProcessStarted() const { return process_started_; }

  // memcached's size for an item: 48 + key + 1 + (flags ? 4 : 0) + value + 2
  // + (cas ? 8 : 0). It is what `bytes` adds up and what must fit -I.
  size_t ItemSize(size_t key_length, uint32_t client_flags, size_t value_length) const {
    return internal::MemcachedItemSize(key_length, client_flags, value_length, options_.use_cas);
  }
  const CacheOptions& options() const { return options_; }
  int SlabClassFor(size_t item_size) const { return slab_classes_.ClassFor(item_size); }
  int64_t TtlFor(int64_t exptime) const {
    const uint32_t now = CurrentTime();
    const uint32_t rel = RelTime(exptime, now);
    return rel == 0 ? 0 : static_cast<int64_t>(rel) - static_cast<int64_t>(now);
  }

 private:
  using Item = internal::Item;
  using Shard = internal::Shard;

  Shard& ShardFor(uint64_t hash) const {
    return *shards_[static_cast<size_t>(hash >> 40) & shard_mask_];
  }
  uint32_t RelTime(int64_t exptime, uint32_t now) const;
  uint64_t NextCas() {
    return options_.use_cas ? next_cas_.fetch_add(1, std::memory_order_relaxed) + 1 : 0;
  }
  size_t ItemSizeOf(const Item* it) const {
    return ItemSize(it->nkey, it->client_flags, it->nbytes);
  }
  bool IsFlushed(const Item* it, uint32_t now) const;
  ItemInfo InfoOf(const Item* it, uint32_t now) const;

  // The rest require the shard's lock.
  Item* FindLive(Shard& s, absl::string_view key, uint64_t hash, uint32_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  void Link(Shard& s, Item* it, uint64_t hash, uint32_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  void Unlink(Shard& s, Item* it, uint64_t hash) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  void Replace(Shard& s, Item* old_it, Item* new_it, uint64_t hash, uint32_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  void Bump(Shard& s, Item* it, uint32_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  void Update(Shard& s, Item* it, uint32_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // Takes the slab chunks memcached would take for an item of this shape
  // (SlabClasses::ChunksFor), each from its class: a free chunk, else a new
  // page if -m allows, else by reclaiming expired items and (when evicting)
  // evicting the LRU tail of that class, here and then in other shards.
  // Never removes `keep`. On failure nothing stays taken.
  bool Reserve(Shard& s, size_t nkey, uint32_t client_flags, size_t nbytes, uint32_t now,
               const Item* keep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // One chunk of class `cls`, as Reserve.
  bool ReserveChunk(Shard& s, int cls, uint32_t now, const Item* keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // Returns the chunks Reserve took for an item of this shape.
  void Unreserve(size_t nkey, uint32_t client_flags, size_t nbytes);
  // memcached's lru_pull_tail on class `cls`'s LRU: reclaims expired items
  // among the last five and, when `evict`, moves active ones back to the
  // head and evicts the first inactive one. True if anything was removed or
  // moved.
  bool PullTail(Shard& s, int cls, uint32_t now, bool evict, const Item* keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  Item* CreateLinked(Shard& s, absl::string_view key, absl::string_view value, uint64_t hash,
                     uint32_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  GetResult GetLocked(Shard& s, absl::string_view key, uint64_t hash, const GetOptions& options,
                      uint32_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // Validates and allocates an unlinked item (memcached's item_alloc); on
  // failure counts it and applies drop_on_failure.
  McCode AllocateRaw(absl::string_view key, size_t value_length, const StoreRequest& request,
                     Item** out);
  // Takes over the caller's reference to `it`. Its steps follow.
  StoreResult StoreItem(Item* it, const StoreRequest& request);
  // Charges `it` against the memory limit; on failure counts it and applies
  // drop_on_failure.
  bool ReserveForStore(Shard& s, Item* it, const StoreRequest& request, uint64_t hash, uint32_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // The store when `old_it` holds the key, by mode and CAS. True if `it` was
  // linked in its place (an append links a combined item instead: false).
  bool StoreOverExisting(Shard& s, Item* old_it, Item* it, const StoreRequest& request,
                         uint64_t hash, uint32_t now, StoreResult* r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // The store when the key is absent. True if `it` was linked.
  bool StoreAbsent(Shard& s, Item* it, const StoreRequest& request, uint64_t hash, uint32_t now,
                   StoreResult* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // Counts a failed allocation and, if `drop`, removes the key's value.
  void DropKey(absl::string_view key, bool drop, bool too_large);
  // The appended/prepended item, charged and filled; nullptr for NOT_STORED.
  Item* Combine(Shard& s, Item* old_it, const Item* add, bool prepend, uint32_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  size_t SweepShard(Shard& s, size_t max_buckets, uint32_t now);
  void ReclaimLoop();
  // Waits one reclaim_interval; false once the cache is being destroyed.
  bool WaitForReclaimRound() ABSL_LOCKS_EXCLUDED(reclaim_mu_);

  // Constant after construction.
  const CacheOptions options_;
  const net::Clock* const clock_;
  const internal::SlabClasses slab_classes_;
  const size_t slab_chunk_max_;
  // Pages and chunks memcached would have taken; enforces -m.
  internal::SlabPages pages_;
  const bool real_clock_;  // clock_ is RealClock: read seconds with time(2).
  const int64_t process_started_;
  std::vector<std::unique_ptr<Shard>> shards_;
  size_t shard_mask_ = 0;

  std::atomic<uint64_t> next_cas_{0};
  std::atomic<uint32_t> oldest_live_{0};  // settings.oldest_live
  std::atomic<uint64_t> oldest_cas_{0};   // settings.oldest_cas
  std::atomic<uint64_t> cmd_flush_{0};
  std::atomic<size_t> sweep_shard_{0};

  Mutex reclaim_mu_;
  CondVar reclaim_cv_;
  bool stopping_ ABSL_GUARDED_BY(reclaim_mu_) = false;
  std::thread reclaimer_;
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_INTERNAL_CACHE_IMPL_H_
