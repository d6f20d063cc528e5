// Requests, results and item handles of memkit's storage engine
// (memkit::server::Cache, see cache.h).
//
// Outcomes are memkit::McCode values (core/status), the one mapping memkit
// keeps between memcached replies and absl::Status: kOk is STORED / DELETED /
// TOUCHED / a hit, kNotStored NOT_STORED, kExists EXISTS, kNotFound NOT_FOUND,
// kNonNumeric the incr/decr CLIENT_ERROR, kOutOfMemory "SERVER_ERROR out of
// memory storing object", kTooLarge "SERVER_ERROR object too large for cache".
// They are plain enums on the hot path (an absl::Status with a message
// allocates); CacheStatus() turns one into an absl::Status when wanted.
//
// Thread-safety: ItemRef may be copied, moved and destroyed on any thread;
// each handle object is used by one thread at a time. NewItem belongs to one
// thread until handed to Cache::Store().

#ifndef MEMKIT_SERVER_CACHE_TYPES_H_
#define MEMKIT_SERVER_CACHE_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/status/status.h"

namespace memkit {
namespace server {

namespace internal {
class CacheImpl;
struct Item;
}  // namespace internal

// The absl::Status for an engine outcome, with memcached's wording
// (McError(code, ...)); OkStatus() for kOk.
absl::Status CacheStatus(McCode code);

// A counted reference to a stored item. While held, key(), value() and
// client_flags() and key_binary() stay valid and unchanged, even if the item is replaced,
// deleted, evicted or flushed meanwhile: hand value().data() to writev() and
// drop the handle once the bytes are written. Empty on a miss.
class ItemRef {
 public:
  ItemRef() = default;
  ItemRef(const ItemRef& other);
  ItemRef(ItemRef&& other) noexcept : item_(std::exchange(other.item_, nullptr)) {}
  ItemRef& operator=(ItemRef other) noexcept {
    std::swap(item_, other.item_);
    return *this;
  }
  ~ItemRef() { reset(); }

  explicit operator bool() const { return item_ != nullptr; }
  void reset() {
    if (item_ != nullptr) Unref(std::exchange(item_, nullptr));
  }

  // Require a non-empty handle.
  absl::string_view key() const;
  absl::string_view value() const;
  uint32_t client_flags() const;
  // Stored with a base64 key (StoreRequest::key_binary).
  bool key_binary() const;

 private:
  friend class internal::CacheImpl;
  static void Unref(internal::Item* item);
  // Adopts one reference the caller already took.
  explicit ItemRef(internal::Item* adopted) : item_(adopted) {}

  internal::Item* item_ = nullptr;
};

// ---- get / gets / gat / gats / touch / mg ----------------------------------

struct GetOptions {
  // Count the read as an access: LRU bump, last-access time, "fetched" bit.
  // memcached's mg `u` flag turns it off.
  bool bump = true;
  // gat/gats, binary GAT, mg T, touch: set the expiry (client's exptime as
  // sent: 0 never, <= 30 days relative, larger absolute, negative expired).
  // Counted as a touch (cmd_touch, touch_hits/misses) instead of a get.
  std::optional<int64_t> new_exptime;
  // mg N<ttl>: on a miss, create an empty item with this exptime and hand
  // this request the win token.
  std::optional<int64_t> vivify_exptime;
  // mg R<ttl>: win the recache token when the item's remaining TTL is below
  // this and no token was handed out yet.
  std::optional<int64_t> recache_exptime;
};

struct GetResult {
  ItemRef item;              // Empty on a miss.
  uint64_t cas = 0;          // gets / mg c.
  int64_t ttl = -1;          // mg t: seconds left after any touch; -1 never expires.
  uint32_t last_access = 0;  // mg l: seconds since the previous access.
  bool fetched = false;      // mg h: fetched before this request.
  bool stale = false;        // mg X: marked stale (md I / ms I).
  bool win = false;          // mg W: this request won the (re)cache token.
  bool token_sent = false;   // mg Z: a token had already gone to someone else.
  bool created = false;      // mg N created the (empty) item.

  bool hit() const { return static_cast<bool>(item); }
};

// ---- set / add / replace / append / prepend / cas / ms ---------------------

// memcached's store commands (NREAD_SET ... NREAD_CAS). Handlers map protocol
// variants onto these the way memcached does: ms with C in set or replace
// mode, and binary set/replace/add with a non-zero CAS, become kCas.
enum class StoreMode { kSet, kAdd, kReplace, kAppend, kPrepend, kCas };

struct StoreRequest {
  StoreMode mode = StoreMode::kSet;
  uint32_t client_flags = 0;
  // As sent by the client: 0 never, <= 2592000 relative seconds, larger an
  // absolute unix time (in the past: expired at once), negative expired.
  int64_t exptime = 0;
  // The CAS unique to compare: required by kCas; with kAppend/kPrepend a
  // non-zero value must match (meta C). Ignored by the other modes.
  uint64_t cas = 0;
  // ms I with kCas: a `cas` older than the item's still stores, keeping the
  // old TTL, and marks the new item stale (memcached's set_stale).
  bool set_stale = false;
  // ms with the key in base64 ('b'): memcached marks the item so that mg and
  // me give the key back in base64 (ItemRef::key_binary, ItemInfo::key_binary).
  bool key_binary = false;
  // When the item cannot be stored for size or memory, also remove the key's
  // current value so stale data does not linger (memcached does this for
  // text and binary `set` and for every ms). Unset: mode == kSet.
  std::optional<bool> drop_on_failure;
};

struct StoreResult {
  // kOk (STORED), kNotStored, kExists, kNotFound (cas on a missing key),
  // kOutOfMemory, kTooLarge.
  McCode code = McCode::kNotStored;
  uint64_t cas = 0;  // The stored item's CAS (ms c) when code == kOk.

  bool stored() const { return code == McCode::kOk; }
};

// An item being filled before it is stored (memcached's item_alloc +
// conn_nread): the handler reads the value straight from the socket into
// mutable_value(), then calls Cache::Store(std::move(item)). Dropping it
// unstored frees it.
class NewItem {
 public:
  NewItem() = default;
  NewItem(NewItem&& other) noexcept
      : item_(std::exchange(other.item_, nullptr)), request_(other.request_) {}
  NewItem& operator=(NewItem&& other) noexcept {
    if (this != &other) {
      reset();
      item_ = std::exchange(other.item_, nullptr);
      request_ = other.request_;
    }
    return *this;
  }
  NewItem(const NewItem&) = delete;
  NewItem& operator=(const NewItem&) = delete;
  ~NewItem() { reset(); }

  explicit operator bool() const { return item_ != nullptr; }
  absl::string_view key() const;
  char* mutable_value();
  size_t value_size() const;
  const StoreRequest& request() const { return request_; }

 private:
  friend class internal::CacheImpl;
  NewItem(internal::Item* adopted, const StoreRequest& request) : item_(adopted), request_(request) {}
  void reset();

  internal::Item* item_ = nullptr;
  StoreRequest request_;
};

// ---- delete / md -----------------------------------------------------------

struct DeleteOptions {
  // md C / binary delete CAS: delete only when it matches (else kExists).
  uint64_t cas = 0;
  // md I: keep the item but mark it stale, give it a new CAS and let the next
  // mg win a token, instead of deleting it.
  bool mark_stale = false;
  // md I T<ttl>: new expiry for the stale item.
  std::optional<int64_t> new_exptime;
};

// ---- incr / decr / ma ------------------------------------------------------

struct ArithmeticOptions {
  bool incr = true;    // incr wraps at 2^64; decr stops at 0.
  uint64_t delta = 1;
  uint64_t cas = 0;    // ma C: only when the CAS matches (else kExists).
  // ma N / binary incr with an expiration other than 0xffffffff: on a miss,
  // store `initial` (as decimal text, flags 0) with `vivify_exptime`.
  bool vivify = false;
  uint64_t initial = 0;
  int64_t vivify_exptime = 0;
  std::optional<int64_t> new_exptime;  // ma T: set the expiry afterwards.
};

struct ArithmeticResult {
  // kOk, kNotFound, kExists, kNonNumeric, kOutOfMemory.
  McCode code = McCode::kNotFound;
  uint64_t value = 0;  // The new number (the reply to incr/decr).
  uint64_t cas = 0;    // ma c.
  int64_t ttl = -1;    // ma t.
  bool created = false;
};

// ---- me, stats cachedump, lru_crawler metadump ----------------------------

struct ItemInfo {
  absl::string_view key;  // Valid for the call that produced it.
  uint32_t value_length = 0;
  uint32_t client_flags = 0;
  uint64_t cas = 0;
  int64_t exptime_unix = 0;      // Absolute expiry; 0 never.
  int64_t ttl = -1;              // Seconds left; -1 never. (`me` prints exp=-ttl.)
  int64_t last_access_unix = 0;  // Absolute time of the last access.
  uint32_t idle = 0;             // Seconds since the last access (`me` la=).
  bool fetched = false;
  bool key_binary = false;  // Stored with a base64 key (`me` prints it so).
  int slab_class = 0;     // memcached's class for this size (`me` cls=).
  size_t total_size = 0;  // memcached's item size (`me` size=).
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_CACHE_TYPES_H_
