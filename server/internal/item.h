// The storage engine's item: one heap block holding a fixed header, the key
// and the value, linked into its shard's hash chain and LRU list through
// pointers in the header (no per-item container node).
//
// Layout (64-bit): 56-byte header, then `nkey` key bytes, then `nbytes` value
// bytes. memcached's item is a 48-byte header plus an 8-byte CAS, the key with
// a NUL, 4 bytes of client flags when non-zero and the value with "\r\n",
// rounded up to a slab chunk; this one keeps the CAS and flags in the header
// and stores neither terminator.
//
// Thread-safety: the key, value, client flags and sizes never change while
// more than one reference exists (incr/decr rewrites a value in place only
// when the table holds the sole reference). Everything else in the header is
// guarded by the owning shard's mutex. `refcount` is atomic: references are
// taken under the shard mutex and may be dropped anywhere.

#ifndef MEMKIT_SERVER_INTERNAL_ITEM_H_
#define MEMKIT_SERVER_INTERNAL_ITEM_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace memkit {
namespace server {
namespace internal {

// Bits of Item::iflags.
enum ItemFlag : uint8_t {
  kItemLinked = 1 << 0,     // In the hash table and LRU; the table owns one reference.
  kItemFetched = 1 << 1,    // Read at least once (memcached's ITEM_FETCHED, mg `h`).
  kItemStale = 1 << 2,      // Marked stale by md I / ms I (mg returns X).
  kItemTokenSent = 1 << 3,  // A win token went out for it (mg returns Z).
  kItemActive = 1 << 4,     // Fetched again since it last reached the LRU tail.
};

struct Item {
  Item* h_next;  // Next item in the same hash bucket.
  Item* prev;    // LRU neighbour towards the head (more recently used).
  Item* next;    // LRU neighbour towards the tail (less recently used).
  uint64_t cas;  // 0 when CAS is disabled.
  std::atomic<uint32_t> refcount;
  uint32_t time;          // Last access, in the cache's relative seconds.
  uint32_t exptime;       // Relative expiry time; 0 = never.
  uint32_t nbytes;        // Value length (no "\r\n").
  uint32_t client_flags;  // Opaque to the server.
  uint8_t nkey;           // Key length, 1..250.
  uint8_t iflags;         // ItemFlag bits; guarded by the shard's mutex.
  uint8_t slab_class;     // memcached's slab class for this size (stats only).
  // Stored by ms with its key in base64 (memcached's ITEM_KEY_BINARY): mg and
  // me print the key back in base64. Not carried over to the new item an
  // append, a prepend or a growing incr creates, as in memcached. Set before
  // the item is linked and constant after, like the key: a holder of a
  // reference reads it without the shard lock (a snapshot does), which would
  // race with the lock holders' writes of iflags if it were one of its bits.
  uint8_t key_binary;

  const char* key_data() const { return reinterpret_cast<const char*>(this + 1); }
  char* key_data() { return reinterpret_cast<char*>(this + 1); }
  const char* value_data() const { return key_data() + nkey; }
  char* value_data() { return key_data() + nkey; }
  absl::string_view key() const { return absl::string_view(key_data(), nkey); }
  absl::string_view value() const { return absl::string_view(value_data(), nbytes); }
};
static_assert(sizeof(Item) == 56, "Item header should stay at 56 bytes");

// Allocates an unlinked item holding `key` and room for `nbytes` value bytes,
// with one reference (the caller's). Returns nullptr when malloc fails.
// `key` must be 1..255 bytes (the cache enforces 250).
Item* AllocateItem(absl::string_view key, uint32_t client_flags, uint32_t nbytes);

// Bytes of heap the item occupies as the allocator sees it (header + key + value).
inline size_t ItemAllocationSize(size_t nkey, size_t nbytes) { return sizeof(Item) + nkey + nbytes; }

inline void RefItem(Item* it) { it->refcount.fetch_add(1, std::memory_order_relaxed); }

// Frees the item when this was the last reference.
void UnrefItem(Item* it);

// memcached's ITEM_ntotal: the size memcached's `bytes` stat counts and checks
// against -I. sizeof(item) is 48 on 64-bit builds; the key has a NUL; non-zero
// client flags take 4 bytes; the value carries "\r\n"; CAS adds 8.
constexpr size_t kMemcachedItemHeader = 48;
inline size_t MemcachedItemSize(size_t nkey, uint32_t client_flags, size_t nbytes, bool use_cas) {
  return kMemcachedItemHeader + nkey + 1 + (client_flags != 0 ? 4 : 0) + nbytes + 2 +
         (use_cas ? 8 : 0);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_INTERNAL_ITEM_H_
