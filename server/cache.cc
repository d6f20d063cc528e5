// CacheImpl: creation, time, item bookkeeping, lookups, delete and flush.
// Stores, eviction and incr/decr are in cache_store.cc; the expiry sweep and
// stats in cache_maintenance.cc.

#include <algorithm>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "server/internal/cache_impl.h"

namespace memkit {
namespace server {

using internal::Item;
using internal::KeyHash;
using internal::Shard;

namespace {

// memcached's REALTIME_MAXDELTA: exptimes up to 30 days are relative.
constexpr int64_t kRealtimeMaxDelta = 60 * 60 * 24 * 30;
// memcached starts its clock ITEM_UPDATE_INTERVAL + 2 seconds in the past so
// that relative times are never 0 (0 means "never" and "no flush").
constexpr int64_t kStartOffset = 62;
constexpr size_t kKeyMaxLength = 250;

bool IsPowerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

// memcached's default slab_chunk_max is half a slab page; -I below that
// lowers it.
size_t EffectiveSlabChunkMax(const CacheOptions& options) {
  if (options.slab_chunk_max != 0) return options.slab_chunk_max;
  return std::min<size_t>(options.slab_page_size / 2, options.item_size_max);
}

struct MultiGetSlot {
  size_t shard;
  size_t index;
  uint64_t hash;
};

}  // namespace

absl::Status CacheStatus(McCode code) {
  switch (code) {
    case McCode::kOk:
      return absl::OkStatus();
    case McCode::kNotFound:
      return McError(code, "NOT_FOUND");
    case McCode::kExists:
      return McError(code, "EXISTS");
    case McCode::kNotStored:
      return McError(code, "NOT_STORED");
    case McCode::kNonNumeric:
      return McError(code, "cannot increment or decrement non-numeric value");
    case McCode::kOutOfMemory:
      return McError(code, "out of memory storing object");
    case McCode::kTooLarge:
      return McError(code, "object too large for cache");
    case McCode::kClientError:
      return McError(code, kBadFormatMessage);
    default:
      return McError(code, "storage engine error");
  }
}

absl::Status internal::ValidateCacheOptions(const CacheOptions& options) {
  if (options.memory_limit == 0) {
    return absl::InvalidArgumentError("memory_limit must be positive");
  }
  if (options.item_size_max < 1024) {
    return absl::InvalidArgumentError("Item max size cannot be less than 1024 bytes.");
  }
  if (options.item_size_max > size_t{1024} * 1024 * 1024) {
    return absl::InvalidArgumentError("Cannot set item size limit higher than 1 GB.");
  }
  if (options.item_size_max > options.memory_limit / 2) {
    return absl::InvalidArgumentError("Cannot set item size limit higher than 1/2 of memory max.");
  }
  if (options.slab_chunk_max > options.item_size_max) {
    return absl::InvalidArgumentError(absl::StrCat("slab_chunk_max (bytes: ", options.slab_chunk_max,
                                                   ") cannot be larger than -I (item_size_max ",
                                                   options.item_size_max, ")"));
  }
  if (options.slab_chunk_max != 0 && options.slab_chunk_max < 512) {
    return absl::InvalidArgumentError("slab_chunk_max must be at least 512 bytes");
  }
  if (options.slab_page_size < 1024 || options.slab_page_size > size_t{1024} * 1024 * 1024) {
    return absl::InvalidArgumentError("slab_page_size must be in 1 KiB .. 1 GiB");
  }
  if (options.slab_chunk_max > options.slab_page_size ||
      (options.slab_chunk_max != 0 && options.slab_page_size % options.slab_chunk_max != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("slab_chunk_max (bytes: ", options.slab_chunk_max,
                     ") must divide evenly into ", options.slab_page_size, " (slab_page_size)"));
  }
  if (!(options.growth_factor > 1.0)) {
    return absl::InvalidArgumentError("Factor must be greater than 1");
  }
  if (options.chunk_size == 0 || options.chunk_size > 1024 * 1024) {
    return absl::InvalidArgumentError("Chunk size must be greater than 0");
  }
  if (!IsPowerOfTwo(options.num_shards) || options.num_shards > 1024) {
    return absl::InvalidArgumentError("num_shards must be a power of two in 1..1024");
  }
  // 2^26 buckets are 512 MiB of table; the table grows on demand anyway.
  if (options.hash_power < 0 || options.hash_power > 26) {
    return absl::InvalidArgumentError("hash_power must be in 1..26");
  }
  if (options.reclaim_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("reclaim_interval must not be negative");
  }
  return absl::OkStatus();
}

internal::CacheImpl::CacheImpl(const CacheOptions& options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : net::RealClock::Get()),
      slab_classes_(options.chunk_size, options.growth_factor, EffectiveSlabChunkMax(options),
                    options.slab_page_size),
      slab_chunk_max_(EffectiveSlabChunkMax(options)),
      pages_(&slab_classes_, options.memory_limit),
      real_clock_(clock_ == net::RealClock::Get()),
      process_started_(absl::ToUnixSeconds(clock_->Now()) - kStartOffset),
      shard_mask_(static_cast<size_t>(options.num_shards) - 1) {
  // memcached's default initial hash power.
  constexpr int kDefaultHashPower = 16;
  const size_t total_buckets =
      size_t{1} << (options.hash_power != 0 ? options.hash_power : kDefaultHashPower);
  const size_t per_shard = std::max<size_t>(16, total_buckets / static_cast<size_t>(options.num_shards));
  shards_.reserve(static_cast<size_t>(options.num_shards));
  for (int i = 0; i < options.num_shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(per_shard));
    shards_.back()->index = static_cast<size_t>(i);
  }
  if (options.reclaim_interval > absl::ZeroDuration()) {
    reclaimer_ = std::thread([this] { ReclaimLoop(); });
  }
}

internal::CacheImpl::~CacheImpl() {
  if (reclaimer_.joinable()) {
    {
      MutexLock lock(&reclaim_mu_);
      stopping_ = true;
    }
    reclaim_cv_.SignalAll();
    reclaimer_.join();
  }
  // The shards drop the table's references; handles still held keep their
  // items alive until released.
}

// ---- Time --------------------------------------------------------------------

uint32_t internal::CacheImpl::CurrentTime() const {
  // The engine needs whole seconds only. With the real clock, time(2) gives
  // them for a fraction of clock_gettime's cost (about 7 ns against 85 ns on
  // the build machines); other clocks (tests, the fake server) are asked.
  const int64_t unix_seconds = real_clock_ ? static_cast<int64_t>(std::time(nullptr))
                                           : absl::ToUnixSeconds(clock_->Now());
  const int64_t rel = unix_seconds - process_started_;
  // A clock moved back before the start still yields a valid, non-zero time.
  return static_cast<uint32_t>(std::clamp<int64_t>(rel, 1, UINT32_MAX));
}

// memcached's realtime() with EXPTIME_TO_POSITIVE_TIME in front.
uint32_t internal::CacheImpl::RelTime(int64_t exptime, uint32_t now) const {
  if (exptime == 0) return 0;
  // Negative exptimes become an absolute time before the start: expired.
  if (exptime < 0) exptime = kRealtimeMaxDelta + 1;
  if (exptime > kRealtimeMaxDelta) {
    if (exptime <= process_started_) return 1;
    return static_cast<uint32_t>(std::min<int64_t>(exptime - process_started_, UINT32_MAX));
  }
  return static_cast<uint32_t>(exptime + now);
}

bool internal::CacheImpl::IsFlushed(const Item* it, uint32_t now) const {
  const uint32_t oldest_live = oldest_live_.load(std::memory_order_acquire);
  if (oldest_live == 0 || oldest_live > now) return false;
  const uint64_t oldest_cas = oldest_cas_.load(std::memory_order_acquire);
  return it->time <= oldest_live || (oldest_cas != 0 && it->cas != 0 && it->cas < oldest_cas);
}

void internal::CacheImpl::FlushAll(int64_t delay) {
  cmd_flush_.fetch_add(1, std::memory_order_relaxed);
  const uint32_t now = CurrentTime();
  // memcached treats 0 (and negative) as "now"; realtime(0) would be 0.
  const uint32_t new_oldest = delay > 0 ? RelTime(delay, now) : now;
  if (options_.use_cas) {
    // Items stored earlier in this very second are told apart by CAS.
    const uint32_t oldest_live = new_oldest - 1;
    if (oldest_live <= now) oldest_cas_.store(NextCas(), std::memory_order_release);
    oldest_live_.store(oldest_live, std::memory_order_release);
  } else {
    oldest_live_.store(new_oldest, std::memory_order_release);
  }
}

// ---- Item bookkeeping (shard lock held) --------------------------------------

Item* internal::CacheImpl::FindLive(Shard& s, absl::string_view key, uint64_t hash, uint32_t now) {
  Item* it = s.Find(key, hash);
  if (it == nullptr) return nullptr;
  if (IsFlushed(it, now)) {
    Unlink(s, it, hash);
    ++s.counters.get_flushed;
    return nullptr;
  }
  if (it->exptime != 0 && it->exptime <= now) {
    Unlink(s, it, hash);
    ++s.counters.get_expired;
    return nullptr;
  }
  return it;
}

void internal::CacheImpl::Link(Shard& s, Item* it, uint64_t hash, uint32_t now) {
  it->iflags |= internal::kItemLinked;
  it->time = now;
  it->cas = NextCas();
  s.Insert(it, hash);
  internal::RefItem(it);  // The table's reference.
  SlabClassCounters& cls = s.classes[it->slab_class];
  ++cls.number;
  cls.mem_requested += ItemSizeOf(it);
  ++s.counters.total_items;
  s.heap_bytes += internal::ItemAllocationSize(it->nkey, it->nbytes);
}

void internal::CacheImpl::Unlink(Shard& s, Item* it, uint64_t hash) {
  if ((it->iflags & internal::kItemLinked) == 0) return;
  it->iflags &= static_cast<uint8_t>(~internal::kItemLinked);
  s.Remove(it, hash);
  SlabClassCounters& cls = s.classes[it->slab_class];
  --cls.number;
  cls.mem_requested -= ItemSizeOf(it);
  s.heap_bytes -= internal::ItemAllocationSize(it->nkey, it->nbytes);
  // Its chunks are free again at once, even if a handle still holds the
  // bytes (memcached frees them when the last reference goes).
  Unreserve(it->nkey, it->client_flags, it->nbytes);
  internal::UnrefItem(it);
}

void internal::CacheImpl::Replace(Shard& s, Item* old_it, Item* new_it, uint64_t hash,
                                  uint32_t now) {
  Unlink(s, old_it, hash);
  Link(s, new_it, hash, now);
}

// A fetch, as memcached's segmented LRU counts it (do_item_bump): the first
// one only marks the item fetched; later ones refresh its last-access time
// and mark it active. Nothing moves now: an active item that reaches the LRU
// tail gets a second chance at the head instead of being evicted (PullTail).
// That keeps reads from writing to neighbouring items under the lock.
void internal::CacheImpl::Bump(Shard& s, Item* it, uint32_t now) {
  static_cast<void>(s);
  if ((it->iflags & internal::kItemFetched) == 0) {
    it->iflags |= internal::kItemFetched;
  } else {
    it->time = now;
    it->iflags |= internal::kItemActive;
  }
}

// memcached's do_item_update (add on an existing key, incr in place): refresh
// the access time and keep the item from the next eviction.
void internal::CacheImpl::Update(Shard& s, Item* it, uint32_t now) {
  static_cast<void>(s);
  it->time = now;
  it->iflags |= internal::kItemActive;
}

// ---- Reads -------------------------------------------------------------------

GetResult internal::CacheImpl::GetLocked(Shard& s, absl::string_view key, uint64_t hash,
                                         const GetOptions& options, uint32_t now) {
  GetResult r;
  const bool touch = options.new_exptime.has_value();
  Item* it = nullptr;
  if (!key.empty() && key.size() <= kKeyMaxLength) it = FindLive(s, key, hash, now);
  bool win = false;
  if (it == nullptr && options.vivify_exptime.has_value() && !key.empty() &&
      key.size() <= kKeyMaxLength) {
    it = CreateLinked(s, key, absl::string_view(), hash, now);
    if (it != nullptr) {
      it->exptime = RelTime(*options.vivify_exptime, now);
      r.created = true;
      win = true;
    }
  }
  if (it == nullptr) {
    if (touch) {
      ++s.counters.cmd_touch;
      ++s.counters.touch_misses;
    } else {
      ++s.counters.cmd_get;
      ++s.counters.get_misses;
    }
    return r;
  }
  r.fetched = (it->iflags & internal::kItemFetched) != 0;
  r.last_access = now >= it->time ? now - it->time : 0;
  if (touch) it->exptime = RelTime(*options.new_exptime, now);
  const bool token_sent = (it->iflags & internal::kItemTokenSent) != 0;
  if (options.recache_exptime.has_value() && !token_sent && !r.created && it->exptime != 0 &&
      it->exptime < RelTime(*options.recache_exptime, now)) {
    win = true;
  }
  r.token_sent = token_sent;
  r.stale = (it->iflags & internal::kItemStale) != 0;
  if (r.stale && !token_sent) win = true;
  if (win) it->iflags |= internal::kItemTokenSent;
  r.win = win;
  r.cas = it->cas;
  r.ttl = it->exptime == 0 ? -1 : static_cast<int64_t>(it->exptime) - now;
  if (options.bump) Bump(s, it, now);
  internal::RefItem(it);
  r.item = ItemRef(it);
  SlabClassCounters& cls = s.classes[it->slab_class];
  if (touch) {
    ++s.counters.cmd_touch;
    ++cls.touch_hits;
  } else {
    ++s.counters.cmd_get;
    ++cls.get_hits;
  }
  return r;
}

GetResult internal::CacheImpl::Get(absl::string_view key, const GetOptions& options) {
  const uint64_t hash = KeyHash(key);
  const uint32_t now = CurrentTime();
  Shard& s = ShardFor(hash);
  MutexLock lock(&s.mu);
  return GetLocked(s, key, hash, options, now);
}

void internal::CacheImpl::GetMulti(absl::Span<const absl::string_view> keys,
                                   const GetOptions& options, std::vector<GetResult>* results) {
  results->clear();
  results->resize(keys.size());
  const uint32_t now = CurrentTime();
  // (shard, position) pairs, sorted so each shard is locked once; stable so
  // repeated keys are answered in request order. Per-thread scratch space:
  // no allocation once a thread has seen its largest batch.
  thread_local std::vector<MultiGetSlot> slots;
  slots.clear();
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t hash = KeyHash(keys[i]);
    slots.push_back({static_cast<size_t>(hash >> 40) & shard_mask_, i, hash});
  }
  std::stable_sort(slots.begin(), slots.end(),
                   [](const MultiGetSlot& a, const MultiGetSlot& b) { return a.shard < b.shard; });
  size_t i = 0;
  while (i < slots.size()) {
    Shard& s = *shards_[slots[i].shard];
    MutexLock lock(&s.mu);
    const size_t shard = slots[i].shard;
    for (; i < slots.size() && slots[i].shard == shard; ++i) {
      (*results)[slots[i].index] = GetLocked(s, keys[slots[i].index], slots[i].hash, options, now);
    }
  }
}

McCode internal::CacheImpl::Touch(absl::string_view key, int64_t exptime) {
  GetOptions options;
  options.new_exptime = exptime;
  return Get(key, options).hit() ? McCode::kOk : McCode::kNotFound;
}

ItemInfo internal::CacheImpl::InfoOf(const Item* it, uint32_t now) const {
  ItemInfo info;
  info.key = it->key();
  info.value_length = it->nbytes;
  info.client_flags = it->client_flags;
  info.cas = it->cas;
  info.exptime_unix = it->exptime == 0 ? 0 : process_started_ + it->exptime;
  info.ttl = it->exptime == 0 ? -1 : static_cast<int64_t>(it->exptime) - now;
  info.last_access_unix = process_started_ + it->time;
  info.idle = now >= it->time ? now - it->time : 0;
  info.fetched = (it->iflags & internal::kItemFetched) != 0;
  info.key_binary = it->key_binary != 0;
  info.slab_class = it->slab_class;
  info.total_size = ItemSizeOf(it);
  return info;
}

std::optional<ItemInfo> internal::CacheImpl::Inspect(absl::string_view key) {
  if (key.empty() || key.size() > kKeyMaxLength) return std::nullopt;
  const uint64_t hash = KeyHash(key);
  const uint32_t now = CurrentTime();
  Shard& s = ShardFor(hash);
  MutexLock lock(&s.mu);
  Item* it = FindLive(s, key, hash, now);
  if (it == nullptr) return std::nullopt;
  ItemInfo info = InfoOf(it, now);
  info.key = key;
  return info;
}

Cache::Probe internal::CacheImpl::ProbeKey(absl::string_view key, ItemInfo* info) {
  if (key.empty() || key.size() > kKeyMaxLength) return Cache::Probe::kAbsent;
  const uint64_t hash = KeyHash(key);
  const uint32_t now = CurrentTime();
  Shard& s = ShardFor(hash);
  MutexLock lock(&s.mu);
  const Item* it = s.Find(key, hash);
  if (it == nullptr) return Cache::Probe::kAbsent;
  // FindLive's order: flushed before expired.
  if (IsFlushed(it, now)) return Cache::Probe::kFlushed;
  if (it->exptime != 0 && it->exptime <= now) return Cache::Probe::kExpired;
  *info = InfoOf(it, now);
  info->key = key;
  return Cache::Probe::kLive;
}

// ---- Delete ------------------------------------------------------------------

McCode internal::CacheImpl::Delete(absl::string_view key, const DeleteOptions& options) {
  const uint64_t hash = KeyHash(key);
  const uint32_t now = CurrentTime();
  Shard& s = ShardFor(hash);
  MutexLock lock(&s.mu);
  Item* it = nullptr;
  if (!key.empty() && key.size() <= kKeyMaxLength) it = FindLive(s, key, hash, now);
  if (it == nullptr) {
    ++s.counters.delete_misses;
    return McCode::kNotFound;
  }
  if (options.cas != 0 && options.cas != it->cas) {
    ++s.counters.delete_misses;
    return McCode::kExists;
  }
  if (options.mark_stale) {
    // md I: keep the value, flag it stale, let the next reader win a token.
    if (options.new_exptime.has_value()) it->exptime = RelTime(*options.new_exptime, now);
    it->iflags |= internal::kItemStale;
    it->iflags &= static_cast<uint8_t>(~internal::kItemTokenSent);
    it->cas = NextCas();
    return McCode::kOk;
  }
  ++s.classes[it->slab_class].delete_hits;
  Unlink(s, it, hash);
  return McCode::kOk;
}

}  // namespace server
}  // namespace memkit
