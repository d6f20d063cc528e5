#include "proxy/pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/net/connection.h"
#include "core/net/connector.h"

namespace memkit {
namespace proxy {

// One health probe of one ejected server: connect, send "version", expect a
// "VERSION" line, all within the connect + read timeouts. Probe loop only.
class Pool::Probe final : private net::Connection::Handler {
 public:
  Probe(Pool* pool, size_t index) : pool_(pool), index_(index) {}
  ~Probe() override {
    if (timer_ != 0) pool_->probe_loop_->CancelTimer(timer_);
  }

  void Start() {
    const BackendOptions& bo = pool_->options_.backend;
    timer_ = pool_->probe_loop_->RunAfter(bo.connect_timeout + bo.read_timeout,
                                          [this] {
                                            timer_ = 0;
                                            Done(false);
                                          });
    connect_ = net::AsyncConnect::Start(
        pool_->probe_loop_, pool_->server(index_).address, bo.connect_timeout,
        [this](absl::StatusOr<net::UniqueFd> fd) {
          if (!fd.ok()) {
            Done(false);
            return;
          }
          auto conn = net::Connection::Create(pool_->probe_loop_, std::move(*fd), this);
          if (!conn.ok()) {
            Done(false);
            return;
          }
          conn_ = std::move(*conn);
          conn_->output().Append("version\r\n");
          conn_->Flush();
        });
  }

 private:
  void OnData(net::Connection* conn) override {
    absl::string_view in = conn->input().data();
    if (in.find('\n') == absl::string_view::npos) return;
    Done(absl::StartsWith(in, "VERSION "));
  }
  void OnClose(net::Connection*, const absl::Status&) override { Done(false); }

  // Reports once, on a later turn (this object is destroyed by the report).
  void Done(bool ok) {
    if (reported_) return;
    reported_ = true;
    Pool* pool = pool_;
    const size_t index = index_;
    pool->probe_loop_->RunAfter(
        absl::ZeroDuration(),
        pool->WhileAlive([pool, index, ok] { pool->OnProbeResult(index, ok); }));
  }

  Pool* const pool_;
  const size_t index_;
  bool reported_ = false;
  net::EventLoop::TimerId timer_ = 0;
  std::unique_ptr<net::AsyncConnect> connect_;
  std::unique_ptr<net::Connection> conn_;
};

namespace {

absl::StatusOr<net::Address> ResolveSpec(const hash::ServerSpec& spec) {
  if (spec.unix_socket) return net::Address::Unix(spec.host);
  const std::string host =
      spec.host.find(':') != std::string::npos ? absl::StrCat("[", spec.host, "]") : spec.host;
  return net::ResolveOne(
      absl::StrCat(host, ":", spec.port == 0 ? hash::kDefaultPort : spec.port));
}

// "host:port" of a member (its weight left out): how the admin API names it.
std::string MemberName(const hash::ServerSpec& spec) {
  hash::ServerSpec s = spec;
  s.weight = 1;
  return s.ToString();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(const PoolOptions& options,
                                                   net::EventLoop* probe_loop) {
  if (options.servers.empty() || options.servers.size() != options.addresses.size()) {
    return absl::InvalidArgumentError("a pool needs servers, each with an address");
  }
  if (options.servers.size() > kMaxMembers) {
    return absl::InvalidArgumentError(absl::StrCat("a pool has at most ", kMaxMembers, " servers"));
  }
  std::unique_ptr<Pool> pool(new Pool(options, probe_loop));
  {
    MutexLock lock(&pool->mu_);
    if (absl::Status s = pool->RebuildPlacementLocked(); !s.ok()) return s;
  }
  return pool;
}

Pool::Pool(const PoolOptions& options, net::EventLoop* probe_loop)
    : options_(options),
      probe_loop_(probe_loop),
      slots_(new std::unique_ptr<Server>[kMaxMembers]) {
  MutexLock lock(&mu_);
  for (size_t i = 0; i < options_.servers.size(); ++i) {
    slots_[i] = std::make_unique<Server>();
    slots_[i]->address = options_.addresses[i];
    Member m;
    m.spec = options_.servers[i];
    members_.push_back(std::move(m));
  }
  size_.store(options_.servers.size(), std::memory_order_release);
}

Pool::~Pool() = default;

std::shared_ptr<const hash::Placement> Pool::placement() const {
  MutexLock lock(&mu_);
  return placement_;
}

bool Pool::is_down(size_t i) const {
  if (i >= size()) return true;
  return server(i).down.load(std::memory_order_acquire);
}

bool Pool::is_removed(size_t i) const { return i >= size() || state(i) == MemberState::kRemoved; }

const net::Address& Pool::address(size_t i) const { return server(i).address; }

void Pool::SetState(size_t i, MemberState state) {
  Server& s = server(i);
  s.state.store(static_cast<uint8_t>(state), std::memory_order_release);
  s.down.store(state != MemberState::kUp, std::memory_order_release);
}

absl::Status Pool::RebuildPlacementLocked() {
  std::vector<hash::ServerSpec> specs;
  std::vector<bool> live;
  for (size_t i = 0; i < members_.size(); ++i) {
    specs.push_back(members_[i].spec);
    live.push_back(!server(i).down.load());
  }
  auto placement = hash::Placement::Create(std::move(specs), options_.placement, live);
  if (!placement.ok()) return placement.status();
  placement_ = std::shared_ptr<const hash::Placement>(std::move(*placement));
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return absl::OkStatus();
}

absl::StatusOr<size_t> Pool::FindLocked(absl::string_view address) const {
  auto spec = hash::ParseServerSpec(address);
  if (!spec.ok()) return spec.status();
  for (size_t i = 0; i < members_.size(); ++i) {
    const hash::ServerSpec& m = members_[i].spec;
    if (m.host == spec->host && m.port == spec->port && state(i) != MemberState::kRemoved) {
      return i;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no server \"", address, "\" in pool \"", options_.name, "\""));
}

void Pool::ReportSuccess(size_t i) {
  Server& s = server(i);
  if (s.failures.load(std::memory_order_relaxed) != 0) s.failures.store(0);
}

void Pool::ReportFailure(size_t i, const absl::Status& status) {
  Server& s = server(i);
  if (s.failures.fetch_add(1) + 1 < options_.health.failure_limit) return;
  if (s.down.load(std::memory_order_acquire)) return;
  {
    MutexLock lock(&mu_);
    if (state(i) != MemberState::kUp) return;
    SetState(i, MemberState::kEjected);
    Member& m = members_[i];
    m.admin_out = false;
    m.ejected_until_unix_nanos = 0;
    m.reason = absl::StrCat(s.failures.load(), " failures: ", status.message());
    s.stats.ejections.Increment();
    (void)RebuildPlacementLocked();
  }
  probe_loop_->RunInLoop(WhileAlive([this, i] {
    server(i).backoff = options_.health.probe_initial;
    ScheduleProbe(i);
  }));
}

void Pool::ScheduleProbe(size_t i) {
  Server& s = server(i);
  thread_local absl::BitGen gen;
  const double jitter = absl::Uniform(gen, 0.0, 0.25);
  const absl::Duration delay = s.backoff + s.backoff * jitter;
  probe_loop_->RunAfter(delay, WhileAlive([this, i] {
    Server& server = this->server(i);
    server.probe = std::make_unique<Probe>(this, i);
    server.probe->Start();
  }));
}

void Pool::OnProbeResult(size_t i, bool ok) {
  Server& s = server(i);
  s.probe.reset();
  {
    MutexLock lock(&mu_);
    // Restored, removed or taken out by the admin meanwhile: probing ends.
    if (state(i) != MemberState::kEjected || members_[i].admin_out) return;
    if (ok) {
      s.failures.store(0);
      members_[i].reason.clear();
      SetState(i, MemberState::kUp);
      (void)RebuildPlacementLocked();
      return;
    }
  }
  s.backoff = std::min(s.backoff * 2, options_.health.probe_max);
  ScheduleProbe(i);
}

size_t Pool::RegisterWorker(const ProxyStats* pool) {
  MutexLock lock(&mu_);
  const size_t w = worker_pool_stats_.size();
  worker_pool_stats_.push_back(pool);
  worker_generation_.push_back(0);
  for (Member& m : members_) m.per_worker.push_back(std::make_unique<ProxyStats>());
  return w;
}

ProxyStats* Pool::WorkerServerStats(size_t worker, size_t i) {
  MutexLock lock(&mu_);
  return members_[i].per_worker[worker].get();
}

void Pool::WorkerSawGeneration(size_t worker, uint64_t generation) {
  MutexLock lock(&mu_);
  worker_generation_[worker] = generation;
}

int64_t Pool::InFlightLocked(size_t i) const {
  int64_t n = 0;
  for (const auto& s : members_[i].per_worker) n += s->in_flight.value();
  return n;
}

ProxyStatsTotal Pool::MemberTotalLocked(size_t i) const {
  ProxyStatsTotal t;
  for (const auto& s : members_[i].per_worker) t.Add(*s);
  t.ejections = server(i).stats.ejections.value();
  return t;
}

absl::Status Pool::AddServer(absl::string_view address, uint32_t weight) {
  auto spec = hash::ParseServerSpec(address);
  if (!spec.ok()) return spec.status();
  if (weight != 0) spec->weight = weight;
  auto resolved = ResolveSpec(*spec);
  if (!resolved.ok()) return resolved.status();
  MutexLock lock(&mu_);
  for (size_t i = 0; i < members_.size(); ++i) {
    const hash::ServerSpec& m = members_[i].spec;
    if (m.host != spec->host || m.port != spec->port) continue;
    if (state(i) != MemberState::kRemoved) {
      return absl::AlreadyExistsError(
          absl::StrCat("\"", MemberName(m), "\" is already in pool \"", options_.name, "\""));
    }
    // A removed member comes back in its old slot (same connections, stats).
    members_[i].spec = *spec;
    members_[i].reason.clear();
    members_[i].admin_out = false;
    server(i).failures.store(0);
    SetState(i, MemberState::kUp);
    return RebuildPlacementLocked();
  }
  const size_t i = members_.size();
  if (i >= kMaxMembers) {
    return absl::FailedPreconditionError(
        absl::StrCat("pool \"", options_.name, "\" has had ", kMaxMembers, " servers"));
  }
  slots_[i] = std::make_unique<Server>();
  slots_[i]->address = *resolved;
  Member m;
  m.spec = *spec;
  for (size_t w = 0; w < worker_pool_stats_.size(); ++w) {
    m.per_worker.push_back(std::make_unique<ProxyStats>());
  }
  members_.push_back(std::move(m));
  size_.store(i + 1, std::memory_order_release);
  absl::Status s = RebuildPlacementLocked();
  if (!s.ok()) {
    // Leave the slot as a removed member: it was published.
    SetState(i, MemberState::kRemoved);
    (void)RebuildPlacementLocked();
  }
  return s;
}

absl::Status Pool::RemoveServer(absl::string_view address) {
  MutexLock lock(&mu_);
  auto i = FindLocked(address);
  if (!i.ok()) return i.status();
  size_t others = 0;
  for (size_t j = 0; j < members_.size(); ++j) {
    if (j != *i && state(j) != MemberState::kRemoved) ++others;
  }
  if (others == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", address, "\" is the last server of pool \"", options_.name, "\""));
  }
  SetState(*i, MemberState::kRemoved);
  members_[*i].reason = "removed";
  return RebuildPlacementLocked();
}

absl::Status Pool::SetServerWeight(absl::string_view address, uint32_t weight) {
  if (weight == 0) return absl::InvalidArgumentError("weight must be at least 1");
  MutexLock lock(&mu_);
  auto i = FindLocked(address);
  if (!i.ok()) return i.status();
  const uint32_t old = members_[*i].spec.weight;
  members_[*i].spec.weight = weight;
  absl::Status s = RebuildPlacementLocked();
  if (!s.ok()) members_[*i].spec.weight = old;
  return s;
}

absl::Status Pool::EjectServer(absl::string_view address, absl::Duration duration,
                               absl::string_view reason) {
  MutexLock lock(&mu_);
  auto i = FindLocked(address);
  if (!i.ok()) return i.status();
  Member& m = members_[*i];
  const bool was_up = state(*i) == MemberState::kUp;
  SetState(*i, MemberState::kEjected);
  m.admin_out = true;
  m.reason = absl::StrCat("ejected by admin", reason.empty() ? "" : ": ", reason);
  const uint64_t sequence = ++m.eject_sequence;
  m.ejected_until_unix_nanos = 0;
  if (was_up) server(*i).stats.ejections.Increment();
  if (duration > absl::ZeroDuration()) {
    m.ejected_until_unix_nanos = absl::ToUnixNanos(absl::Now() + duration);
    const size_t index = *i;
    probe_loop_->Post(WhileAlive([this, index, sequence, duration] {
      probe_loop_->RunAfter(duration, WhileAlive([this, index, sequence] {
        MutexLock lock(&mu_);
        Member& member = members_[index];
        if (state(index) != MemberState::kEjected || !member.admin_out ||
            member.eject_sequence != sequence) {
          return;
        }
        member.admin_out = false;
        member.reason.clear();
        member.ejected_until_unix_nanos = 0;
        server(index).failures.store(0);
        SetState(index, MemberState::kUp);
        (void)RebuildPlacementLocked();
      }));
    }));
  }
  return RebuildPlacementLocked();
}

absl::Status Pool::RestoreServer(absl::string_view address) {
  MutexLock lock(&mu_);
  auto i = FindLocked(address);
  if (!i.ok()) return i.status();
  if (state(*i) == MemberState::kUp) return absl::OkStatus();
  Member& m = members_[*i];
  m.admin_out = false;
  m.reason.clear();
  m.ejected_until_unix_nanos = 0;
  ++m.eject_sequence;
  server(*i).failures.store(0);
  SetState(*i, MemberState::kUp);
  return RebuildPlacementLocked();
}

absl::StatusOr<int64_t> Pool::DrainServer(absl::string_view address, absl::Duration timeout) {
  size_t index = 0;
  uint64_t generation = 0;
  {
    MutexLock lock(&mu_);
    auto i = FindLocked(address);
    if (!i.ok()) return i.status();
    index = *i;
    const MemberState st = state(index);
    if (st == MemberState::kDrained) return 0;
    if (st != MemberState::kDraining) {
      SetState(index, MemberState::kDraining);
      members_[index].admin_out = true;
      members_[index].reason = "drained by admin";
      ++members_[index].eject_sequence;
      if (absl::Status s = RebuildPlacementLocked(); !s.ok()) return s;
    }
    generation = generation_.load();
  }
  // Drained once no worker can route to it any more (each has taken the new
  // placement) and nothing sent to it is unanswered.
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    {
      MutexLock lock(&mu_);
      if (state(index) != MemberState::kDraining) return InFlightLocked(index);
      bool all_saw = true;
      for (uint64_t g : worker_generation_) all_saw = all_saw && g >= generation;
      const int64_t in_flight = InFlightLocked(index);
      if (all_saw && in_flight == 0) {
        SetState(index, MemberState::kDrained);
        return 0;
      }
      if (absl::Now() >= deadline) return in_flight;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
}

std::vector<MemberInfo> Pool::Members() const {
  std::vector<MemberInfo> out;
  MutexLock lock(&mu_);
  std::vector<double> share(members_.size(), 0.0);
  if (placement_ != nullptr && placement_->live_count() > 0) {
    const std::vector<hash::ContinuumPoint> ring = placement_->Continuum();
    if (!ring.empty()) {
      // A point owns the hashes after the previous point, up to itself.
      for (size_t k = 0; k < ring.size(); ++k) {
        const uint32_t prev = ring[k == 0 ? ring.size() - 1 : k - 1].value;
        const uint32_t arc = ring[k].value - prev;  // wraps for k == 0
        share[ring[k].server] += static_cast<double>(arc) / 4294967296.0;
      }
      if (ring.size() == 1) share[ring[0].server] = 1.0;
    } else {
      for (size_t i = 0; i < members_.size(); ++i) {
        if (placement_->is_live(i)) share[i] = 1.0 / placement_->live_count();
      }
    }
  }
  for (size_t i = 0; i < members_.size(); ++i) {
    const MemberState st = state(i);
    if (st == MemberState::kRemoved) continue;
    MemberInfo info;
    info.address = MemberName(members_[i].spec);
    info.weight = members_[i].spec.weight == 0 ? 1 : members_[i].spec.weight;
    info.state = st;
    info.reason = members_[i].reason;
    info.ejected_until_unix_nanos = members_[i].ejected_until_unix_nanos;
    info.consecutive_failures = static_cast<uint64_t>(std::max(0, server(i).failures.load()));
    info.stats = MemberTotalLocked(i);
    if (st == MemberState::kDraining && info.stats.in_flight <= 0) {
      info.state = MemberState::kDrained;
    }
    info.placement_share = share[i];
    out.push_back(std::move(info));
  }
  return out;
}

void Pool::AppendStatLines(std::string* out) const {
  std::vector<MemberInfo> members = Members();
  ProxyStatsTotal total;
  {
    MutexLock lock(&mu_);
    for (const ProxyStats* s : worker_pool_stats_) total.requests += s->requests.value();
  }
  const uint64_t client_requests = total.requests;
  size_t up = 0;
  for (const MemberInfo& m : members) {
    total.Add(m.stats);
    if (m.state == MemberState::kUp) ++up;
  }
  total.requests = client_requests;
  const std::string pool_prefix = absl::StrCat("pool:", options_.name);
  absl::StrAppend(out, "STAT ", pool_prefix, ":servers ", members.size(), "\r\n");
  absl::StrAppend(out, "STAT ", pool_prefix, ":servers_up ", up, "\r\n");
  total.AppendStatLines(pool_prefix, out);
  for (const MemberInfo& m : members) {
    const std::string prefix = absl::StrCat("server:", m.address);
    absl::StrAppend(out, "STAT ", prefix, ":up ", m.state == MemberState::kUp ? 1 : 0, "\r\n");
    m.stats.AppendStatLines(prefix, out);
  }
}

}  // namespace proxy
}  // namespace memkit
