#include "client/client.h"

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/internal/cluster.h"
#include "client/internal/request.h"
#include "core/keys/keys.h"
#include "core/status/status.h"

namespace memkit {
namespace client {

using internal::Batch;
using internal::Cluster;
using internal::Op;
using internal::OpSpec;
using internal::Slot;

namespace {

keys::Protocol KeyProtocol(Protocol p) {
  switch (p) {
    case Protocol::kBinary: return keys::Protocol::kBinary;
    case Protocol::kMeta: return keys::Protocol::kMeta;
    default: return keys::Protocol::kText;
  }
}

absl::Status MissStatus(absl::string_view key) {
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

}  // namespace

class Client::Impl {
 public:
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
    const size_t copies = static_cast<size_t>(replicas) + 1;
    size_t start = 0;
    if (options_.randomize_replica_read) {
      start = std::uniform_int_distribution<size_t>(0, copies - 1)(rng_);
    }
    absl::Status first_error;
    const Slot blank = *slot;
    for (size_t i = 0; i < copies; ++i) {
      *slot = blank;
      RunOne(spec, slot, cluster_->replica(server, static_cast<int>((start + i) % copies)));
      if (slot->status.ok() && slot->hit) return slot->status;
      if (!slot->status.ok() && first_error.ok()) first_error = slot->status;
    }
    if (!first_error.ok() && !slot->status.ok()) return first_error;
    slot->status = absl::OkStatus();
    slot->hit = false;
    return absl::OkStatus();
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
    if (!slot.hit) return MissStatus(key);
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
    PlaceAll(master, keys, &spec, slots, /*copies=*/1);
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
  // A key that cannot be sent (bad, or no live server) is answered with why.
  void PlaceAll(absl::string_view master, absl::Span<const absl::string_view> keys,
                const OpSpec* spec, Slot* slots, int copies) {
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
      for (int c = 0; c < copies; ++c) {
        const size_t index = i + static_cast<size_t>(c) * n;
        Slot& slot = slots[index];
        if (!s.ok()) {
          internal::Answer(&slot, s);
          continue;
        }
        slot.key = wire;
        batch_set_.Add(cluster_->replica(server, c), static_cast<uint32_t>(index));
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
  BatchSet batch_set_;
  std::vector<absl::string_view> keys_scratch_;
  MultiGetResult map_scratch_;  // behind GetMulti into an ItemMap
  std::mt19937_64 rng_;
};

// ---------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Client>> Client::Create(const ClientOptions& options) {
  keys::KeyOptions ko;
  ko.protocol = KeyProtocol(options.protocol);
  ko.verify_keys = options.verify_keys;
  ko.prefix = options.prefix;
  auto policy = keys::KeyPolicy::Create(ko);
  if (!policy.ok()) return policy.status();
  auto cluster = Cluster::Create(options);
  if (!cluster.ok()) return cluster.status();
  auto codec = value::Codec::Create(options.value_codec);
  if (!codec.ok()) return codec.status();
  auto impl = std::make_unique<Impl>(options, std::move(*cluster), **policy);
  return std::unique_ptr<Client>(new Client(std::move(impl), std::move(*codec)));
}

Client::Client(std::unique_ptr<Impl> impl, std::unique_ptr<value::Codec> codec)
    : impl_(std::move(impl)), value_codec_(std::move(codec)) {}

Client::~Client() = default;

const ClientOptions& Client::options() const { return impl_->options(); }

absl::Status Client::Get(absl::string_view key, std::string* value, uint32_t* flags) {
  return impl_->GetInto({}, key, Op::kGet, false, 0, value, flags, nullptr);
}

absl::StatusOr<Item> Client::GetAndTouch(absl::string_view key, int32_t exptime) {
  return impl_->GetItem({}, key, Op::kGat, false, exptime);
}

absl::StatusOr<Item> Client::GetsAndTouch(absl::string_view key, int32_t exptime) {
  return impl_->GetItem({}, key, Op::kGat, true, exptime);
}

absl::Status Client::GetMulti(absl::Span<const absl::string_view> keys, ItemMap* out) {
  return impl_->MultiGet({}, keys, false, out);
}

absl::Status Client::GetsMulti(absl::Span<const absl::string_view> keys, ItemMap* out) {
  return impl_->MultiGet({}, keys, true, out);
}

absl::Status Client::GetMulti(absl::Span<const absl::string_view> keys, MultiGetResult* out) {
  return impl_->MultiGet({}, keys, false, out);
}

absl::Status Client::GetsMulti(absl::Span<const absl::string_view> keys, MultiGetResult* out) {
  return impl_->MultiGet({}, keys, true, out);
}

absl::Status Client::Set(absl::string_view key, absl::string_view value, const StoreOptions& o) {
  return impl_->Store(Op::kSet, {}, key, value, 0, o);
}
absl::Status Client::Add(absl::string_view key, absl::string_view value, const StoreOptions& o) {
  return impl_->Store(Op::kAdd, {}, key, value, 0, o);
}
absl::Status Client::Replace(absl::string_view key, absl::string_view value,
                             const StoreOptions& o) {
  return impl_->Store(Op::kReplace, {}, key, value, 0, o);
}
absl::Status Client::Append(absl::string_view key, absl::string_view value,
                            const StoreOptions& o) {
  return impl_->Store(Op::kAppend, {}, key, value, 0, o);
}
absl::Status Client::Prepend(absl::string_view key, absl::string_view value,
                             const StoreOptions& o) {
  return impl_->Store(Op::kPrepend, {}, key, value, 0, o);
}
absl::Status Client::Cas(absl::string_view key, absl::string_view value, uint64_t cas,
                         const StoreOptions& o) {
  return impl_->Store(Op::kCas, {}, key, value, cas, o);
}

absl::Status Client::SetMulti(absl::Span<const KeyValue> items, const StoreOptions& o,
                              std::vector<absl::Status>* per_key) {
  return impl_->SetMulti({}, items, o, per_key);
}

absl::Status Client::Delete(absl::string_view key, absl::optional<bool> noreply) {
  return impl_->Simple(Op::kDelete, {}, key, 0, noreply);
}

absl::Status Client::DeleteMulti(absl::Span<const absl::string_view> keys,
                                 std::vector<absl::Status>* per_key) {
  return impl_->MultiWrite(Op::kDelete, {}, keys, {}, StoreOptions(), per_key);
}

absl::StatusOr<uint64_t> Client::Incr(absl::string_view key, uint64_t delta,
                                      const CounterOptions& o) {
  return impl_->Counter(Op::kIncr, {}, key, delta, o);
}
absl::StatusOr<uint64_t> Client::Decr(absl::string_view key, uint64_t delta,
                                      const CounterOptions& o) {
  return impl_->Counter(Op::kDecr, {}, key, delta, o);
}

absl::Status Client::Touch(absl::string_view key, int32_t exptime) {
  return impl_->Simple(Op::kTouch, {}, key, exptime, absl::nullopt);
}

// ---- _by_key

absl::StatusOr<Item> Client::GetByKey(absl::string_view master_key, absl::string_view key) {
  return impl_->GetItem(master_key, key, Op::kGet, false, 0);
}
absl::StatusOr<Item> Client::GetsByKey(absl::string_view master_key, absl::string_view key) {
  return impl_->GetItem(master_key, key, Op::kGet, true, 0);
}
absl::Status Client::GetMultiByKey(absl::string_view master_key,
                                   absl::Span<const absl::string_view> keys, ItemMap* out) {
  return impl_->MultiGet(master_key, keys, false, out);
}
absl::Status Client::GetMultiByKey(absl::string_view master_key,
                                   absl::Span<const absl::string_view> keys,
                                   MultiGetResult* out) {
  return impl_->MultiGet(master_key, keys, false, out);
}
absl::Status Client::SetByKey(absl::string_view master_key, absl::string_view key,
                              absl::string_view value, const StoreOptions& o) {
  return impl_->Store(Op::kSet, master_key, key, value, 0, o);
}
absl::Status Client::AddByKey(absl::string_view master_key, absl::string_view key,
                              absl::string_view value, const StoreOptions& o) {
  return impl_->Store(Op::kAdd, master_key, key, value, 0, o);
}
absl::Status Client::ReplaceByKey(absl::string_view master_key, absl::string_view key,
                                  absl::string_view value, const StoreOptions& o) {
  return impl_->Store(Op::kReplace, master_key, key, value, 0, o);
}
absl::Status Client::CasByKey(absl::string_view master_key, absl::string_view key,
                              absl::string_view value, uint64_t cas, const StoreOptions& o) {
  return impl_->Store(Op::kCas, master_key, key, value, cas, o);
}
absl::Status Client::SetMultiByKey(absl::string_view master_key,
                                   absl::Span<const KeyValue> items, const StoreOptions& o,
                                   std::vector<absl::Status>* per_key) {
  return impl_->SetMulti(master_key, items, o, per_key);
}
absl::Status Client::DeleteByKey(absl::string_view master_key, absl::string_view key,
                                 absl::optional<bool> noreply) {
  return impl_->Simple(Op::kDelete, master_key, key, 0, noreply);
}
absl::StatusOr<uint64_t> Client::IncrByKey(absl::string_view master_key, absl::string_view key,
                                           uint64_t delta, const CounterOptions& o) {
  return impl_->Counter(Op::kIncr, master_key, key, delta, o);
}
absl::StatusOr<uint64_t> Client::DecrByKey(absl::string_view master_key, absl::string_view key,
                                           uint64_t delta, const CounterOptions& o) {
  return impl_->Counter(Op::kDecr, master_key, key, delta, o);
}
absl::Status Client::TouchByKey(absl::string_view master_key, absl::string_view key,
                                int32_t exptime) {
  return impl_->Simple(Op::kTouch, master_key, key, exptime, absl::nullopt);
}

// ---- typed values

absl::Status Client::SetValue(absl::string_view key, const value::Value& v,
                              const StoreOptions& o) {
  value::EncodedValue encoded;
  absl::Status s = value_codec_->Encode(v, &encoded);
  if (!s.ok()) return s;
  StoreOptions with_flags = o;
  with_flags.flags = encoded.flags;
  return impl_->Store(Op::kSet, {}, key, encoded.data, 0, with_flags);
}

absl::StatusOr<value::Value> Client::GetValue(absl::string_view key) {
  std::string data;
  uint32_t flags = 0;
  absl::Status s = impl_->GetInto({}, key, Op::kGet, false, 0, &data, &flags, nullptr);
  if (!s.ok()) return s;
  return value_codec_->Decode(flags, data);
}

// ---- per-server commands

absl::Status Client::FlushAll(absl::optional<int32_t> delay) {
  OpSpec spec;
  spec.op = Op::kFlushAll;
  spec.number = delay.has_value() ? *delay : -1;
  spec.noreply = impl_->options().noreply;
  absl::Status first;
  for (Batch& b : impl_->AllServers(spec)) {
    if (!b.status.ok() && first.ok()) first = b.status;
  }
  return first;
}

std::vector<ServerStats> Client::Stats(absl::string_view args) {
  OpSpec spec;
  spec.op = Op::kStats;
  spec.stats_args = args;
  std::vector<ServerStats> out;
  for (Batch& b : impl_->AllServers(spec)) {
    ServerStats s;
    s.server = impl_->cluster()->name(b.server);
    s.status = b.status;
    s.stats = std::move(b.stats);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<ServerVersion> Client::Versions() {
  OpSpec spec;
  spec.op = Op::kVersion;
  std::vector<ServerVersion> out;
  for (Batch& b : impl_->AllServers(spec)) {
    ServerVersion v;
    v.server = impl_->cluster()->name(b.server);
    if (b.status.ok()) {
      v.version = std::move(b.version);
    } else {
      v.version = b.status;
    }
    out.push_back(std::move(v));
  }
  return out;
}

absl::Status Client::Verbosity(uint32_t level) {
  OpSpec spec;
  spec.op = Op::kVerbosity;
  spec.number = level;
  spec.noreply = impl_->options().noreply;
  absl::Status first;
  for (Batch& b : impl_->AllServers(spec)) {
    if (!b.status.ok() && first.ok()) first = b.status;
  }
  return first;
}

// ---- meta leases

absl::StatusOr<LeaseResult> Client::LeaseGet(absl::string_view key, const LeaseOptions& o) {
  if (impl_->options().protocol != Protocol::kMeta) {
    return absl::UnimplementedError("LeaseGet needs the meta protocol (ClientOptions.protocol)");
  }
  OpSpec spec = impl_->Spec(Op::kLeaseGet);
  spec.vivify_ttl = o.vivify_ttl;
  spec.recache_ttl = o.recache_ttl;
  std::string value;
  Slot slot;
  slot.out_value = &value;
  absl::Status s = impl_->RunSingle(spec, {}, key, &slot);
  if (!s.ok()) return s;
  LeaseResult r;
  r.won = slot.won;
  r.stale = slot.stale;
  r.win_sent = slot.win_sent;
  // A vivified placeholder is an empty value handed out with a token.
  const bool placeholder = value.empty() && (r.won || r.win_sent) && !r.stale;
  if (slot.hit && !placeholder) {
    Item item;
    item.value = std::move(value);
    item.flags = slot.out_flags;
    item.cas = slot.out_cas;
    r.item = std::move(item);
  }
  return r;
}

absl::StatusOr<std::string> Client::GetOrCompute(
    absl::string_view key, const std::function<absl::StatusOr<std::string>()>& compute,
    const ComputeOptions& o) {
  const absl::Time deadline = absl::Now() + o.wait;
  for (;;) {
    absl::StatusOr<LeaseResult> r = LeaseGet(key, o.lease);
    if (!r.ok()) return r.status();
    if (r->won) {
      absl::StatusOr<std::string> v = compute();
      if (!v.ok()) return v.status();
      StoreOptions so;
      so.exptime = o.exptime;
      absl::Status s = Set(key, *v, so);
      if (!s.ok()) return s;
      return v;
    }
    if (r->item.has_value()) return std::move(r->item->value);  // fresh, or stale meanwhile
    if (absl::Now() >= deadline) {
      return McError(McCode::kTimeout,
                     absl::StrCat("waited ", absl::FormatDuration(o.wait), " for another client to "
                                  "compute '", key, "'"));
    }
    // Another client holds the win token: back off briefly and look again.
    absl::SleepFor(o.poll_interval);
  }
}

// ---- misc

absl::Status Client::Flush() { return impl_->cluster()->FlushBuffered(); }

absl::StatusOr<std::string> Client::ServerForKey(absl::string_view key) {
  return impl_->ServerForKey(key);
}

bool Client::IsEjected(size_t index) const {
  return index < impl_->cluster()->size() && impl_->cluster()->is_ejected(index);
}

}  // namespace client
}  // namespace memkit
