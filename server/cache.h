// memkit's storage engine: the item store behind memkit-server and the
// in-process fake server, with memcached 1.6's semantics for storage,
// expiry, flush, incr/decr, CAS, memory limits, eviction and the meta
// protocol's lease tokens. Protocol handlers parse a request, call one of
// these methods and print the outcome.
//
//   auto cache = Cache::Create(CacheOptions{});   // StatusOr<unique_ptr<Cache>>
//   StoreRequest set;  set.client_flags = 5;  set.exptime = 60;
//   StoreResult r = (*cache)->Store("key", "value", set);   // r.code == McCode::kOk
//   GetResult g = (*cache)->Get("key");                      // g.item.value() == "value"
//
// Time comes from CacheOptions::clock at one-second resolution, counted from
// the cache's creation like memcached's current_time, so tests can move it.
//
// Thread-safety: all methods are safe to call concurrently. The engine
// (internal/cache_impl.h, private) keeps items in shards, each behind a
// core/sync Mutex (std::mutex underneath, which
// ThreadSanitizer understands); no method holds two shard locks at once
// except by try_lock while evicting. ItemRef handles keep an item's bytes
// alive and unchanged without holding any lock.

#ifndef MEMKIT_SERVER_CACHE_H_
#define MEMKIT_SERVER_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/net/clock.h"
#include "core/status/status.h"
#include "server/cache_stats.h"
#include "server/cache_types.h"

namespace memkit {
namespace server {

namespace internal {
class CacheImpl;
}  // namespace internal

// An item evicted to make room (memcached's LOGGER_EVICTION entry).
struct EvictedItem {
  absl::string_view key;  // valid during the callback only
  int64_t ttl = -1;       // seconds it had left; -1 never expires
  uint32_t idle = 0;      // seconds since its last access
  bool fetched = false;   // read since it was stored
  int slab_class = 0;     // memcached's class for its size
  size_t value_length = 0;
};

struct CacheOptions {
  // -m: memory for items, in bytes, counted as memcached's slab allocator
  // counts it: whole pages of slab_page_size, each carved into chunks of one
  // slab class (stats slabs `total_malloced`). A class always gets its first
  // page; further pages only while total_malloced stays within this limit;
  // then stores evict within the item's class. memcached's default is 64 MiB.
  // 64-bit: limits above 4 GiB are fine.
  size_t memory_limit = 64 * 1024 * 1024;
  // Bytes per slab page (1 KiB .. 1 GiB). memcached 1.6.18 fixes it at
  // 1 MiB (it has no option for it: "-o slab_page_size" is an illegal
  // suboption there); smaller pages let tests reach page limits with little
  // memory.
  size_t slab_page_size = 1024 * 1024;
  // -I: largest item, in memcached's item size (key, value and overhead);
  // 1024 .. 1 GiB and at most memory_limit / 2, as memcached requires.
  size_t item_size_max = 1024 * 1024;
  // -o slab_chunk_max: memcached splits items larger than this into chunks,
  // and incr/decr refuse chunked items as non-numeric. It must divide
  // slab_page_size. 0 means memcached's default, min(slab_page_size / 2,
  // item_size_max).
  size_t slab_chunk_max = 0;
  // -n and -f: memcached's slab class table, for the page accounting and the
  // per-class stats.
  size_t chunk_size = 48;
  double growth_factor = 1.25;
  // -M turns this off: when full, refuse stores with "out of memory"
  // instead of evicting the least recently used items.
  bool evict = true;
  // -C turns this off: every CAS unique is 0 and items are 8 bytes smaller.
  bool use_cas = true;
  // Lock shards, a power of two (1..1024). More shards, less contention.
  int num_shards = 16;
  // -o hashpower: log2 of the initial bucket count over all shards (1..26);
  // the table doubles as it fills. 0: memcached's default, 16 (and `stats
  // settings` prints hashpower_init 0, as memcached does).
  int hash_power = 0;
  // Where time comes from; RealClock::Get() when null. Not owned; must
  // outlive the cache.
  const net::Clock* clock = nullptr;
  // How often a background thread sweeps the table for expired items (like
  // memcached's LRU crawler) so they do not pin memory; zero disables the
  // thread (call ReclaimExpired() yourself; -o no_lru_crawler). Measured in
  // real time.
  absl::Duration reclaim_interval = absl::Seconds(1);
  // Hash buckets the sweep visits per run, over all shards.
  size_t reclaim_buckets_per_run = 65536;
  // Called for every item evicted to make room (not for expired items
  // reclaimed), on the evicting thread with its shard locked: it must be
  // quick and must not call into the cache. Unset: costs one test per
  // eviction. memkit-server's watch log ("watch evictions") sets it.
  std::function<void(const EvictedItem&)> on_evict;
};

class Cache {
 public:
  // Fails with InvalidArgument when the options break memcached's rules.
  static absl::StatusOr<std::unique_ptr<Cache>> Create(const CacheOptions& options);
  ~Cache();

  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

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
  // What a lookup of `key` would find now, changing nothing (no bump, no
  // unlink, no stats): memkit-server's watch log reports it as memcached's
  // item_get status. `*info` is set for kLive.
  enum class Probe { kAbsent, kLive, kFlushed, kExpired };
  Probe ProbeKey(absl::string_view key, ItemInfo* info);

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
  uint64_t TakeCasId();
  // Visits live items, shard by shard, while holding that shard's lock:
  // `visit` must not call back into the cache. Return false to stop.
  void ForEachItem(absl::FunctionRef<bool(const ItemInfo&)> visit) const;

  // memcached's clock: seconds since a start time 62 s before creation
  // (memcached's process_started), so `uptime` = CurrentTime() - 60 and
  // `time` = ProcessStarted() + CurrentTime().
  uint32_t CurrentTime() const;
  int64_t ProcessStarted() const;

  // memcached's size for an item: 48 + key + 1 + (flags ? 4 : 0) + value + 2
  // + (cas ? 8 : 0). It is what `bytes` adds up and what must fit -I.
  size_t ItemSize(size_t key_length, uint32_t client_flags, size_t value_length) const;
  const CacheOptions& options() const;
  // The slab class memcached keeps an item of memcached size `item_size` in
  // (see ItemSize; 1-based).
  int SlabClassFor(size_t item_size) const;
  // Seconds an item stored now with `exptime` (as a client sends it) has
  // left, as memcached's logs compute it (its exptime minus now); 0: never
  // expires.
  int64_t TtlFor(int64_t exptime) const;

 private:
  explicit Cache(std::unique_ptr<internal::CacheImpl> impl);

  // The engine; every call forwards to it (one pointer, no virtual call).
  const std::unique_ptr<internal::CacheImpl> impl_;
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_CACHE_H_
