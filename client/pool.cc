#include "client/pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/hash/placement.h"
#include "core/status/status.h"

namespace memkit {
namespace client {
namespace {

// A server's identity: its parseable form without the weight.
std::string AddressOf(hash::ServerSpec spec) {
  spec.weight = 1;
  return spec.ToString();
}

absl::StatusOr<std::string> ParseAddress(absl::string_view server) {
  auto spec = hash::ParseServerSpec(server);
  if (!spec.ok()) return spec.status();
  return AddressOf(*spec);
}

// Each live server's share of the keyspace under `placement`.
std::vector<double> Shares(const hash::Placement& placement) {
  const size_t n = placement.servers().size();
  std::vector<double> shares(n, 0.0);
  const std::vector<hash::ContinuumPoint> ring = placement.Continuum();
  if (ring.empty()) {  // modula, random: an equal share each
    for (double& s : shares) s = 1.0 / static_cast<double>(n);
    return shares;
  }
  // A point owns the hashes after the previous point, up to itself; the
  // first also owns those after the last (the wrap).
  constexpr double kRing = 4294967296.0;
  for (size_t i = 0; i < ring.size(); ++i) {
    const double prev = i == 0 ? static_cast<double>(ring.back().value) - kRing
                               : static_cast<double>(ring[i - 1].value);
    shares[ring[i].server] += (static_cast<double>(ring[i].value) - prev) / kRing;
  }
  return shares;
}

}  // namespace

const char* ServerStateName(ServerState state) {
  switch (state) {
    case ServerState::kLive:
      return "live";
    case ServerState::kEjected:
      return "ejected";
    case ServerState::kDraining:
      return "draining";
    case ServerState::kDrained:
      return "drained";
  }
  return "unknown";
}

// ---- Handle

ClientPool::Handle& ClientPool::Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = other.pool_;
    client_ = std::move(other.client_);
    version_ = other.version_;
    other.pool_ = nullptr;
  }
  return *this;
}

void ClientPool::Handle::Refresh() const {
  if (pool_ == nullptr || client_ == nullptr) return;
  if (pool_->version_.load(std::memory_order_acquire) == version_) return;
  pool_->Update(&client_, &version_);
}

void ClientPool::Handle::Release() {
  if (pool_ != nullptr && client_ != nullptr) pool_->Return(std::move(client_), version_);
  pool_ = nullptr;
}

// ---- ClientPool

void ClientPool::Observer::OnRoundTrip(size_t server, const absl::Status& status,
                                       absl::Duration latency) {
  if (server >= stats.size()) return;
  ServerStats& st = *stats[server];
  st.requests.Increment();
  if (status.ok()) {
    if (st.consecutive_failures.value() != 0) st.consecutive_failures.Set(0);
  } else {
    st.failures.Increment();
    st.consecutive_failures.Add(1);
  }
  st.latency_nanos.Record(absl::ToInt64Nanoseconds(latency));
}

absl::StatusOr<std::unique_ptr<Client>> ClientPool::Build(const Snapshot& snapshot) {
  auto c = Client::Create(snapshot.options);
  if (c.ok()) (*c)->SetServerObserver(&snapshot.observer);
  return c;
}

void ClientPool::PruneSnapshots() {
  for (auto it = snapshots_.begin(); it != snapshots_.end();) {
    const uint64_t v = it->first;
    bool used = v == current_->version || lent_.contains(v);
    for (const Idle& i : idle_) used = used || i.version == v;
    if (used) {
      ++it;
    } else {
      snapshots_.erase(it++);
    }
  }
}

absl::StatusOr<std::unique_ptr<ClientPool>> ClientPool::Create(const ClientOptions& options,
                                                               const ClientPoolOptions& pool) {
  if (pool.max_clients == 0) return absl::InvalidArgumentError("max_clients must be at least 1");
  auto first = Client::Create(options);
  if (!first.ok()) return first.status();
  std::unique_ptr<ClientPool> p(new ClientPool(options, pool));
  MutexLock lock(&p->mu_);
  for (const std::string& entry : options.servers) {
    auto list = hash::ParseServerList(entry);
    if (!list.ok()) return list.status();  // Client::Create accepted it; kept for safety
    for (hash::ServerSpec& spec : *list) {
      if (!spec.unix_socket && spec.port == 0) spec.port = hash::kDefaultPort;
      if (spec.weight == 0) spec.weight = 1;
      Entry e;
      e.address = AddressOf(spec);
      e.spec = std::move(spec);
      p->servers_.push_back(std::move(e));
    }
  }
  p->current_ = std::make_shared<Snapshot>();  // version 0: the first real one is 1
  auto built = p->MakeSnapshot(p->servers_);
  if (!built.ok()) return built.status();
  auto snapshot = std::make_shared<Snapshot>(**built);
  snapshot->options = options;  // as given (an entry may be a comma-separated list)
  p->current_ = std::move(snapshot);
  p->snapshots_[1] = p->current_;
  (*first)->SetServerObserver(&p->current_->observer);
  p->idle_.push_back(Idle{std::move(*first), 1});
  p->created_ = 1;
  return p;
}

absl::StatusOr<ClientPool::Handle> ClientPool::Acquire(absl::Duration timeout) {
  const absl::Time deadline = timeout == absl::InfiniteDuration()
                                  ? absl::InfiniteFuture()
                                  : absl::Now() + std::max(timeout, absl::ZeroDuration());
  std::shared_ptr<const Snapshot> snapshot;
  Idle got;
  {
    MutexLock lock(&mu_);
    RestoreExpired();
    while (idle_.empty() && created_ >= pool_options_.max_clients) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        acquire_timeouts_.fetch_add(1, std::memory_order_relaxed);
        return McError(McCode::kTimeout, absl::StrCat("no client free in the pool within ",
                                                      absl::FormatDuration(timeout), " (", created_,
                                                      " of ", pool_options_.max_clients, " lent)"));
      }
      returned_.WaitWithTimeout(&mu_, std::min(left, absl::Hours(1)));
    }
    if (!idle_.empty()) {
      got = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++created_;
    }
    snapshot = current_;
    // Counted as lent under the version it will have, so that a drain
    // cannot complete between here and the build below.
    AddLent(snapshot);
  }
  acquires_.fetch_add(1, std::memory_order_relaxed);
  if (got.client != nullptr && got.version == snapshot->version) {
    return Handle(this, std::move(got.client), got.version);
  }
  // New, or built for an older topology: (re)build outside the lock (it
  // parses and allocates; the old one closes its connections).
  if (got.client != nullptr) rebuilt_.fetch_add(1, std::memory_order_relaxed);
  got.client.reset();
  auto c = Build(*snapshot);
  if (!c.ok()) {
    MutexLock lock(&mu_);
    --created_;
    DropLent(snapshot->version);
    returned_.Signal();
    return c.status();
  }
  return Handle(this, std::move(*c), snapshot->version);
}

void ClientPool::Update(std::unique_ptr<Client>* client, uint64_t* version) {
  std::shared_ptr<const Snapshot> snapshot;
  {
    MutexLock lock(&mu_);
    snapshot = current_;
    if (snapshot->version == *version) return;
    AddLent(snapshot);
  }
  auto c = Build(*snapshot);
  MutexLock lock(&mu_);
  if (!c.ok()) {
    // Cannot happen for a snapshot MakeSnapshot accepted; keep the old
    // Client (still counted under its old version) rather than fail.
    DropLent(snapshot->version);
    return;
  }
  DropLent(*version);
  rebuilt_.fetch_add(1, std::memory_order_relaxed);
  std::swap(*client, *c);
  *version = snapshot->version;
  // The old Client (now in *c) closes its connections when `c` goes, after
  // the lock is released.
}

void ClientPool::Return(std::unique_ptr<Client> client, uint64_t version) {
  {
    MutexLock lock(&mu_);
    DropLent(version);
    idle_.push_back(Idle{std::move(client), version});
  }
  returned_.Signal();
}

size_t ClientPool::size() const {
  MutexLock lock(&mu_);
  return created_;
}

size_t ClientPool::idle() const {
  MutexLock lock(&mu_);
  return idle_.size();
}

ClientOptions ClientPool::client_options() const {
  MutexLock lock(&mu_);
  return current_->options;
}

// ---- topology

void ClientPool::AddLent(const std::shared_ptr<const Snapshot>& snapshot) {
  Lent& l = lent_[snapshot->version];
  if (l.count++ == 0) l.snapshot = snapshot;
}

void ClientPool::DropLent(uint64_t version) {
  auto it = lent_.find(version);
  if (it == lent_.end()) return;
  if (--it->second.count == 0) {
    lent_.erase(it);
    UpdateDrained();
  }
}

size_t ClientPool::LentReaching(const std::string& address) const {
  size_t n = 0;
  for (const auto& [version, lent] : lent_) {
    const auto& a = lent.snapshot->addresses;
    if (std::find(a.begin(), a.end(), address) != a.end()) n += lent.count;
  }
  return n;
}

void ClientPool::UpdateDrained() {
  bool changed = false;
  for (Entry& e : servers_) {
    if (e.state == ServerState::kDraining && LentReaching(e.address) == 0) {
      e.state = ServerState::kDrained;
      changed = true;
    }
  }
  if (changed) drained_.SignalAll();
}

absl::StatusOr<size_t> ClientPool::Find(absl::string_view server) const {
  auto address = ParseAddress(server);
  if (!address.ok()) return address.status();
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i].address == *address) return i;
  }
  return absl::NotFoundError(absl::StrCat("the pool has no server ", *address));
}

absl::StatusOr<std::shared_ptr<const ClientPool::Snapshot>> ClientPool::MakeSnapshot(
    const std::vector<Entry>& servers) const {
  auto s = std::make_shared<Snapshot>();
  s->version = current_->version + 1;
  s->options = options_;
  s->options.servers.clear();
  for (const Entry& e : servers) {
    if (e.state != ServerState::kLive) continue;
    s->options.servers.push_back(e.spec.ToString());
    s->addresses.push_back(e.address);
    s->observer.stats.push_back(e.stats);
  }
  if (s->addresses.empty()) {
    return absl::FailedPreconditionError("the change would leave the pool without a live server");
  }
  auto probe = Client::Create(s->options);
  if (!probe.ok()) return probe.status();
  std::vector<hash::ServerSpec> specs;
  for (const Entry& e : servers) {
    if (e.state == ServerState::kLive) specs.push_back(e.spec);
  }
  hash::PlacementOptions po;
  po.distribution = options_.distribution;
  po.hash = options_.hash;
  po.sort_hosts = options_.sort_hosts;
  po.auto_weighted = options_.auto_weighted;
  auto placement = hash::Placement::Create(std::move(specs), po);
  if (!placement.ok()) return placement.status();
  s->shares = Shares(**placement);
  return std::shared_ptr<const Snapshot>(std::move(s));
}

absl::Status ClientPool::Commit(std::vector<Entry> servers) {
  auto snapshot = MakeSnapshot(servers);
  if (!snapshot.ok()) return snapshot.status();
  servers_ = std::move(servers);
  current_ = std::move(*snapshot);
  snapshots_[current_->version] = current_;
  PruneSnapshots();
  next_restore_ = absl::InfiniteFuture();
  for (const Entry& e : servers_) {
    if (e.state == ServerState::kEjected) next_restore_ = std::min(next_restore_, e.ejected_until);
  }
  version_.store(current_->version, std::memory_order_release);
  UpdateDrained();
  drained_.SignalAll();
  return absl::OkStatus();
}

void ClientPool::RestoreExpired() {
  const absl::Time now = absl::Now();
  if (now < next_restore_) return;
  std::vector<Entry> next = servers_;
  for (Entry& e : next) {
    if (e.state == ServerState::kEjected && e.ejected_until <= now) {
      e.state = ServerState::kLive;
      e.reason.clear();
      e.ejected_until = absl::InfiniteFuture();
    }
  }
  // Cannot fail: the servers were live together before.
  if (!Commit(std::move(next)).ok()) next_restore_ = absl::InfiniteFuture();
}

PoolCounters ClientPool::counters() const {
  PoolCounters c;
  c.acquires = acquires_.load(std::memory_order_relaxed);
  c.acquire_timeouts = acquire_timeouts_.load(std::memory_order_relaxed);
  c.clients_rebuilt = rebuilt_.load(std::memory_order_relaxed);
  c.topology_changes = version_.load(std::memory_order_acquire) - 1;
  return c;
}

std::vector<PoolServer> ClientPool::Servers() {
  MutexLock lock(&mu_);
  RestoreExpired();
  std::vector<PoolServer> out;
  out.reserve(servers_.size());
  for (const Entry& e : servers_) {
    PoolServer s;
    s.address = e.address;
    s.weight = e.spec.weight;
    s.state = e.state;
    s.lent_clients = LentReaching(e.address);
    s.reason = e.reason;
    s.ejected_until = e.ejected_until;
    s.requests = e.stats->requests.value();
    s.failures = e.stats->failures.value();
    s.consecutive_failures = static_cast<uint64_t>(e.stats->consecutive_failures.value());
    s.latency_nanos = e.stats->latency_nanos.Snapshot();
    const auto& live = current_->addresses;
    auto it = std::find(live.begin(), live.end(), e.address);
    if (it != live.end()) s.placement_share = current_->shares[it - live.begin()];
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status ClientPool::AddServer(absl::string_view server) {
  auto spec = hash::ParseServerSpec(server);
  if (!spec.ok()) return spec.status();
  if (!spec->unix_socket && spec->port == 0) spec->port = hash::kDefaultPort;
  if (spec->weight == 0) spec->weight = 1;
  MutexLock lock(&mu_);
  Entry e;
  e.address = AddressOf(*spec);
  for (const Entry& have : servers_) {
    if (have.address == e.address) {
      return absl::AlreadyExistsError(absl::StrCat("the pool already has server ", e.address));
    }
  }
  e.spec = std::move(*spec);
  std::vector<Entry> next = servers_;
  next.push_back(std::move(e));
  return Commit(std::move(next));
}

absl::Status ClientPool::RemoveServer(absl::string_view server) {
  MutexLock lock(&mu_);
  auto i = Find(server);
  if (!i.ok()) return i.status();
  std::vector<Entry> next = servers_;
  next.erase(next.begin() + static_cast<ptrdiff_t>(*i));
  return Commit(std::move(next));
}

absl::Status ClientPool::SetServerWeight(absl::string_view server, uint32_t weight) {
  if (weight == 0) return absl::InvalidArgumentError("a server's weight must be at least 1");
  MutexLock lock(&mu_);
  auto i = Find(server);
  if (!i.ok()) return i.status();
  if (servers_[*i].spec.weight == weight) return absl::OkStatus();
  std::vector<Entry> next = servers_;
  next[*i].spec.weight = weight;
  return Commit(std::move(next));
}

absl::Status ClientPool::SetState(absl::string_view server, ServerState state, absl::Time until,
                                  absl::string_view reason) {
  MutexLock lock(&mu_);
  auto i = Find(server);
  if (!i.ok()) return i.status();
  const ServerState was = servers_[*i].state;
  if (state == ServerState::kEjected) {
    servers_[*i].reason = std::string(reason);
    servers_[*i].ejected_until = until;
    if (was == state) {
      next_restore_ = std::min(next_restore_, until);
      return absl::OkStatus();
    }
  } else {
    servers_[*i].reason.clear();
    servers_[*i].ejected_until = absl::InfiniteFuture();
  }
  if (was == state) return absl::OkStatus();
  // Draining a server already out of the placement changes nothing but
  // its label.
  const bool in_before = was == ServerState::kLive;
  const bool in_after = state == ServerState::kLive;
  if (in_before == in_after) {
    if (state == ServerState::kDraining && was == ServerState::kDrained) return absl::OkStatus();
    servers_[*i].state = state;
    if (state == ServerState::kEjected) next_restore_ = std::min(next_restore_, until);
    UpdateDrained();
    return absl::OkStatus();
  }
  std::vector<Entry> next = servers_;
  next[*i].state = state;
  return Commit(std::move(next));
}

absl::Status ClientPool::EjectServer(absl::string_view server, absl::Duration duration,
                                     absl::string_view reason) {
  const absl::Time until =
      duration == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + duration;
  return SetState(server, ServerState::kEjected, until, reason);
}
absl::Status ClientPool::RestoreServer(absl::string_view server) {
  return SetState(server, ServerState::kLive, absl::InfiniteFuture(), "");
}
absl::Status ClientPool::DrainServer(absl::string_view server) {
  return SetState(server, ServerState::kDraining, absl::InfiniteFuture(), "");
}

absl::Status ClientPool::WaitDrained(absl::string_view server, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&mu_);
  for (;;) {
    auto i = Find(server);
    if (!i.ok()) return i.status();
    const ServerState s = servers_[*i].state;
    if (s == ServerState::kDrained) return absl::OkStatus();
    if (s != ServerState::kDraining) {
      return absl::FailedPreconditionError(absl::StrCat("server ", servers_[*i].address, " is ",
                                                        ServerStateName(s), ", not draining"));
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("server ", servers_[*i].address, " still reachable by ",
                       LentReaching(servers_[*i].address), " lent clients after ",
                       absl::FormatDuration(timeout)));
    }
    drained_.WaitWithTimeout(&mu_, std::min(left, absl::Hours(1)));
  }
}

// ---- ThreadMappedPool

absl::StatusOr<std::unique_ptr<ThreadMappedPool>> ThreadMappedPool::Create(
    const ClientOptions& options) {
  auto probe = Client::Create(options);  // checks the options once
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<ThreadMappedPool>(new ThreadMappedPool(options));
}

absl::StatusOr<Client*> ThreadMappedPool::Get() {
  const std::thread::id me = std::this_thread::get_id();
  {
    MutexLock lock(&mu_);
    auto it = clients_.find(me);
    if (it != clients_.end()) return it->second.get();
  }
  auto c = Client::Create(options_);
  if (!c.ok()) return c.status();
  MutexLock lock(&mu_);
  auto& slot = clients_[me];
  slot = std::move(*c);
  return slot.get();
}

void ThreadMappedPool::Relinquish() {
  std::unique_ptr<Client> mine;
  {
    MutexLock lock(&mu_);
    auto it = clients_.find(std::this_thread::get_id());
    if (it == clients_.end()) return;
    mine = std::move(it->second);
    clients_.erase(it);
  }
  // `mine` closes its connections outside the lock.
}

size_t ThreadMappedPool::size() const {
  MutexLock lock(&mu_);
  return clients_.size();
}

}  // namespace client
}  // namespace memkit
