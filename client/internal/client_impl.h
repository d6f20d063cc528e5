// Client::Impl, the body of a Client (client.h): key checking and placement,
// the per-call scratch it keeps between calls, and how single-key, multi-key
// and replicated calls become Batches for the Cluster. Private to client/;
// included by client.cc only.
//
// Thread-compatible, like the Client that owns it.

#ifndef MEMKIT_CLIENT_INTERNAL_CLIENT_IMPL_H_
#define MEMKIT_CLIENT_INTERNAL_CLIENT_IMPL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "client/client.h"
#include "client/internal/cluster.h"
#include "client/internal/codec.h"
#include "client/internal/request.h"
#include "core/keys/keys.h"
#include "core/status/status.h"

namespace memkit {
namespace client {
namespace internal {

inline absl::Status MissStatus(absl::string_view key) {
  return McError(McCode::kNotFound, absl::StrCat("key '", key, "' not found"));
}

// Groups a multi-key call's slots into one Batch per server. Kept by the
// Client between calls: Begin() forgets the last call but keeps every
// vector's capacity, so a steady-state call allocates nothing.
class BatchSet {
 public:
  void Begin(const OpSpec* spec, Slot* slots, size_t servers) {
    spec_ = spec;
    slots_ = slots;
    which_.assign(servers, -1);
    used_ = 0;
  }

  void Add(size_t server, uint32_t slot) {
    int& w = which_[server];
    if (w < 0) {
      w = static_cast<int>(used_++);
      if (batches_.size() < used_) batches_.emplace_back();
      Batch& b = batches_[static_cast<size_t>(w)];
      b.spec = spec_;
      b.slots = slots_;
      b.server = server;
      b.indexes.clear();
    }
    batches_[static_cast<size_t>(w)].indexes.push_back(slot);
  }

  void Run(Cluster* cluster) {
    if (used_ == 0) return;
    ptrs_.clear();
    for (size_t i = 0; i < used_; ++i) ptrs_.push_back(&batches_[i]);
    cluster->Execute(ptrs_);
  }

 private:
  const OpSpec* spec_ = nullptr;
  Slot* slots_ = nullptr;
  std::vector<int> which_;       // server -> index in batches_, or -1
  std::vector<Batch> batches_;   // the first used_ are this call's
  size_t used_ = 0;
  std::vector<Batch*> ptrs_;
};

// What the copies of one key said to a replica read so far. A hit ends the
// search; otherwise the key is a miss (OK) if any copy answered, and carries
// the first copy's error only if none did. Single gets and multi-gets both
// follow this rule.
class CopyOutcome {
 public:
  // Records a copy that did not hit: OK (a miss) or why it failed.
  void Note(const absl::Status& status) {
    if (status.ok()) {
      answered_ = true;
    } else if (first_error_.ok()) {
      first_error_ = status;
    }
  }
  // The key's status once every copy missed or failed.
  absl::Status Final() const { return answered_ ? absl::OkStatus() : first_error_; }

 private:
  bool answered_ = false;
  absl::Status first_error_;
};

}  // namespace internal

class Client::Impl {
 public:
  using Batch = internal::Batch;
  using BatchSet = internal::BatchSet;
  using Cluster = internal::Cluster;
  using Op = internal::Op;
  using OpSpec = internal::OpSpec;
  using Slot = internal::Slot;

  Impl(const ClientOptions& options, std::unique_ptr<Cluster> cluster, keys::KeyPolicy policy)
      : options_(options), cluster_(std::move(cluster)), policy_(std::move(policy)),
        prefix_(policy_.options().prefix),
        keys_verified_(options.verify_keys && options.protocol != Protocol::kBinary),
        rng_(std::random_device{}()) {
    single_.indexes.push_back(0);
  }

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

  // The placement input for `key`, whose wire form is `wire`.
  absl::string_view HashKey(absl::string_view master, absl::string_view key,
                            absl::string_view wire) {
    if (master.empty()) return options_.hash_with_prefix ? wire : key;
    if (options_.hash_with_prefix && !prefix_.empty()) {
      hash_scratch_.assign(prefix_);
      hash_scratch_.append(master.data(), master.size());
      return hash_scratch_;
    }
    return master;
  }

  // Checks `key` and places it: its wire form (the caller's bytes when there
  // is no prefix, else prefix + key built in wire_) and its server.
  absl::Status PlaceOne(absl::string_view master, absl::string_view key, absl::string_view* wire,
                        size_t* server) {
    absl::Status s = policy_.Validate(key);
    if (!s.ok()) return s;
    *wire = key;
    if (!prefix_.empty()) {
      wire_.assign(prefix_);
      wire_.append(key.data(), key.size());
      *wire = wire_;
    }
    *server = cluster_->ServerFor(HashKey(master, key, *wire));
    if (*server == Cluster::kNoServer) return cluster_->NoLiveServer();
    return absl::OkStatus();
  }

  // Runs the one batch of a single-server request.
  void RunOne(const OpSpec& spec, Slot* slot, size_t server) {
    single_.spec = &spec;
    single_.slots = slot;
    single_.server = server;
    Batch* p = &single_;
    cluster_->Execute(absl::MakeConstSpan(&p, 1));
  }

  // One keyed request. Writes (storage, delete) also go to the replicas;
  // reads fall back to them on a miss or a failure.
  absl::Status RunSingle(const OpSpec& spec, absl::string_view master, absl::string_view key,
                         Slot* slot) {
    absl::string_view wire;
    size_t server = 0;
    absl::Status s = PlaceOne(master, key, &wire, &server);
    if (!s.ok()) return s;
    slot->key = wire;
    const int replicas = options_.replicas;
    const bool is_write = internal::IsStorageOp(spec.op) || spec.op == Op::kDelete;
    if (replicas == 0 || (!is_write && spec.op != Op::kGet && spec.op != Op::kGat)) {
      RunOne(spec, slot, server);
      return slot->status;
    }
    if (is_write) {
      absl::InlinedVector<Slot, 4> slots(static_cast<size_t>(replicas) + 1, *slot);
      std::vector<Batch> batches(slots.size());
      std::vector<Batch*> ptrs;
      for (size_t i = 0; i < slots.size(); ++i) {
        batches[i].spec = &spec;
        batches[i].slots = slots.data();
        batches[i].indexes.push_back(static_cast<uint32_t>(i));
        batches[i].server = cluster_->replica(server, static_cast<int>(i));
        ptrs.push_back(&batches[i]);
      }
      cluster_->Execute(ptrs);
      *slot = std::move(slots[0]);  // the primary's outcome, as libmemcached reports
      return slot->status;
    }
    // A read: the copies in turn, starting at a random one if asked.
    const int copies = replicas + 1;
    const int start = FirstReadCopy();
    internal::CopyOutcome outcome;
    const Slot blank = *slot;
    for (int i = 0; i < copies; ++i) {
      *slot = blank;
      RunOne(spec, slot, cluster_->replica(server, (start + i) % copies));
      if (slot->status.ok() && slot->hit) return slot->status;
      outcome.Note(slot->status);
    }
    slot->hit = false;
    slot->status = outcome.Final();
    return slot->status;
  }

  // The copy a replica read asks first: 0 (the primary), or a random one
  // per call with randomize_replica_read, as libmemcached does.
  int FirstReadCopy() {
    if (!options_.randomize_replica_read) return 0;
    return std::uniform_int_distribution<int>(0, options_.replicas)(rng_);
  }

  absl::Status GetInto(absl::string_view master, absl::string_view key, Op op, bool want_cas,
                       int32_t exptime, std::string* value, uint32_t* flags, uint64_t* cas) {
    OpSpec spec = Spec(op);
    spec.want_cas = want_cas;
    spec.exptime = exptime;
    Slot slot;
    slot.out_value = value;
    absl::Status s = RunSingle(spec, master, key, &slot);
    if (!s.ok()) return s;
    if (!slot.hit) return internal::MissStatus(key);
    if (flags != nullptr) *flags = slot.out_flags;
    if (cas != nullptr) *cas = slot.out_cas;
    return absl::OkStatus();
  }

  absl::StatusOr<Item> GetItem(absl::string_view master, absl::string_view key, Op op,
                               bool want_cas, int32_t exptime) {
    Item item;
    absl::Status s = GetInto(master, key, op, want_cas, exptime, &item.value, &item.flags,
                             &item.cas);
    if (!s.ok()) return s;
    return item;
  }

  absl::Status Store(Op op, absl::string_view master, absl::string_view key,
                     absl::string_view value, uint64_t cas, const StoreOptions& o) {
    OpSpec spec = Spec(op);
    spec.exptime = o.exptime;
    spec.noreply = Noreply(o.noreply, op);
    Slot slot;
    slot.value = value;
    slot.flags = o.flags;
    slot.cas = cas;
    return RunSingle(spec, master, key, &slot);
  }

  absl::Status Simple(Op op, absl::string_view master, absl::string_view key, int32_t exptime,
                      absl::optional<bool> noreply) {
    OpSpec spec = Spec(op);
    spec.exptime = exptime;
    spec.noreply = Noreply(noreply, op);
    Slot slot;
    return RunSingle(spec, master, key, &slot);
  }

  absl::StatusOr<uint64_t> Counter(Op op, absl::string_view master, absl::string_view key,
                                   uint64_t delta, const CounterOptions& o) {
    OpSpec spec = Spec(op);
    spec.delta = delta;
    spec.exptime = o.exptime;
    spec.noreply = Noreply(o.noreply, op);
    const bool native_initial = options_.protocol != Protocol::kText;
    spec.has_initial = o.initial.has_value() && native_initial;
    spec.initial = o.initial.value_or(0);
    for (int attempt = 0; attempt < 2; ++attempt) {
      Slot slot;
      absl::Status s = RunSingle(spec, master, key, &slot);
      if (s.ok()) return slot.number;
      if (!o.initial.has_value() || native_initial || !absl::IsNotFound(s)) return s;
      // Text protocol: create the counter with add; if someone else created
      // it meanwhile (NOT_STORED), count on theirs.
      char buf[32];
      char* end = absl::numbers_internal::FastIntToBuffer(*o.initial, buf);
      StoreOptions so;
      so.exptime = o.exptime;
      so.noreply = o.noreply;
      s = Store(Op::kAdd, master, key, absl::string_view(buf, end - buf), 0, so);
      if (s.ok()) return *o.initial;
      if (GetMcCode(s) != McCode::kNotStored) return s;
    }
    return McError(McCode::kNotFound, absl::StrCat("counter '", key, "' vanished"));
  }

  // A multi-get into `*out`: every value lands in its one buffer.
  absl::Status MultiGet(absl::string_view master, absl::Span<const absl::string_view> keys,
                        bool want_cas, MultiGetResult* out) {
    const size_t n = keys.size();
    out->values_.clear();
    out->hits_ = 0;
    out->entries_.resize(n);
    if (n == 0) return absl::OkStatus();
    OpSpec spec = Spec(Op::kGet);
    spec.want_cas = want_cas;
    Slot* slots = FreshSlots(n);
    for (size_t i = 0; i < n; ++i) slots[i].out_arena = &out->values_;
    if (options_.replicas == 0) {
      PlaceAll(master, keys, &spec, slots, /*copies=*/1);
    } else {
      ReplicatedMultiGet(master, keys, spec, slots);
    }
    absl::Status first_error;
    size_t hits = 0;
    for (size_t i = 0; i < n; ++i) {
      Slot& s = slots[i];
      MultiGetResult::Entry& e = out->entries_[i];
      e.hit = s.hit;
      e.offset = s.out_offset;
      e.size = s.out_size;
      e.flags = s.out_flags;
      e.cas = s.out_cas;
      hits += s.hit ? 1 : 0;
      if (!s.status.ok() && first_error.ok()) first_error = s.status;
      e.status = std::move(s.status);
    }
    out->hits_ = hits;
    return first_error;
  }

  // With replicas, a multi-get asks every key's first copy (FirstReadCopy(),
  // the same for the whole call), then asks the next copy for the keys that
  // missed or failed, copy after copy, each round one batch per server; each
  // key ends as CopyOutcome says.
  void ReplicatedMultiGet(absl::string_view master, absl::Span<const absl::string_view> keys,
                          const OpSpec& spec, Slot* slots) {
    const int copies = options_.replicas + 1;
    const int start = FirstReadCopy();
    const size_t n = keys.size();
    PlaceAll(master, keys, &spec, slots, /*copies=*/1, start);
    outcomes_.assign(n, internal::CopyOutcome());
    for (int round = 1; round < copies; ++round) {
      batch_set_.Begin(&spec, slots, cluster_->size());
      bool any = false;
      for (size_t i = 0; i < n; ++i) {
        Slot& slot = slots[i];
        if (primaries_[i] == Cluster::kNoServer || slot.hit) continue;
        outcomes_[i].Note(slot.status);
        slot.answered = false;
        slot.status = absl::OkStatus();
        batch_set_.Add(cluster_->replica(primaries_[i], (start + round) % copies),
                       static_cast<uint32_t>(i));
        any = true;
      }
      if (!any) break;
      batch_set_.Run(cluster_.get());
    }
    for (size_t i = 0; i < n; ++i) {
      Slot& slot = slots[i];
      if (primaries_[i] == Cluster::kNoServer || slot.hit) continue;
      outcomes_[i].Note(slot.status);  // the last copy asked
      slot.status = outcomes_[i].Final();
    }
  }

  // The same into a map: hits are added (or overwrite), misses left alone.
  absl::Status MultiGet(absl::string_view master, absl::Span<const absl::string_view> keys,
                        bool want_cas, ItemMap* out) {
    absl::Status status = MultiGet(master, keys, want_cas, &map_scratch_);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!map_scratch_.hit(i)) continue;
      Item& item = (*out)[keys[i]];
      const absl::string_view v = map_scratch_.value(i);
      item.value.assign(v.data(), v.size());
      item.flags = map_scratch_.flags(i);
      item.cas = map_scratch_.cas(i);
    }
    if (map_scratch_.values_.capacity() > kMaxKeptScratch) {
      map_scratch_ = MultiGetResult();  // do not hold on to one huge call's values
    }
    return status;
  }

  // `n` blank slots from the kept array (released first if a past call left
  // it far larger than this one needs).
  Slot* FreshSlots(size_t n) {
    if (slots_.capacity() > kMaxKeptSlots && n <= kMaxKeptSlots) std::vector<Slot>().swap(slots_);
    slots_.assign(n, Slot());
    return slots_.data();
  }

  // Validates and places every key of a multi-key call (plus replica copies
  // for writes: slot i + k*n goes to the k-th replica), then runs the batches.
  // A read (copies == 1) goes to copy `read_copy` of each key's server.
  // A key that cannot be sent (bad, or no live server) is answered with why.
  // With replicas, each key's primary server (or kNoServer) is left in
  // primaries_ for the read fallback.
  void PlaceAll(absl::string_view master, absl::Span<const absl::string_view> keys,
                const OpSpec* spec, Slot* slots, int copies, int read_copy = 0) {
    const size_t n = keys.size();
    if (!prefix_.empty()) {
      size_t total = 0;
      for (absl::string_view k : keys) total += prefix_.size() + k.size();
      arena_.clear();
      arena_.reserve(total);  // views into it stay valid: it never reallocates
    }
    // With a master key every key shares one placement.
    size_t master_server = Cluster::kNoServer;
    if (!master.empty()) master_server = cluster_->ServerFor(HashKey(master, {}, {}));
    batch_set_.Begin(spec, slots, cluster_->size());
    const bool track_primaries = options_.replicas > 0;
    if (track_primaries) primaries_.assign(n, Cluster::kNoServer);
    for (size_t i = 0; i < n; ++i) {
      const absl::string_view key = keys[i];
      absl::Status s = policy_.Validate(key);
      absl::string_view wire = key;
      size_t server = Cluster::kNoServer;
      if (s.ok()) {
        if (!prefix_.empty()) {
          const size_t at = arena_.size();
          arena_.append(prefix_);
          arena_.append(key.data(), key.size());
          wire = absl::string_view(arena_.data() + at, arena_.size() - at);
        }
        server = master.empty() ? cluster_->ServerFor(HashKey(master, key, wire)) : master_server;
        if (server == Cluster::kNoServer) s = cluster_->NoLiveServer();
      }
      if (track_primaries) primaries_[i] = s.ok() ? server : Cluster::kNoServer;
      for (int c = 0; c < copies; ++c) {
        const size_t index = i + static_cast<size_t>(c) * n;
        Slot& slot = slots[index];
        if (!s.ok()) {
          internal::Answer(&slot, s);
          continue;
        }
        slot.key = wire;
        batch_set_.Add(cluster_->replica(server, copies == 1 ? read_copy : c),
                       static_cast<uint32_t>(index));
      }
    }
    batch_set_.Run(cluster_.get());
    if (arena_.capacity() > kMaxKeptScratch) std::string().swap(arena_);
  }

  absl::Status MultiWrite(Op op, absl::string_view master, absl::Span<const absl::string_view> keys,
                          absl::Span<const KeyValue> items, const StoreOptions& o,
                          std::vector<absl::Status>* per_key) {
    const size_t n = keys.size();
    if (per_key != nullptr) per_key->assign(n, absl::OkStatus());
    if (n == 0) return absl::OkStatus();
    OpSpec spec = Spec(op);
    spec.exptime = o.exptime;
    spec.noreply = Noreply(o.noreply, op);
    const int copies = options_.replicas + 1;
    Slot* slots = FreshSlots(n * static_cast<size_t>(copies));
    if (!items.empty()) {
      for (size_t i = 0; i < n; ++i) {
        for (int c = 0; c < copies; ++c) {
          Slot& slot = slots[i + static_cast<size_t>(c) * n];
          slot.value = items[i].value;
          slot.flags = items[i].flags != 0 ? items[i].flags : o.flags;
        }
      }
    }
    PlaceAll(master, keys, &spec, slots, copies);
    absl::Status first_error;
    for (size_t i = 0; i < n; ++i) {
      const absl::Status& s = slots[i].status;
      if (per_key != nullptr) (*per_key)[i] = s;
      if (!s.ok() && first_error.ok()) first_error = s;
    }
    return first_error;
  }

  absl::Status SetMulti(absl::string_view master, absl::Span<const KeyValue> items,
                        const StoreOptions& o, std::vector<absl::Status>* per_key) {
    keys_scratch_.clear();
    for (const KeyValue& kv : items) keys_scratch_.push_back(kv.key);
    return MultiWrite(Op::kSet, master, keys_scratch_, items, o, per_key);
  }

  // One Batch per server for a per-server command.
  std::vector<Batch> AllServers(const OpSpec& spec) {
    std::vector<Batch> batches(cluster_->size());
    std::vector<Batch*> ptrs;
    for (size_t i = 0; i < batches.size(); ++i) {
      batches[i].spec = &spec;
      batches[i].server = i;
      ptrs.push_back(&batches[i]);
    }
    cluster_->Execute(ptrs);
    return batches;
  }

  absl::StatusOr<std::string> ServerForKey(absl::string_view key) {
    absl::string_view wire;
    size_t server = 0;
    absl::Status s = PlaceOne({}, key, &wire, &server);
    if (!s.ok()) return s;
    return cluster_->name(server);
  }

 private:
  // Scratch buffers above this size are released after the call that grew
  // them, so one huge call does not pin its memory for the Client's life.
  static constexpr size_t kMaxKeptScratch = 1 << 20;
  static constexpr size_t kMaxKeptSlots = 4096;

  const ClientOptions options_;
  std::unique_ptr<Cluster> cluster_;
  const keys::KeyPolicy policy_;
  const std::string prefix_;
  const bool keys_verified_;  // see Spec()

  // Per-call scratch, kept between calls (a Client runs one call at a time).
  std::string wire_;          // a single request's prefixed wire key
  std::string hash_scratch_;
  std::string arena_;         // a multi-key call's prefixed wire keys
  Batch single_;              // a single-server request's batch (indexes {0})
  std::vector<Slot> slots_;   // a multi-key call's slots
  std::vector<size_t> primaries_;  // PlaceAll with replicas: each key's primary
  std::vector<internal::CopyOutcome> outcomes_;  // replicated multi-get, per key
  BatchSet batch_set_;
  std::vector<absl::string_view> keys_scratch_;
  MultiGetResult map_scratch_;  // behind GetMulti into an ItemMap
  std::mt19937_64 rng_;
};

}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_INTERNAL_CLIENT_IMPL_H_
