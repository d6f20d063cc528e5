// Cache: stores (memcached's do_store_item), the memory limit counted in slab
// pages and per-class eviction (slabs_alloc, lru_pull_tail), and incr/decr
// (do_add_delta).

#include <cstring>
#include <thread>
#include <vector>

#include "core/text/numbers.h"
#include "server/internal/cache_impl.h"

namespace memkit {
namespace server {

using internal::Item;
using internal::KeyHash;
using internal::Shard;

namespace {

constexpr size_t kKeyMaxLength = 250;
// lru_pull_tail looks at most this many items from the tail.
constexpr int kTailTries = 5;

bool ValidKey(absl::string_view key) { return !key.empty() && key.size() <= kKeyMaxLength; }

}  // namespace

// ---- Memory limit and eviction -----------------------------------------------

bool internal::CacheImpl::PullTail(Shard& s, int cls_id, uint32_t now, bool evict,
                                   const Item* keep) {
  bool removed = false;
  Item* search = s.lru_tail(cls_id);
  for (int tries = kTailTries; tries > 0 && search != nullptr; --tries) {
    Item* prev = search->prev;
    if (search == keep) {  // memcached skips the item whose lock it holds.
      search = prev;
      continue;
    }
    SlabClassCounters& cls = s.classes[search->slab_class];
    // memcached compares with `<` here and `<=` on lookups; so do we.
    if ((search->exptime != 0 && search->exptime < now) || IsFlushed(search, now)) {
      ++cls.reclaimed;
      if ((search->iflags & internal::kItemFetched) == 0) ++cls.expired_unfetched;
      Unlink(s, search, KeyHash(search->key()));
      removed = true;
      search = prev;
      continue;  // Only expired items let the walk go on.
    }
    if (!evict) break;
    if ((search->iflags & internal::kItemActive) != 0) {
      // Used again since it was linked or last rescued: a second chance,
      // like memcached moving an active item out of its COLD LRU.
      search->iflags &= static_cast<uint8_t>(~internal::kItemActive);
      s.MoveToHead(search);
      removed = true;
      search = prev;
      continue;
    }
    ++cls.evicted;
    cls.evicted_time = now >= search->time ? now - search->time : 0;
    cls.evicted_at = now;
    if (search->exptime != 0) ++cls.evicted_nonzero;
    if ((search->iflags & internal::kItemFetched) == 0) ++cls.evicted_unfetched;
    if (options_.on_evict) {
      EvictedItem evicted;
      evicted.key = search->key();
      evicted.ttl = search->exptime != 0 ? static_cast<int64_t>(search->exptime) - now : -1;
      evicted.idle = now >= search->time ? now - search->time : 0;
      evicted.fetched = (search->iflags & internal::kItemFetched) != 0;
      evicted.slab_class = search->slab_class;
      evicted.value_length = search->nbytes;
      options_.on_evict(evicted);
    }
    Unlink(s, search, KeyHash(search->key()));
    return true;
  }
  return removed;
}

bool internal::CacheImpl::ReserveChunk(Shard& s, int cls, uint32_t now, const Item* keep) {
  for (;;) {
    if (pages_.TakeChunk(cls)) return true;
    if (PullTail(s, cls, now, options_.evict, keep)) continue;
    // Nothing of this class to free here: take from other shards, but only
    // through try_lock, since this thread already holds a shard lock
    // (memcached's item_trylock plays the same part).
    bool freed = false;
    for (int round = 0; round < 3 && !freed; ++round) {
      bool contended = false;
      for (size_t i = 1; i < shards_.size() && !freed; ++i) {
        Shard& other = *shards_[(s.index + i) & shard_mask_];
        if (!other.mu.TryLock()) {
          contended = true;
          continue;
        }
        freed = PullTail(other, cls, now, options_.evict, nullptr);
        other.mu.Unlock();
      }
      if (!contended) break;
      if (!freed) std::this_thread::yield();
    }
    if (!freed) return false;
  }
}

bool internal::CacheImpl::Reserve(Shard& s, size_t nkey, uint32_t client_flags, size_t nbytes,
                                  uint32_t now, const Item* keep) {
  const size_t ntotal = ItemSize(nkey, client_flags, nbytes);
  if (ntotal <= slab_chunk_max_) return ReserveChunk(s, slab_classes_.ClassFor(ntotal), now, keep);
  std::vector<uint8_t> chunks;
  slab_classes_.ChunksFor(ntotal, nkey, client_flags != 0 ? 4 : 0, nbytes, options_.use_cas,
                          &chunks);
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (!ReserveChunk(s, chunks[i], now, keep)) {
      for (size_t j = 0; j < i; ++j) pages_.ReturnChunk(chunks[j]);
      return false;
    }
  }
  return true;
}

void internal::CacheImpl::Unreserve(size_t nkey, uint32_t client_flags, size_t nbytes) {
  const size_t ntotal = ItemSize(nkey, client_flags, nbytes);
  if (ntotal <= slab_chunk_max_) {
    pages_.ReturnChunk(slab_classes_.ClassFor(ntotal));
    return;
  }
  std::vector<uint8_t> chunks;
  slab_classes_.ChunksFor(ntotal, nkey, client_flags != 0 ? 4 : 0, nbytes, options_.use_cas,
                          &chunks);
  for (uint8_t cls : chunks) pages_.ReturnChunk(cls);
}

// ---- Stores ------------------------------------------------------------------

void internal::CacheImpl::DropKey(absl::string_view key, bool drop, bool too_large) {
  const uint64_t hash = KeyHash(key);
  const uint32_t now = CurrentTime();
  Shard& s = ShardFor(hash);
  MutexLock lock(&s.mu);
  if (too_large) {
    ++s.counters.store_too_large;
  } else {
    ++s.counters.store_no_memory;
  }
  if (!drop || !ValidKey(key)) return;
  // "Avoid stale data persisting in cache because we failed alloc."
  Item* old = FindLive(s, key, hash, now);
  if (old != nullptr) Unlink(s, old, hash);
}

McCode internal::CacheImpl::AllocateRaw(absl::string_view key, size_t value_length,
                                        const StoreRequest& request, Item** out) {
  *out = nullptr;
  if (!ValidKey(key)) return McCode::kClientError;
  const bool drop = request.drop_on_failure.value_or(request.mode == StoreMode::kSet);
  // memcached's item_size_ok(): the whole item must fit -I.
  if (value_length > options_.item_size_max ||
      ItemSize(key.size(), request.client_flags, value_length) > options_.item_size_max) {
    DropKey(key, drop, /*too_large=*/true);
    return McCode::kTooLarge;
  }
  Item* it = internal::AllocateItem(key, request.client_flags, static_cast<uint32_t>(value_length));
  if (it == nullptr) {
    DropKey(key, drop, /*too_large=*/false);
    return McCode::kOutOfMemory;
  }
  it->slab_class = slab_classes_.ClassFor(ItemSizeOf(it));
  it->key_binary = request.key_binary ? 1 : 0;
  *out = it;
  return McCode::kOk;
}

absl::StatusOr<NewItem> internal::CacheImpl::Allocate(absl::string_view key, size_t value_length,
                                                      const StoreRequest& request) {
  Item* it = nullptr;
  const McCode code = AllocateRaw(key, value_length, request, &it);
  if (code != McCode::kOk) return CacheStatus(code);
  return NewItem(it, request);
}

StoreResult internal::CacheImpl::Store(absl::string_view key, absl::string_view value,
                                       const StoreRequest& request) {
  Item* it = nullptr;
  const McCode code = AllocateRaw(key, value.size(), request, &it);
  if (code != McCode::kOk) {
    StoreResult r;
    r.code = code;
    return r;
  }
  if (!value.empty()) std::memcpy(it->value_data(), value.data(), value.size());
  return StoreItem(it, request);
}

StoreResult internal::CacheImpl::Store(NewItem item) {
  if (!item) return StoreResult();
  Item* it = std::exchange(item.item_, nullptr);
  return StoreItem(it, item.request_);
}

Item* internal::CacheImpl::Combine(Shard& s, Item* old_it, const Item* add, bool prepend,
                                   uint32_t now) {
  const uint64_t total = uint64_t{old_it->nbytes} + add->nbytes;
  if (total > options_.item_size_max) return nullptr;
  const size_t ntotal = ItemSize(old_it->nkey, old_it->client_flags, total);
  if (ntotal > options_.item_size_max) return nullptr;  // Too large: NOT_STORED.
  const uint8_t slab_class = slab_classes_.ClassFor(ntotal);
  if (!Reserve(s, old_it->nkey, old_it->client_flags, total, now, old_it)) {
    ++s.classes[slab_class].outofmemory;
    return nullptr;
  }
  Item* combined =
      internal::AllocateItem(old_it->key(), old_it->client_flags, static_cast<uint32_t>(total));
  if (combined == nullptr) {
    Unreserve(old_it->nkey, old_it->client_flags, total);
    return nullptr;
  }
  combined->slab_class = slab_class;
  combined->exptime = old_it->exptime;
  const Item* first = prepend ? add : old_it;
  const Item* second = prepend ? old_it : add;
  char* dst = combined->value_data();
  if (first->nbytes != 0) std::memcpy(dst, first->value_data(), first->nbytes);
  if (second->nbytes != 0) std::memcpy(dst + first->nbytes, second->value_data(), second->nbytes);
  return combined;
}

StoreResult internal::CacheImpl::StoreItem(Item* it, const StoreRequest& request) {
  const absl::string_view key = it->key();
  const uint64_t hash = KeyHash(key);
  const uint32_t now = CurrentTime();
  it->exptime = RelTime(request.exptime, now);
  StoreResult r;
  Shard& s = ShardFor(hash);
  MutexLock lock(&s.mu);
  if (!ReserveForStore(s, it, request, hash, now)) {
    internal::UnrefItem(it);
    r.code = McCode::kOutOfMemory;
    return r;
  }
  ++s.classes[it->slab_class].cmd_set;
  Item* old_it = FindLive(s, key, hash, now);
  const bool linked = old_it != nullptr ? StoreOverExisting(s, old_it, it, request, hash, now, &r)
                                        : StoreAbsent(s, it, request, hash, now, &r);
  if (linked) {
    r.code = McCode::kOk;
    r.cas = it->cas;
  } else {
    Unreserve(it->nkey, it->client_flags, it->nbytes);
  }
  internal::UnrefItem(it);  // The table holds its own reference if linked.
  return r;
}

bool internal::CacheImpl::ReserveForStore(Shard& s, Item* it, const StoreRequest& request,
                                          uint64_t hash, uint32_t now) {
  // memcached allocates before it looks at the old item, reclaiming an
  // expired tail item when it can, else evicting, else failing.
  PullTail(s, it->slab_class, now, /*evict=*/false, nullptr);
  if (Reserve(s, it->nkey, it->client_flags, it->nbytes, now, nullptr)) return true;
  ++s.classes[it->slab_class].outofmemory;
  ++s.counters.store_no_memory;
  if (request.drop_on_failure.value_or(request.mode == StoreMode::kSet)) {
    Item* old_it = FindLive(s, it->key(), hash, now);
    if (old_it != nullptr) Unlink(s, old_it, hash);
  }
  return false;
}

bool internal::CacheImpl::StoreOverExisting(Shard& s, Item* old_it, Item* it,
                                            const StoreRequest& request, uint64_t hash,
                                            uint32_t now, StoreResult* r) {
  enum class CasCheck { kNone, kMatch, kStale, kBadValue };
  CasCheck cas = CasCheck::kBadValue;
  if (request.cas == 0) {
    cas = CasCheck::kNone;
  } else if (request.cas == old_it->cas) {
    cas = CasCheck::kMatch;
  } else if (request.set_stale && request.cas < old_it->cas) {
    cas = CasCheck::kStale;
  }
  switch (request.mode) {
    case StoreMode::kAdd:
      // add fails on an existing item but still promotes it in the LRU.
      Update(s, old_it, now);
      r->code = McCode::kNotStored;
      return false;
    case StoreMode::kCas:
      if (cas == CasCheck::kMatch) {
        ++s.classes[old_it->slab_class].cas_hits;
      } else if (cas == CasCheck::kStale) {
        // Keeps the TTL, is marked stale, and inherits a sent token.
        it->exptime = old_it->exptime;
        it->iflags |= internal::kItemStale;
        if ((old_it->iflags & internal::kItemTokenSent) != 0) {
          it->iflags |= internal::kItemTokenSent;
        }
        ++s.classes[old_it->slab_class].cas_hits;
      } else {
        ++s.classes[old_it->slab_class].cas_badval;
        r->code = McCode::kExists;
        return false;
      }
      break;
    case StoreMode::kAppend:
    case StoreMode::kPrepend: {
      // The combined item is linked, not `it`.
      if (cas != CasCheck::kNone && cas != CasCheck::kMatch) {
        r->code = McCode::kExists;
        return false;
      }
      Item* combined = Combine(s, old_it, it, request.mode == StoreMode::kPrepend, now);
      if (combined == nullptr) {
        r->code = McCode::kNotStored;
        return false;
      }
      Replace(s, old_it, combined, hash, now);
      r->code = McCode::kOk;
      r->cas = combined->cas;
      internal::UnrefItem(combined);
      return false;
    }
    case StoreMode::kSet:
    case StoreMode::kReplace:
      break;
  }
  Replace(s, old_it, it, hash, now);
  return true;
}

bool internal::CacheImpl::StoreAbsent(Shard& s, Item* it, const StoreRequest& request,
                                      uint64_t hash, uint32_t now, StoreResult* r) {
  switch (request.mode) {
    case StoreMode::kAdd:
    case StoreMode::kSet:
      Link(s, it, hash, now);
      return true;
    case StoreMode::kCas:
      ++s.counters.cas_misses;
      r->code = McCode::kNotFound;
      return false;
    case StoreMode::kReplace:
    case StoreMode::kAppend:
    case StoreMode::kPrepend:
      r->code = McCode::kNotStored;
      return false;
  }
  return false;
}

Item* internal::CacheImpl::CreateLinked(Shard& s, absl::string_view key, absl::string_view value,
                                        uint64_t hash, uint32_t now) {
  const size_t ntotal = ItemSize(key.size(), 0, value.size());
  if (ntotal > options_.item_size_max) return nullptr;
  const uint8_t slab_class = slab_classes_.ClassFor(ntotal);
  if (!Reserve(s, key.size(), 0, value.size(), now, nullptr)) {
    ++s.classes[slab_class].outofmemory;
    return nullptr;
  }
  Item* it = internal::AllocateItem(key, 0, static_cast<uint32_t>(value.size()));
  if (it == nullptr) {
    Unreserve(key.size(), 0, value.size());
    return nullptr;
  }
  it->slab_class = slab_class;
  if (!value.empty()) std::memcpy(it->value_data(), value.data(), value.size());
  Link(s, it, hash, now);
  internal::UnrefItem(it);  // The table's reference keeps it.
  return it;
}

// ---- incr / decr -------------------------------------------------------------

ArithmeticResult internal::CacheImpl::Arithmetic(absl::string_view key,
                                                 const ArithmeticOptions& options) {
  ArithmeticResult r;
  if (!ValidKey(key)) {
    r.code = McCode::kClientError;
    return r;
  }
  const uint64_t hash = KeyHash(key);
  const uint32_t now = CurrentTime();
  Shard& s = ShardFor(hash);
  MutexLock lock(&s.mu);
  Item* it = FindLive(s, key, hash, now);
  if (it == nullptr) {
    if (!options.vivify) {
      if (options.incr) {
        ++s.counters.incr_misses;
      } else {
        ++s.counters.decr_misses;
      }
      r.code = McCode::kNotFound;
      return r;
    }
    char buf[text::kMaxU64Digits];
    const size_t len = static_cast<size_t>(text::FormatU64(options.initial, buf) - buf);
    it = CreateLinked(s, key, absl::string_view(buf, len), hash, now);
    if (it == nullptr) {
      r.code = McCode::kOutOfMemory;
      return r;
    }
    it->exptime = RelTime(options.vivify_exptime, now);
    r.created = true;
    r.value = options.initial;
  } else {
    // Empty values and values memcached would store in chunks are not numbers.
    if (it->nbytes == 0 || ItemSizeOf(it) > slab_chunk_max_) {
      r.code = McCode::kNonNumeric;
      return r;
    }
    if (options.cas != 0 && options.cas != it->cas) {
      r.code = McCode::kExists;
      return r;
    }
    uint64_t value = 0;
    if (!text::ParseIncrDecrValue(it->value(), &value)) {
      r.code = McCode::kNonNumeric;
      return r;
    }
    if (options.incr) {
      value += options.delta;  // Wraps at 2^64.
      ++s.classes[it->slab_class].incr_hits;
    } else {
      value = options.delta > value ? 0 : value - options.delta;
      ++s.classes[it->slab_class].decr_hits;
    }
    char buf[text::kMaxU64Digits];
    const size_t len = static_cast<size_t>(text::FormatU64(value, buf) - buf);
    // memcached rewrites in place, padding with spaces, when the number fits
    // and nobody else holds the item; otherwise it stores a new item.
    if (len <= it->nbytes && it->refcount.load(std::memory_order_acquire) == 1) {
      it->cas = NextCas();
      std::memcpy(it->value_data(), buf, len);
      std::memset(it->value_data() + len, ' ', it->nbytes - len);
      Update(s, it, now);
    } else {
      const size_t ntotal = ItemSize(it->nkey, it->client_flags, len);
      const uint8_t slab_class = slab_classes_.ClassFor(ntotal);
      if (!Reserve(s, it->nkey, it->client_flags, len, now, it)) {
        ++s.classes[slab_class].outofmemory;
        r.code = McCode::kOutOfMemory;
        return r;
      }
      Item* fresh = internal::AllocateItem(key, it->client_flags, static_cast<uint32_t>(len));
      if (fresh == nullptr) {
        Unreserve(it->nkey, it->client_flags, len);
        r.code = McCode::kOutOfMemory;
        return r;
      }
      fresh->slab_class = slab_class;
      fresh->exptime = it->exptime;
      std::memcpy(fresh->value_data(), buf, len);
      Replace(s, it, fresh, hash, now);
      internal::UnrefItem(fresh);
      it = fresh;
    }
    r.value = value;
  }
  if (options.new_exptime.has_value()) it->exptime = RelTime(*options.new_exptime, now);
  r.code = McCode::kOk;
  r.cas = it->cas;
  r.ttl = it->exptime == 0 ? -1 : static_cast<int64_t>(it->exptime) - now;
  return r;
}

ArithmeticResult internal::CacheImpl::Incr(absl::string_view key, uint64_t delta) {
  ArithmeticOptions options;
  options.incr = true;
  options.delta = delta;
  return Arithmetic(key, options);
}

ArithmeticResult internal::CacheImpl::Decr(absl::string_view key, uint64_t delta) {
  ArithmeticOptions options;
  options.incr = false;
  options.delta = delta;
  return Arithmetic(key, options);
}

}  // namespace server
}  // namespace memkit
