#include "proxy/pool.h"

#include <algorithm>
#include <utility>

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
        pool_->probe_loop_, pool_->options_.addresses[index_], bo.connect_timeout,
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
    pool->probe_loop_->RunAfter(absl::ZeroDuration(),
                                [pool, index, ok] { pool->OnProbeResult(index, ok); });
  }

  Pool* const pool_;
  const size_t index_;
  bool reported_ = false;
  net::EventLoop::TimerId timer_ = 0;
  std::unique_ptr<net::AsyncConnect> connect_;
  std::unique_ptr<net::Connection> conn_;
};

absl::StatusOr<std::unique_ptr<Pool>> Pool::Create(const PoolOptions& options,
                                                   net::EventLoop* probe_loop) {
  if (options.servers.empty() || options.servers.size() != options.addresses.size()) {
    return absl::InvalidArgumentError("a pool needs servers, each with an address");
  }
  std::unique_ptr<Pool> pool(new Pool(options, probe_loop));
  if (absl::Status s = pool->RebuildPlacement(); !s.ok()) return s;
  return pool;
}

Pool::Pool(const PoolOptions& options, net::EventLoop* probe_loop)
    : options_(options), probe_loop_(probe_loop) {
  for (size_t i = 0; i < options_.servers.size(); ++i) {
    servers_.push_back(std::make_unique<Server>());
  }
}

Pool::~Pool() = default;

std::shared_ptr<const hash::Placement> Pool::placement() const {
  MutexLock lock(&mu_);
  return placement_;
}

absl::Status Pool::RebuildPlacement() {
  MutexLock lock(&mu_);
  std::vector<bool> live(servers_.size());
  for (size_t i = 0; i < servers_.size(); ++i) live[i] = !servers_[i]->down.load();
  auto placement = hash::Placement::Create(options_.servers, options_.placement, live);
  if (!placement.ok()) return placement.status();
  placement_ = std::shared_ptr<const hash::Placement>(std::move(*placement));
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return absl::OkStatus();
}

void Pool::ReportSuccess(size_t i) {
  Server& s = *servers_[i];
  if (s.failures.load(std::memory_order_relaxed) != 0) s.failures.store(0);
}

void Pool::ReportFailure(size_t i, const absl::Status& status) {
  (void)status;
  Server& s = *servers_[i];
  if (s.failures.fetch_add(1) + 1 < options_.health.failure_limit) return;
  if (s.down.exchange(true)) return;
  s.stats.ejections.Increment();
  (void)RebuildPlacement();
  probe_loop_->RunInLoop([this, i] {
    servers_[i]->backoff = options_.health.probe_initial;
    ScheduleProbe(i);
  });
}

void Pool::ScheduleProbe(size_t i) {
  Server& s = *servers_[i];
  thread_local absl::BitGen gen;
  const double jitter = absl::Uniform(gen, 0.0, 0.25);
  const absl::Duration delay = s.backoff + s.backoff * jitter;
  probe_loop_->RunAfter(delay, [this, i] {
    Server& server = *servers_[i];
    server.probe = std::make_unique<Probe>(this, i);
    server.probe->Start();
  });
}

void Pool::OnProbeResult(size_t i, bool ok) {
  Server& s = *servers_[i];
  s.probe.reset();
  if (ok) {
    s.failures.store(0);
    s.down.store(false, std::memory_order_release);
    (void)RebuildPlacement();
    return;
  }
  s.backoff = std::min(s.backoff * 2, options_.health.probe_max);
  ScheduleProbe(i);
}

void Pool::RegisterWorkerStats(const ProxyStats* pool, std::vector<const ProxyStats*> servers) {
  MutexLock lock(&mu_);
  worker_pool_stats_.push_back(pool);
  worker_server_stats_.push_back(std::move(servers));
}

void Pool::AppendStatLines(std::string* out) const {
  std::vector<ProxyStatsTotal> per_server(servers_.size());
  ProxyStatsTotal total;
  {
    MutexLock lock(&mu_);
    for (const ProxyStats* s : worker_pool_stats_) total.requests += s->requests.value();
    for (const auto& worker : worker_server_stats_) {
      for (size_t i = 0; i < worker.size(); ++i) per_server[i].Add(*worker[i]);
    }
  }
  const uint64_t client_requests = total.requests;
  for (size_t i = 0; i < servers_.size(); ++i) {
    per_server[i].ejections = servers_[i]->stats.ejections.value();
    total.Add(per_server[i]);
  }
  total.requests = client_requests;
  const std::string pool_prefix = absl::StrCat("pool:", options_.name);
  absl::StrAppend(out, "STAT ", pool_prefix, ":servers ", servers_.size(), "\r\n");
  size_t up = 0;
  for (const auto& s : servers_) up += s->down.load() ? 0 : 1;
  absl::StrAppend(out, "STAT ", pool_prefix, ":servers_up ", up, "\r\n");
  total.AppendStatLines(pool_prefix, out);
  for (size_t i = 0; i < servers_.size(); ++i) {
    const std::string prefix = absl::StrCat("server:", options_.servers[i].ToString());
    absl::StrAppend(out, "STAT ", prefix, ":up ", servers_[i]->down.load() ? 0 : 1, "\r\n");
    per_server[i].AppendStatLines(prefix, out);
  }
}

// ---- WorkerPool --------------------------------------------------------------

class WorkerPool::Observer final : public BackendConn::Observer {
 public:
  Observer(WorkerPool* worker, Pool* pool, size_t index)
      : worker_(worker), pool_(pool), index_(index) {}
  void OnPendingOutput(BackendConn* conn) override { worker_->RequestFlush(conn); }
  void OnBackendSuccess() override { pool_->ReportSuccess(index_); }
  void OnBackendFailure(const absl::Status& status) override {
    pool_->ReportFailure(index_, status);
  }

 private:
  WorkerPool* const worker_;
  Pool* const pool_;
  const size_t index_;
};

WorkerPool::WorkerPool(net::EventLoop* loop, Pool* pool) : loop_(loop), pool_(pool) {
  const BackendOptions& bo = pool->options().backend;
  std::vector<const ProxyStats*> registered;
  for (size_t i = 0; i < pool->size(); ++i) {
    observers_.push_back(std::make_unique<Observer>(this, pool, i));
    server_stats_.push_back(std::make_unique<ProxyStats>());
    registered.push_back(server_stats_.back().get());
  }
  pool->RegisterWorkerStats(&stats_, std::move(registered));
  for (auto& by_server : conns_) {
    by_server.resize(pool->size());
    for (size_t i = 0; i < pool->size(); ++i) {
      for (int k = 0; k < bo.connections_per_server; ++k) {
        by_server[i].push_back(std::make_unique<BackendConn>(loop, pool->options().addresses[i],
                                                             bo, observers_[i].get()));
      }
    }
  }
  const absl::Duration tick =
      std::clamp(bo.read_timeout / 8, absl::Milliseconds(5), absl::Milliseconds(100));
  tick_ = loop_->RunEvery(tick, [this] { Tick(); });
}

WorkerPool::~WorkerPool() {
  if (tick_ != 0) loop_->CancelTimer(tick_);
}

const hash::Placement& WorkerPool::placement() {
  const uint64_t g = pool_->generation();
  if (g != generation_ || placement_ == nullptr) {
    placement_ = pool_->placement();
    generation_ = g;
  }
  return *placement_;
}

BackendConn* WorkerPool::Conn(size_t i, uint64_t session, bool binary) {
  auto& list = conns_[binary ? 1 : 0][i];
  return list[session % list.size()].get();
}

void WorkerPool::RequestFlush(BackendConn* conn) {
  for (BackendConn* c : to_flush_) {
    if (c == conn) return;
  }
  to_flush_.push_back(conn);
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // A zero-delay timer runs after this turn's events: every request queued
  // by this turn's clients goes out in one write per connection.
  loop_->RunAfter(absl::ZeroDuration(), [this] { FlushPending(); });
}

void WorkerPool::FlushPending() {
  flush_scheduled_ = false;
  // Flush() never queues more (a write error is reported on a later turn).
  for (BackendConn* c : to_flush_) c->Flush();
  to_flush_.clear();
}

void WorkerPool::Tick() {
  // Fresh time: the cached clock is from the start of this turn.
  const int64_t now = loop_->cached_now_ns();
  for (auto& by_server : conns_) {
    for (auto& list : by_server) {
      for (auto& c : list) c->CheckTimeout(now);
    }
  }
}

}  // namespace proxy
}  // namespace memkit
