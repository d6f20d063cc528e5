// Cache: the expiry sweep (memcached's LRU crawler), stats and item walks.

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "server/internal/cache_impl.h"

namespace memkit {
namespace server {

using internal::Item;
using internal::KeyHash;
using internal::Shard;

namespace {

// Lock a shard for at most this many buckets per sweep step.
constexpr size_t kSweepChunk = 1024;

}  // namespace

// ---- Expiry sweep ------------------------------------------------------------

size_t internal::CacheImpl::SweepShard(Shard& s, size_t max_buckets, uint32_t now) {
  size_t removed = 0;
  MutexLock lock(&s.mu);
  const size_t buckets = s.bucket_count();
  max_buckets = std::min(max_buckets, buckets);
  for (size_t n = 0; n < max_buckets; ++n) {
    const size_t b = s.crawl_cursor++ % buckets;
    Item* it = s.bucket(b);
    while (it != nullptr) {
      Item* next = it->h_next;
      ++s.counters.crawler_items_checked;
      const bool flushed = IsFlushed(it, now);
      if (flushed || (it->exptime != 0 && it->exptime < now)) {
        SlabClassCounters& cls = s.classes[it->slab_class];
        ++cls.crawler_reclaimed;
        if (!flushed && (it->iflags & internal::kItemFetched) == 0) ++cls.expired_unfetched;
        Unlink(s, it, KeyHash(it->key()));
        ++removed;
      }
      it = next;
    }
  }
  if (s.crawl_cursor >= buckets) s.crawl_cursor %= buckets;
  return removed;
}

size_t internal::CacheImpl::ReclaimExpired(size_t max_buckets) {
  const uint32_t now = CurrentTime();
  size_t removed = 0;
  while (max_buckets > 0) {
    const size_t chunk = std::min(max_buckets, kSweepChunk);
    const size_t index = sweep_shard_.fetch_add(1, std::memory_order_relaxed) & shard_mask_;
    removed += SweepShard(*shards_[index], chunk, now);
    max_buckets -= chunk;
  }
  return removed;
}

void internal::CacheImpl::ReclaimLoop() {
  while (WaitForReclaimRound()) ReclaimExpired(options_.reclaim_buckets_per_run);
}

bool internal::CacheImpl::WaitForReclaimRound() {
  MutexLock lock(&reclaim_mu_);
  if (!stopping_) reclaim_cv_.WaitWithTimeout(&reclaim_mu_, options_.reclaim_interval);
  return !stopping_;
}

void internal::CacheImpl::SetMemoryLimit(size_t bytes) { pages_.set_limit(bytes); }

// ---- Stats -------------------------------------------------------------------

CacheStats internal::CacheImpl::GetStats() const {
  CacheStats st;
  st.limit_maxbytes = pages_.limit();
  st.total_malloced = pages_.total_malloced();
  st.item_size_max = options_.item_size_max;
  st.slab_chunk_max = slab_chunk_max_;
  st.evictions_enabled = options_.evict;
  st.cas_enabled = options_.use_cas;
  st.cmd_flush = cmd_flush_.load(std::memory_order_relaxed);
  st.largest_slab_class = slab_classes_.largest();
  st.oldest_live = oldest_live_.load(std::memory_order_relaxed);
  std::vector<SlabClassStats> classes(internal::kMaxSlabClasses);
  uint64_t buckets = 0;
  const uint32_t now = CurrentTime();
  for (const auto& shard : shards_) {
    Shard& s = *shard;
    MutexLock lock(&s.mu);
    buckets += s.bucket_count();
    for (int id = 1; id < internal::kMaxSlabClasses; ++id) {
      if (const Item* tail = s.lru_tail(id); tail != nullptr && now > tail->time) {
        uint64_t& age = classes[static_cast<size_t>(id)].age;
        age = std::max<uint64_t>(age, now - tail->time);
        st.lru_tail_age = std::max<uint64_t>(st.lru_tail_age, age);
      }
    }
    st.curr_items += s.item_count();
    st.heap_bytes += s.heap_bytes;
    const internal::ShardCounters c = s.counters;  // a copy, read under the lock
    st.total_items += c.total_items;
    st.cmd_get += c.cmd_get;
    st.cmd_touch += c.cmd_touch;
    st.get_misses += c.get_misses;
    st.get_expired += c.get_expired;
    st.get_flushed += c.get_flushed;
    st.delete_misses += c.delete_misses;
    st.incr_misses += c.incr_misses;
    st.decr_misses += c.decr_misses;
    st.cas_misses += c.cas_misses;
    st.touch_misses += c.touch_misses;
    st.store_too_large += c.store_too_large;
    st.store_no_memory += c.store_no_memory;
    st.crawler_items_checked += c.crawler_items_checked;
    for (int id = 0; id < internal::kMaxSlabClasses; ++id) {
      classes[static_cast<size_t>(id)] += s.classes[id];
    }
  }
  st.bytes = 0;
  for (int id = 1; id <= slab_classes_.largest(); ++id) {
    SlabClassStats& c = classes[static_cast<size_t>(id)];
    c.id = id;
    c.chunk_size = slab_classes_.chunk_size(id);
    c.chunks_per_page = slab_classes_.chunks_per_page(id);
    c.total_pages = pages_.pages(id);
    c.used_chunks = pages_.used_chunks(id);
    st.bytes += c.mem_requested;
    st.cmd_set += c.cmd_set;
    st.get_hits += c.get_hits;
    st.delete_hits += c.delete_hits;
    st.incr_hits += c.incr_hits;
    st.decr_hits += c.decr_hits;
    st.cas_hits += c.cas_hits;
    st.cas_badval += c.cas_badval;
    st.touch_hits += c.touch_hits;
    st.evictions += c.evicted;
    st.evicted_nonzero += c.evicted_nonzero;
    st.evicted_unfetched += c.evicted_unfetched;
    st.expired_unfetched += c.expired_unfetched;
    st.reclaimed += c.reclaimed;
    st.crawler_reclaimed += c.crawler_reclaimed;
    st.outofmemory += c.outofmemory;
    if (c.active() || c.total_pages != 0) st.slab_classes.push_back(c);
  }
  st.hash_bytes = buckets * sizeof(Item*);
  while ((uint64_t{1} << (st.hash_power_level + 1)) <= buckets) ++st.hash_power_level;
  return st;
}

void internal::CacheImpl::ResetStats() {
  cmd_flush_.store(0, std::memory_order_relaxed);
  for (const auto& shard : shards_) {
    Shard& s = *shard;
    MutexLock lock(&s.mu);
    s.counters = internal::ShardCounters();
    for (SlabClassCounters& c : s.classes) {
      const uint64_t number = c.number;
      const uint64_t mem_requested = c.mem_requested;
      c = SlabClassCounters();
      c.number = number;
      c.mem_requested = mem_requested;
    }
  }
}

std::vector<std::pair<size_t, uint64_t>> internal::CacheImpl::SizeHistogram(
    uint64_t min_cas) const {
  std::map<size_t, uint64_t> buckets;
  for (const auto& shard : shards_) {
    Shard& s = *shard;
    MutexLock lock(&s.mu);
    // Every linked item, expired or flushed ones too until they are removed:
    // memcached counts items as it links and unlinks them.
    for (int id = 0; id < internal::kMaxSlabClasses; ++id) {
      for (Item* it = s.lru_head(id); it != nullptr; it = it->next) {
        if (it->cas < min_cas) continue;
        const size_t size = ItemSizeOf(it);
        ++buckets[(size + 31) / 32 * 32];
      }
    }
  }
  return std::vector<std::pair<size_t, uint64_t>>(buckets.begin(), buckets.end());
}

void internal::CacheImpl::ForEachItem(absl::FunctionRef<bool(const ItemInfo&)> visit) const {
  const uint32_t now = CurrentTime();
  for (const auto& shard : shards_) {
    Shard& s = *shard;
    MutexLock lock(&s.mu);
    for (int id = 0; id < internal::kMaxSlabClasses; ++id) {
      for (Item* it = s.lru_head(id); it != nullptr; it = it->next) {
        if (IsFlushed(it, now) || (it->exptime != 0 && it->exptime <= now)) continue;
        if (!visit(InfoOf(it, now))) return;
      }
    }
  }
}

}  // namespace server
}  // namespace memkit
