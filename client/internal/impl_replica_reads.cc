#include "client/internal/client_impl.h"

#include <random>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "client/internal/batch_set.h"

namespace memkit {
namespace client {

using internal::Batch;
using internal::Cluster;
using internal::Op;
using internal::OpSpec;
using internal::Slot;

absl::Status Client::Impl::RunSingle(const OpSpec& spec, absl::string_view master,
                                     absl::string_view key, Slot* slot) {
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

int Client::Impl::FirstReadCopy() {
  if (!options_.randomize_replica_read) return 0;
  return std::uniform_int_distribution<int>(0, options_.replicas)(rng_);
}

// With replicas, a multi-get asks every key's first copy (FirstReadCopy(),
// the same for the whole call), then asks the next copy for the keys that
// missed or failed, copy after copy, each round one batch per server; each
// key ends as CopyOutcome says.
void Client::Impl::ReplicatedMultiGet(absl::string_view master,
                                      absl::Span<const absl::string_view> keys, const OpSpec& spec,
                                      Slot* slots) {
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

}  // namespace client
}  // namespace memkit
