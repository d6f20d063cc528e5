#include "client/client.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/internal/client_impl.h"
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

}  // namespace

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

void Client::SetServerObserver(ServerObserver* observer) {
  impl_->cluster()->set_observer(observer);
}

bool Client::IsEjected(size_t index) const {
  return index < impl_->cluster()->size() && impl_->cluster()->is_ejected(index);
}

}  // namespace client
}  // namespace memkit
