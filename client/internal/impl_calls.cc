#include "client/internal/client_impl.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "client/internal/batch_set.h"
#include "core/status/status.h"

namespace memkit {
namespace client {

using internal::Batch;
using internal::Cluster;
using internal::Op;
using internal::OpSpec;
using internal::Slot;

absl::Status Client::Impl::GetInto(absl::string_view master, absl::string_view key, Op op,
                                   bool want_cas, int32_t exptime, std::string* value,
                                   uint32_t* flags, uint64_t* cas) {
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

absl::StatusOr<Item> Client::Impl::GetItem(absl::string_view master, absl::string_view key, Op op,
                                           bool want_cas, int32_t exptime) {
  Item item;
  absl::Status s = GetInto(master, key, op, want_cas, exptime, &item.value, &item.flags, &item.cas);
  if (!s.ok()) return s;
  return item;
}

absl::Status Client::Impl::Store(Op op, absl::string_view master, absl::string_view key,
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

absl::Status Client::Impl::Simple(Op op, absl::string_view master, absl::string_view key,
                                  int32_t exptime, absl::optional<bool> noreply) {
  OpSpec spec = Spec(op);
  spec.exptime = exptime;
  spec.noreply = Noreply(noreply, op);
  Slot slot;
  return RunSingle(spec, master, key, &slot);
}

absl::StatusOr<uint64_t> Client::Impl::Counter(Op op, absl::string_view master,
                                               absl::string_view key, uint64_t delta,
                                               const CounterOptions& o) {
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
    const absl::AlphaNum initial(*o.initial);  // formats in place, no allocation
    StoreOptions so;
    so.exptime = o.exptime;
    so.noreply = o.noreply;
    s = Store(Op::kAdd, master, key, initial.Piece(), 0, so);
    if (s.ok()) return *o.initial;
    if (GetMcCode(s) != McCode::kNotStored) return s;
  }
  return McError(McCode::kNotFound, absl::StrCat("counter '", key, "' vanished"));
}

absl::Status Client::Impl::MultiGet(absl::string_view master,
                                    absl::Span<const absl::string_view> keys, bool want_cas,
                                    MultiGetResult* out) {
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

absl::Status Client::Impl::MultiGet(absl::string_view master,
                                    absl::Span<const absl::string_view> keys, bool want_cas,
                                    ItemMap* out) {
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

absl::Status Client::Impl::MultiWrite(Op op, absl::string_view master,
                                      absl::Span<const absl::string_view> keys,
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

absl::Status Client::Impl::SetMulti(absl::string_view master, absl::Span<const KeyValue> items,
                                    const StoreOptions& o, std::vector<absl::Status>* per_key) {
  keys_scratch_.clear();
  for (const KeyValue& kv : items) keys_scratch_.push_back(kv.key);
  return MultiWrite(Op::kSet, master, keys_scratch_, items, o, per_key);
}

std::vector<internal::Batch> Client::Impl::AllServers(const OpSpec& spec) {
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

}  // namespace client
}  // namespace memkit
