// memkit::client::Client: a memcached client over the text, binary or meta
// protocol, placing keys exactly where libmemcached and pylibmc do.
//
//   ClientOptions options;
//   options.servers = {"10.0.0.1:11211", "10.0.0.2:11211:2"};
//   options.distribution = hash::Distribution::kKetama;
//   auto client = Client::Create(options);           // connects lazily
//   (*client)->Set("k", "v", {.exptime = 60});
//   absl::StatusOr<Item> item = (*client)->Get("k");  // NotFound on a miss
//
// Outcomes are absl::Status through core/status: a miss is NotFound, a cas
// conflict Aborted, NOT_STORED FailedPrecondition, a bad key InvalidArgument
// (nothing sent), a server that cannot be reached or is resting after
// failures Unavailable (the message names the server and why), a timeout
// DeadlineExceeded. GetMcCode() gives the memcached-level code.
//
// Multi-key calls send to every server involved before reading any reply and
// read replies as they arrive (poll), so they cost about one round trip. A
// multi-get into a reused MultiGetResult (multi_get_result.h) allocates
// nothing once warm.
// `...ByKey` variants place the key by `master_key` instead (libmemcached's
// *_by_key): related keys share a server, e.g. for one multi-get.
//
// docs/client.md has the behaviors table, the failover rules and a migration
// guide from libmemcached, pylibmc and pymemcache.
//
// Thread-safety: a Client is NOT thread-safe (like a memcached_st): use one
// per thread, or borrow one from a ClientPool / ThreadMappedPool (pool.h).

#ifndef MEMKIT_CLIENT_CLIENT_H_
#define MEMKIT_CLIENT_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "client/client_options.h"
#include "client/multi_get_result.h"
#include "client/server_observer.h"
#include "core/value/codec.h"
#include "core/value/value.h"

namespace memkit {
namespace client {

namespace internal {
class Cluster;
struct OpSpec;
struct Slot;
}  // namespace internal

// A value as stored: the bytes, the client flags and the cas unique (set by
// Gets/GetAndTouch/GetsMulti and by the binary protocol always; else 0).
struct Item {
  std::string value;
  uint32_t flags = 0;
  uint64_t cas = 0;
};

using ItemMap = absl::flat_hash_map<std::string, Item>;

// Per-call options of storage commands.
struct StoreOptions {
  uint32_t flags = 0;   // client flags stored with the value
  int32_t exptime = 0;  // seconds (or a unix time past 30 days); 0 = never
  // Ask for no reply; unset = ClientOptions::noreply.
  absl::optional<bool> noreply;
};

// Per-call options of incr/decr.
struct CounterOptions {
  // A missing counter is created with this value (binary, meta natively;
  // text as incr, then add on a miss). Unset: a miss is NotFound.
  absl::optional<uint64_t> initial;
  int32_t exptime = 0;  // expiry of a counter created from `initial`
  absl::optional<bool> noreply;
};

// One item of SetMulti.
struct KeyValue {
  absl::string_view key;
  absl::string_view value;
  uint32_t flags = 0;
};

// One server's answer to a per-server command.
struct ServerStats {
  std::string server;  // "host:port" or the unix path
  absl::Status status;
  std::vector<std::pair<std::string, std::string>> stats;
};
struct ServerVersion {
  std::string server;
  absl::StatusOr<std::string> version;
};

// Meta-protocol leases (stale-while-revalidate): mg with N (vivify on miss)
// and R (recache when the TTL runs low).
struct LeaseOptions {
  // On a miss, memcached creates an empty placeholder living this long and
  // hands exactly one caller the win token ('W'); others see 'Z'.
  int32_t vivify_ttl = 30;
  // When the item's remaining TTL is below this, one caller wins a recache.
  // 0 = off.
  int32_t recache_ttl = 0;
};

struct LeaseResult {
  // The value, if there is a real one (also when it is stale).
  absl::optional<Item> item;
  bool won = false;       // this caller must recompute and Set the value
  bool stale = false;     // the value was invalidated (stale, 'X')
  bool win_sent = false;  // another caller holds the win token ('Z')
};

// GetOrCompute's options.
struct ComputeOptions {
  LeaseOptions lease;
  int32_t exptime = 0;                           // of the computed value
  absl::Duration wait = absl::Seconds(2);        // for another caller's value
  absl::Duration poll_interval = absl::Milliseconds(5);
};

class Client {
 public:
  // Parses the servers and builds the placement; connects lazily, so an
  // unreachable server fails the calls that need it, not Create().
  // InvalidArgument for a bad server list, prefix or option.
  static absl::StatusOr<std::unique_ptr<Client>> Create(const ClientOptions& options);
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const;

  // ---- retrieval
  absl::StatusOr<Item> Get(absl::string_view key) { return GetByKey({}, key); }
  // Reuses `*value`'s capacity: no allocation for a hit that fits.
  absl::Status Get(absl::string_view key, std::string* value, uint32_t* flags = nullptr);
  // Get with the cas unique (gets).
  absl::StatusOr<Item> Gets(absl::string_view key) { return GetsByKey({}, key); }
  // gat / gats: get and set a new expiry.
  absl::StatusOr<Item> GetAndTouch(absl::string_view key, int32_t exptime);
  absl::StatusOr<Item> GetsAndTouch(absl::string_view key, int32_t exptime);
  // Hits go into `*out` (misses are absent). OK when every server answered;
  // else the first failure, with the other servers' hits still in `*out`.
  absl::Status GetMulti(absl::Span<const absl::string_view> keys, ItemMap* out);
  absl::Status GetsMulti(absl::Span<const absl::string_view> keys, ItemMap* out);
  // The same into a reusable result, key by key in `keys` order (the fast
  // form: no map, no allocation once `*out` has held a call this size).
  // `*out` is replaced; the return value is as above.
  absl::Status GetMulti(absl::Span<const absl::string_view> keys, MultiGetResult* out);
  absl::Status GetsMulti(absl::Span<const absl::string_view> keys, MultiGetResult* out);

  // ---- storage. OK, or FailedPrecondition (NOT_STORED: add on an existing
  // key, replace/append/prepend on a missing one), Aborted (cas conflict),
  // NotFound (cas on a missing key), ...
  absl::Status Set(absl::string_view key, absl::string_view value, const StoreOptions& o = {});
  absl::Status Add(absl::string_view key, absl::string_view value, const StoreOptions& o = {});
  absl::Status Replace(absl::string_view key, absl::string_view value,
                       const StoreOptions& o = {});
  absl::Status Append(absl::string_view key, absl::string_view value, const StoreOptions& o = {});
  absl::Status Prepend(absl::string_view key, absl::string_view value,
                       const StoreOptions& o = {});
  absl::Status Cas(absl::string_view key, absl::string_view value, uint64_t cas,
                   const StoreOptions& o = {});
  // One status per item in `*per_key` (if given); returns the first failure.
  absl::Status SetMulti(absl::Span<const KeyValue> items, const StoreOptions& o = {},
                        std::vector<absl::Status>* per_key = nullptr);

  // ---- other keyed commands
  absl::Status Delete(absl::string_view key, absl::optional<bool> noreply = absl::nullopt);
  absl::Status DeleteMulti(absl::Span<const absl::string_view> keys,
                           std::vector<absl::Status>* per_key = nullptr);
  // The new value (0 when noreply). decr stops at 0, as memcached does.
  absl::StatusOr<uint64_t> Incr(absl::string_view key, uint64_t delta = 1,
                                const CounterOptions& o = {});
  absl::StatusOr<uint64_t> Decr(absl::string_view key, uint64_t delta = 1,
                                const CounterOptions& o = {});
  absl::Status Touch(absl::string_view key, int32_t exptime);

  // ---- _by_key variants: `master_key` chooses the server.
  absl::StatusOr<Item> GetByKey(absl::string_view master_key, absl::string_view key);
  absl::StatusOr<Item> GetsByKey(absl::string_view master_key, absl::string_view key);
  absl::Status GetMultiByKey(absl::string_view master_key,
                             absl::Span<const absl::string_view> keys, ItemMap* out);
  absl::Status GetMultiByKey(absl::string_view master_key,
                             absl::Span<const absl::string_view> keys, MultiGetResult* out);
  absl::Status SetByKey(absl::string_view master_key, absl::string_view key,
                        absl::string_view value, const StoreOptions& o = {});
  absl::Status AddByKey(absl::string_view master_key, absl::string_view key,
                        absl::string_view value, const StoreOptions& o = {});
  absl::Status ReplaceByKey(absl::string_view master_key, absl::string_view key,
                            absl::string_view value, const StoreOptions& o = {});
  absl::Status CasByKey(absl::string_view master_key, absl::string_view key,
                        absl::string_view value, uint64_t cas, const StoreOptions& o = {});
  absl::Status SetMultiByKey(absl::string_view master_key, absl::Span<const KeyValue> items,
                             const StoreOptions& o = {},
                             std::vector<absl::Status>* per_key = nullptr);
  absl::Status DeleteByKey(absl::string_view master_key, absl::string_view key,
                           absl::optional<bool> noreply = absl::nullopt);
  absl::StatusOr<uint64_t> IncrByKey(absl::string_view master_key, absl::string_view key,
                                     uint64_t delta = 1, const CounterOptions& o = {});
  absl::StatusOr<uint64_t> DecrByKey(absl::string_view master_key, absl::string_view key,
                                     uint64_t delta = 1, const CounterOptions& o = {});
  absl::Status TouchByKey(absl::string_view master_key, absl::string_view key, int32_t exptime);

  // ---- typed values through core/value (flags compatible with pylibmc and
  // pymemcache; compression per ClientOptions::value_codec).
  absl::Status SetValue(absl::string_view key, const value::Value& v, const StoreOptions& o = {});
  absl::StatusOr<value::Value> GetValue(absl::string_view key);
  const value::Codec& value_codec() const { return *value_codec_; }

  // ---- per-server commands (every server, dead ones included, in list order)
  // flush_all [delay]: OK, or the first server's failure.
  absl::Status FlushAll(absl::optional<int32_t> delay = absl::nullopt);
  // stats [args], e.g. "" / "items" / "slabs" / "settings".
  std::vector<ServerStats> Stats(absl::string_view args = "");
  std::vector<ServerVersion> Versions();
  // verbosity <level> (text and meta; memcached's binary protocol lacks it).
  absl::Status Verbosity(uint32_t level);

  // ---- meta protocol extras (Unimplemented on the others)
  absl::StatusOr<LeaseResult> LeaseGet(absl::string_view key, const LeaseOptions& o = {});
  // Read-through with dogpile protection: returns the cached value; on a
  // miss (or a stale value) exactly one caller across all clients runs
  // `compute` and stores its result while the others get the stale value or
  // wait (up to o.wait) for the winner's. An empty value under a lease token
  // is taken for the placeholder, so do not cache empty values this way.
  absl::StatusOr<std::string> GetOrCompute(
      absl::string_view key, const std::function<absl::StatusOr<std::string>()>& compute,
      const ComputeOptions& o = {});

  // ---- misc
  // Sends requests held back by buffer_requests. OK, or the first failure.
  absl::Status Flush();
  // The server ("host:port") `key` maps to now, or an error for a bad key or
  // no live server.
  absl::StatusOr<std::string> ServerForKey(absl::string_view key);
  // For tests: whether server `index` (ClientOptions::servers order) is
  // currently ejected from the placement.
  bool IsEjected(size_t index) const;
  // `observer` (not owned; nullptr removes it) is told the outcome and
  // latency of every round trip to a server (server_observer.h). It must
  // outlive the Client or be removed first.
  void SetServerObserver(ServerObserver* observer);

 private:
  class Impl;
  Client(std::unique_ptr<Impl> impl, std::unique_ptr<value::Codec> codec);

  std::unique_ptr<Impl> impl_;
  std::unique_ptr<value::Codec> value_codec_;
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_CLIENT_H_
