// Client::Impl, the body of a Client (client.h): key checking and placement,
// the per-call scratch it keeps between calls, and how single-key, multi-key
// and replicated calls become Batches for the Cluster. Private to client/.
//
// Its members are defined by responsibility:
//   impl_placement.cc      keys to wire keys and servers; multi-key batching
//   impl_replica_reads.cc  writes to every copy, reads falling back copy by copy
//   impl_calls.cc          each Client call turned into slots, run, and read back
//
// Thread-compatible, like the Client that owns it.

#ifndef MEMKIT_CLIENT_INTERNAL_CLIENT_IMPL_H_
#define MEMKIT_CLIENT_INTERNAL_CLIENT_IMPL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "client/client.h"
#include "client/internal/batch_set.h"
#include "client/internal/cluster.h"
#include "client/internal/request.h"
#include "core/keys/keys.h"

namespace memkit {
namespace client {

class Client::Impl {
 public:
  using Batch = internal::Batch;
  using BatchSet = internal::BatchSet;
  using Cluster = internal::Cluster;
  using Op = internal::Op;
  using OpSpec = internal::OpSpec;
  using Slot = internal::Slot;

  Impl(const ClientOptions& options, std::unique_ptr<Cluster> cluster, keys::KeyPolicy policy);

  const ClientOptions& options() const { return options_; }
  Cluster* cluster() { return cluster_.get(); }

  bool Noreply(absl::optional<bool> per_call, Op op) const {
    if (options_.buffer_requests && (internal::IsStorageOp(op) || op == Op::kDelete)) return true;
    return per_call.value_or(options_.noreply);
  }

  // A request description for `op`. Every key of a call is checked by the
  // KeyPolicy before it reaches a codec; with verify_keys that check covers
  // everything the text codec would check again.
  OpSpec Spec(Op op) const {
    OpSpec spec;
    spec.op = op;
    spec.keys_verified = keys_verified_;
    return spec;
  }

  // ---- calls (impl_calls.cc)
  absl::Status GetInto(absl::string_view master, absl::string_view key, Op op, bool want_cas,
                       int32_t exptime, std::string* value, uint32_t* flags, uint64_t* cas);
  absl::StatusOr<Item> GetItem(absl::string_view master, absl::string_view key, Op op,
                               bool want_cas, int32_t exptime);
  absl::Status Store(Op op, absl::string_view master, absl::string_view key,
                     absl::string_view value, uint64_t cas, const StoreOptions& o);
  absl::Status Simple(Op op, absl::string_view master, absl::string_view key, int32_t exptime,
                      absl::optional<bool> noreply);
  absl::StatusOr<uint64_t> Counter(Op op, absl::string_view master, absl::string_view key,
                                   uint64_t delta, const CounterOptions& o);
  // A multi-get into `*out`: every value lands in its one buffer.
  absl::Status MultiGet(absl::string_view master, absl::Span<const absl::string_view> keys,
                        bool want_cas, MultiGetResult* out);
  // The same into a map: hits are added (or overwrite), misses left alone.
  absl::Status MultiGet(absl::string_view master, absl::Span<const absl::string_view> keys,
                        bool want_cas, ItemMap* out);
  absl::Status MultiWrite(Op op, absl::string_view master, absl::Span<const absl::string_view> keys,
                          absl::Span<const KeyValue> items, const StoreOptions& o,
                          std::vector<absl::Status>* per_key);
  absl::Status SetMulti(absl::string_view master, absl::Span<const KeyValue> items,
                        const StoreOptions& o, std::vector<absl::Status>* per_key);
  // One Batch per server for a per-server command, run.
  std::vector<Batch> AllServers(const OpSpec& spec);

  // ---- replicas (impl_replica_reads.cc)
  // One keyed request. Writes (storage, delete) also go to the replicas;
  // reads fall back to them on a miss or a failure.
  absl::Status RunSingle(const OpSpec& spec, absl::string_view master, absl::string_view key,
                         Slot* slot);

  // ---- placement (impl_placement.cc)
  absl::StatusOr<std::string> ServerForKey(absl::string_view key);

 private:
  // Scratch buffers above this size are released after the call that grew
  // them, so one huge call does not pin its memory for the Client's life.
  static constexpr size_t kMaxKeptScratch = 1 << 20;
  static constexpr size_t kMaxKeptSlots = 4096;

  // ---- placement (impl_placement.cc)
  // The placement input for `key`, whose wire form is `wire`.
  absl::string_view HashKey(absl::string_view master, absl::string_view key,
                            absl::string_view wire);
  // Checks `key` and places it: its wire form (the caller's bytes when there
  // is no prefix, else prefix + key built in wire_) and its server.
  absl::Status PlaceOne(absl::string_view master, absl::string_view key, absl::string_view* wire,
                        size_t* server);
  // Validates and places every key of a multi-key call (plus replica copies
  // for writes: slot i + k*n goes to the k-th replica), then runs the batches.
  // A read (copies == 1) goes to copy `read_copy` of each key's server.
  // A key that cannot be sent (bad, or no live server) is answered with why.
  // With replicas, each key's primary server (or kNoServer) is left in
  // primaries_ for the read fallback.
  void PlaceAll(absl::string_view master, absl::Span<const absl::string_view> keys,
                const OpSpec* spec, Slot* slots, int copies, int read_copy = 0);
  // `n` blank slots from the kept array (released first if a past call left
  // it far larger than this one needs).
  Slot* FreshSlots(size_t n);
  // Runs the one batch of a single-server request.
  void RunOne(const OpSpec& spec, Slot* slot, size_t server);

  // ---- replicas (impl_replica_reads.cc)
  // The copy a replica read asks first: 0 (the primary), or a random one
  // per call with randomize_replica_read, as libmemcached does.
  int FirstReadCopy();
  // A multi-get with replicas: see the definition.
  void ReplicatedMultiGet(absl::string_view master, absl::Span<const absl::string_view> keys,
                          const OpSpec& spec, Slot* slots);

  const ClientOptions options_;
  std::unique_ptr<Cluster> cluster_;
  const keys::KeyPolicy policy_;
  const std::string prefix_;
  const bool keys_verified_;  // see Spec()

  // Per-call scratch, kept between calls (a Client runs one call at a time).
  std::string wire_;  // a single request's prefixed wire key
  std::string hash_scratch_;
  std::string arena_;                            // a multi-key call's prefixed wire keys
  Batch single_;                                 // a single-server request's batch (indexes {0})
  std::vector<Slot> slots_;                      // a multi-key call's slots
  std::vector<size_t> primaries_;                // PlaceAll with replicas: each key's primary
  std::vector<internal::CopyOutcome> outcomes_;  // replicated multi-get, per key
  BatchSet batch_set_;
  std::vector<absl::string_view> keys_scratch_;
  MultiGetResult map_scratch_;  // behind GetMulti into an ItemMap
  std::mt19937_64 rng_;
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_INTERNAL_CLIENT_IMPL_H_
