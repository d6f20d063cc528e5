#include "client/internal/client_impl.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace memkit {
namespace client {

using internal::Batch;
using internal::Cluster;
using internal::Op;
using internal::OpSpec;
using internal::Slot;

Client::Impl::Impl(const ClientOptions& options, std::unique_ptr<Cluster> cluster,
                   keys::KeyPolicy policy)
    : options_(options),
      cluster_(std::move(cluster)),
      policy_(std::move(policy)),
      prefix_(policy_.options().prefix),
      keys_verified_(options.verify_keys && options.protocol != Protocol::kBinary),
      rng_(std::random_device{}()) {
  single_.indexes.push_back(0);
}

absl::string_view Client::Impl::HashKey(absl::string_view master, absl::string_view key,
                                        absl::string_view wire) {
  if (master.empty()) return options_.hash_with_prefix ? wire : key;
  if (options_.hash_with_prefix && !prefix_.empty()) {
    hash_scratch_.assign(prefix_);
    hash_scratch_.append(master.data(), master.size());
    return hash_scratch_;
  }
  return master;
}

absl::Status Client::Impl::PlaceOne(absl::string_view master, absl::string_view key,
                                    absl::string_view* wire, size_t* server) {
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

void Client::Impl::RunOne(const OpSpec& spec, Slot* slot, size_t server) {
  single_.spec = &spec;
  single_.slots = slot;
  single_.server = server;
  Batch* p = &single_;
  cluster_->Execute(absl::MakeConstSpan(&p, 1));
}

internal::Slot* Client::Impl::FreshSlots(size_t n) {
  if (slots_.capacity() > kMaxKeptSlots && n <= kMaxKeptSlots) std::vector<Slot>().swap(slots_);
  slots_.assign(n, Slot());
  return slots_.data();
}

void Client::Impl::PlaceAll(absl::string_view master, absl::Span<const absl::string_view> keys,
                            const OpSpec* spec, Slot* slots, int copies, int read_copy) {
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

absl::StatusOr<std::string> Client::Impl::ServerForKey(absl::string_view key) {
  absl::string_view wire;
  size_t server = 0;
  absl::Status s = PlaceOne({}, key, &wire, &server);
  if (!s.ok()) return s;
  return cluster_->name(server);
}

}  // namespace client
}  // namespace memkit
