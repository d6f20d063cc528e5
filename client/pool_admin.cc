#include "client/pool_admin.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/hash/hash.h"
#include "core/hash/placement.h"
#include "core/stats/histogram.h"

namespace memkit {
namespace client {
namespace {

namespace v1 = ::memkit::admin::v1;

// absl and gRPC share the canonical status codes.
grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

v1::ServerState ToProto(ServerState s) {
  switch (s) {
    case ServerState::kLive:
      return v1::SERVER_STATE_UP;
    case ServerState::kEjected:
      return v1::SERVER_STATE_EJECTED;
    case ServerState::kDraining:
      return v1::SERVER_STATE_DRAINING;
    case ServerState::kDrained:
      return v1::SERVER_STATE_DRAINED;
  }
  return v1::SERVER_STATE_UNSPECIFIED;
}

int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

// Finds a pool by name; "" names the only one.
absl::StatusOr<const NamedPool*> FindPool(const std::vector<NamedPool>& pools,
                                          const std::string& name) {
  if (name.empty()) {
    if (pools.size() == 1) return &pools[0];
    return absl::InvalidArgumentError(absl::StrCat("name the pool: this program has ", pools.size(),
                                                   " pools (ListPools shows them)"));
  }
  for (const NamedPool& p : pools) {
    if (p.name == name) return &p;
  }
  return absl::NotFoundError(absl::StrCat("no pool named \"", name, "\""));
}

void AddSetting(v1::PoolInfo* info, const std::string& name, const std::string& value) {
  v1::PoolSetting* s = info->add_settings();
  s->set_name(name);
  s->set_value(value);
}

void Describe(const NamedPool& np, v1::PoolInfo* info) {
  ClientPool& pool = *np.pool;
  const ClientOptions o = pool.client_options();
  info->set_name(np.name);
  info->set_distribution(std::string(hash::DistributionName(o.distribution)));
  info->set_hash(o.hash.has_value() ? std::string(hash::HashAlgorithmName(*o.hash)) : "default");
  for (const PoolServer& s : pool.Servers()) {
    v1::PoolServer* p = info->add_servers();
    p->set_address(s.address);
    p->set_weight(s.weight);
    p->set_state(ToProto(s.state));
    if (s.state == ServerState::kEjected) {
      p->set_state_reason(s.reason.empty() ? "ejected by admin"
                                           : absl::StrCat("ejected by admin: ", s.reason));
      if (s.ejected_until != absl::InfiniteFuture()) {
        p->set_ejected_until_unix_nanos(absl::ToUnixNanos(s.ejected_until));
      }
    } else if (s.state == ServerState::kDraining) {
      p->set_state_reason(
          absl::StrCat("draining: ", s.lent_clients, " lent clients can still reach it"));
    } else if (s.state == ServerState::kDrained) {
      p->set_state_reason("drained by admin");
    }
    p->set_placement_share(s.placement_share);
    p->set_requests_total(s.requests);
    p->set_failures_total(s.failures);
    p->set_consecutive_failures(s.consecutive_failures);
    if (s.state == ServerState::kLive && s.consecutive_failures > 0) {
      p->set_state(v1::SERVER_STATE_FAILING);
      p->set_state_reason(absl::StrCat(s.consecutive_failures, " failures in a row"));
    }
  }
  AddSetting(info, "protocol", ProtocolName(o.protocol));
  AddSetting(info, "replicas", absl::StrCat(o.replicas));
  AddSetting(info, "auto_eject_hosts", o.auto_eject_hosts ? "true" : "false");
  AddSetting(info, "server_failure_limit", absl::StrCat(o.server_failure_limit));
  AddSetting(info, "retry_timeout_ms", absl::StrCat(Millis(o.retry_timeout)));
  AddSetting(info, "dead_timeout_ms", absl::StrCat(Millis(o.dead_timeout)));
  AddSetting(info, "io_timeout_ms", absl::StrCat(Millis(o.io_timeout)));
  AddSetting(info, "connect_timeout_ms", absl::StrCat(Millis(o.connect_timeout)));
  AddSetting(info, "max_clients", absl::StrCat(pool.pool_options().max_clients));
  AddSetting(info, "acquire_timeout_ms", absl::StrCat(Millis(pool.pool_options().acquire_timeout)));
  AddSetting(info, "topology_version", absl::StrCat(pool.topology_version()));
}

// Prometheus-sized bucket bounds for latencies, in microseconds.
constexpr double kBucketBoundsMicros[] = {
    10,    25,    50,     100,    250,    500,     1000,    2500,    5000,    10000,
    25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

void FillPercentiles(const stats::HistogramSnapshot& h, v1::Percentiles* p) {
  auto us = [](uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; };
  p->set_p50(us(h.Percentile(50)));
  p->set_p90(us(h.Percentile(90)));
  p->set_p99(us(h.Percentile(99)));
  p->set_p999(us(h.Percentile(99.9)));
  p->set_max(us(h.max()));
  p->set_min(us(h.min()));
  p->set_mean(h.Mean() / 1000.0);
}

}  // namespace

// ---- Pools

class ClientPoolAdmin::PoolsImpl final : public v1::Pools::Service {
 public:
  explicit PoolsImpl(std::vector<NamedPool> pools) : pools_(std::move(pools)) {}
  const std::vector<NamedPool>& pools() const { return pools_; }

  grpc::Status ListPools(grpc::ServerContext*, const v1::ListPoolsRequest*,
                         v1::ListPoolsResponse* out) override {
    for (const NamedPool& p : pools_) Describe(p, out->add_pools());
    return grpc::Status::OK;
  }

  grpc::Status GetPool(grpc::ServerContext*, const v1::GetPoolRequest* req,
                       v1::GetPoolResponse* out) override {
    auto p = FindPool(pools_, req->pool());
    if (!p.ok()) return ToGrpc(p.status());
    Describe(**p, out->mutable_pool());
    return grpc::Status::OK;
  }

  grpc::Status AddServer(grpc::ServerContext*, const v1::AddServerRequest* req,
                         v1::AddServerResponse* out) override {
    const std::string spec =
        req->weight() > 1 ? absl::StrCat(req->address(), ":", req->weight()) : req->address();
    return Change(req->pool(), out->mutable_pool(),
                  [&](ClientPool* pool) { return pool->AddServer(spec); });
  }

  grpc::Status RemoveServer(grpc::ServerContext*, const v1::RemoveServerRequest* req,
                            v1::RemoveServerResponse* out) override {
    return Change(req->pool(), out->mutable_pool(),
                  [&](ClientPool* pool) { return pool->RemoveServer(req->address()); });
  }

  grpc::Status SetServerWeight(grpc::ServerContext*, const v1::SetServerWeightRequest* req,
                               v1::SetServerWeightResponse* out) override {
    return Change(req->pool(), out->mutable_pool(), [&](ClientPool* pool) {
      return pool->SetServerWeight(req->address(), req->weight());
    });
  }

  grpc::Status EjectServer(grpc::ServerContext*, const v1::EjectServerRequest* req,
                           v1::EjectServerResponse* out) override {
    if (req->duration_ms() < 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "duration_ms must be >= 0");
    }
    const absl::Duration d =
        req->duration_ms() == 0 ? absl::InfiniteDuration() : absl::Milliseconds(req->duration_ms());
    return Change(req->pool(), out->mutable_pool(), [&](ClientPool* pool) {
      return pool->EjectServer(req->address(), d, req->reason());
    });
  }

  grpc::Status RestoreServer(grpc::ServerContext*, const v1::RestoreServerRequest* req,
                             v1::RestoreServerResponse* out) override {
    return Change(req->pool(), out->mutable_pool(),
                  [&](ClientPool* pool) { return pool->RestoreServer(req->address()); });
  }

  grpc::Status DrainServer(grpc::ServerContext* ctx, const v1::DrainServerRequest* req,
                           v1::DrainServerResponse* out) override {
    if (req->timeout_ms() < 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timeout_ms must be >= 0");
    }
    auto p = FindPool(pools_, req->pool());
    if (!p.ok()) return ToGrpc(p.status());
    ClientPool* pool = (*p)->pool;
    absl::Status s = pool->DrainServer(req->address());
    if (!s.ok()) return ToGrpc(s);
    // Wait in slices so that a cancelled call stops waiting.
    const absl::Time deadline = absl::Now() + absl::Milliseconds(req->timeout_ms());
    while (!ctx->IsCancelled()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      s = pool->WaitDrained(req->address(), std::min(left, absl::Milliseconds(100)));
      if (!absl::IsDeadlineExceeded(s)) break;  // drained, or restored/removed meanwhile
    }
    Describe(**p, out->mutable_pool());
    for (const v1::PoolServer& m : out->pool().servers()) {
      if (m.address() != req->address()) continue;
      for (const PoolServer& ps : pool->Servers()) {
        if (ps.address == m.address()) out->set_in_flight(static_cast<int64_t>(ps.lent_clients));
      }
    }
    return grpc::Status::OK;
  }

 private:
  template <typename F>
  grpc::Status Change(const std::string& pool_name, v1::PoolInfo* info, F change) {
    auto p = FindPool(pools_, pool_name);
    if (!p.ok()) return ToGrpc(p.status());
    absl::Status s = change((*p)->pool);
    if (!s.ok()) return ToGrpc(s);
    Describe(**p, info);
    return grpc::Status::OK;
  }

  const std::vector<NamedPool> pools_;
};

// ---- Stats

class ClientPoolAdmin::StatsImpl final : public v1::Stats::Service {
 public:
  StatsImpl(const std::vector<NamedPool>* pools, std::string component)
      : pools_(pools), component_(std::move(component)) {}

  grpc::Status GetStats(grpc::ServerContext*, const v1::GetStatsRequest* req,
                        v1::GetStatsResponse* out) override {
    Histograms now;
    Snapshot(out->mutable_snapshot(), req->include_histogram_buckets(), nullptr, &now);
    return grpc::Status::OK;
  }

  grpc::Status WatchStats(grpc::ServerContext* ctx, const v1::WatchStatsRequest* req,
                          grpc::ServerWriter<v1::StatsSnapshot>* writer) override {
    if (req->interval_ms() != 0 && req->interval_ms() < 10) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "interval_ms must be at least 10");
    }
    const absl::Duration interval =
        absl::Milliseconds(req->interval_ms() == 0 ? 1000 : req->interval_ms());
    std::map<std::string, uint64_t> previous;  // "scope/name" -> value
    Histograms previous_histograms, histograms;
    absl::Time last = absl::Now();
    for (uint64_t seq = 0; req->max_snapshots() == 0 || seq < req->max_snapshots(); ++seq) {
      if (seq > 0) {
        const absl::Time next = last + interval;
        while (absl::Now() < next) {
          if (ctx->IsCancelled()) return grpc::Status::OK;
          absl::SleepFor(std::min(next - absl::Now(), absl::Milliseconds(10)));
        }
      }
      const absl::Time now = absl::Now();
      v1::StatsSnapshot snap;
      Snapshot(&snap, req->include_histogram_buckets(), seq > 0 ? &previous_histograms : nullptr,
               &histograms);
      previous_histograms.swap(histograms);
      histograms.clear();
      snap.set_sequence(seq);
      if (seq > 0) {
        const double seconds = absl::ToDoubleSeconds(now - last);
        snap.set_interval_ms(absl::ToInt64Milliseconds(now - last));
        for (v1::StatsScope& scope : *snap.mutable_scopes()) {
          for (v1::Counter& c : *scope.mutable_counters()) {
            const auto it =
                previous.find(absl::StrCat(scope.pool(), "/", scope.name(), "/", c.name()));
            if (it == previous.end() || it->second > c.value()) continue;
            c.set_delta(c.value() - it->second);
            if (seconds > 0) c.set_rate_per_second(static_cast<double>(c.delta()) / seconds);
          }
        }
      }
      previous.clear();
      for (const v1::StatsScope& scope : snap.scopes()) {
        for (const v1::Counter& c : scope.counters()) {
          previous[absl::StrCat(scope.pool(), "/", scope.name(), "/", c.name())] = c.value();
        }
      }
      last = now;
      if (!writer->Write(snap)) return grpc::Status::OK;  // the client went away
    }
    return grpc::Status::OK;
  }

 private:
  static void AddCounter(v1::StatsScope* scope, const char* name, uint64_t value,
                         const char* help) {
    v1::Counter* c = scope->add_counters();
    c->set_name(name);
    c->set_value(value);
    c->set_help(help);
  }
  static void AddGauge(v1::StatsScope* scope, const char* name, double value, const char* help) {
    v1::Gauge* g = scope->add_gauges();
    g->set_name(name);
    g->set_value(value);
    g->set_help(help);
  }

  // Latency histograms by "pool/server", for interval percentiles.
  using Histograms = std::map<std::string, stats::HistogramSnapshot>;

  static void AddLatency(v1::StatsScope* scope, const std::string& key,
                         const stats::HistogramSnapshot& total, bool buckets,
                         const Histograms* previous, Histograms* now) {
    v1::Histogram* h = scope->add_histograms();
    h->set_name("request_latency");
    h->set_unit("microseconds");
    h->set_help("Round trips to the server, from the start of the call's I/O");
    h->set_count(total.count());
    h->set_sum(static_cast<double>(total.sum()) / 1000.0);
    FillPercentiles(total, h->mutable_total());
    if (previous != nullptr) {
      auto it = previous->find(key);
      const stats::HistogramSnapshot interval =
          it == previous->end() ? total : total.Since(it->second);
      h->set_delta_count(interval.count());
      FillPercentiles(interval, h->mutable_interval());
    }
    if (buckets) {
      for (double bound : kBucketBoundsMicros) {
        v1::HistogramBucket* b = h->add_buckets();
        b->set_upper_bound(bound);
        b->set_cumulative_count(total.CountAtOrBelow(static_cast<uint64_t>(bound * 1000)));
      }
    }
    (*now)[key] = total;
  }

  void Snapshot(v1::StatsSnapshot* snap, bool buckets, const Histograms* previous,
                Histograms* now) const {
    snap->set_time_unix_nanos(absl::ToUnixNanos(absl::Now()));
    snap->set_component(component_);
    v1::StatsScope* component = snap->add_scopes();
    component->set_kind(v1::SCOPE_KIND_COMPONENT);
    component->set_name(component_);
    AddGauge(component, "pools", static_cast<double>(pools_->size()), "Client pools served");
    std::vector<v1::StatsScope> servers;
    for (const NamedPool& np : *pools_) {
      ClientPool& pool = *np.pool;
      const PoolCounters c = pool.counters();
      v1::StatsScope* ps = snap->add_scopes();
      ps->set_kind(v1::SCOPE_KIND_POOL);
      ps->set_name(np.name);
      AddCounter(ps, "acquires_total", c.acquires, "Clients lent by Acquire()");
      AddCounter(ps, "acquire_timeouts_total", c.acquire_timeouts,
                 "Acquire() calls that found no free client in time");
      AddCounter(ps, "clients_rebuilt_total", c.clients_rebuilt,
                 "Clients rebuilt for a new topology");
      AddCounter(ps, "topology_changes_total", c.topology_changes,
                 "Server list, weight or state changes");
      const size_t size = pool.size(), idle = pool.idle();
      AddGauge(ps, "clients", static_cast<double>(size), "Clients in existence");
      AddGauge(ps, "clients_lent", static_cast<double>(size - std::min(size, idle)),
               "Clients lent now");
      size_t live = 0;
      for (const PoolServer& s : pool.Servers()) {
        if (s.state == ServerState::kLive) ++live;
        v1::StatsScope ss;
        ss.set_kind(v1::SCOPE_KIND_SERVER);
        ss.set_name(s.address);
        ss.set_pool(np.name);
        AddGauge(&ss, "up", s.state == ServerState::kLive ? 1 : 0,
                 "1 when the server is in the placement");
        AddGauge(&ss, "weight", s.weight, "Placement weight");
        AddGauge(&ss, "placement_share", s.placement_share, "Share of the keyspace (0..1)");
        AddGauge(&ss, "lent_clients", static_cast<double>(s.lent_clients),
                 "Lent clients that can still reach it");
        AddGauge(&ss, "consecutive_failures", static_cast<double>(s.consecutive_failures),
                 "Failed round trips in a row");
        AddCounter(&ss, "requests_total", s.requests, "Round trips to the server");
        AddCounter(&ss, "failures_total", s.failures, "Round trips that failed");
        AddLatency(&ss, absl::StrCat(np.name, "/", s.address), s.latency_nanos, buckets, previous,
                   now);
        servers.push_back(std::move(ss));
      }
      AddGauge(ps, "servers_live", static_cast<double>(live), "Servers in the placement");
    }
    for (v1::StatsScope& s : servers) *snap->add_scopes() = std::move(s);
  }

  const std::vector<NamedPool>* const pools_;
  const std::string component_;
};

// ---- ClientPoolAdmin

ClientPoolAdmin::ClientPoolAdmin(std::vector<NamedPool> pools,
                                 const ClientPoolAdminOptions& options)
    : pools_(std::make_unique<PoolsImpl>(std::move(pools))),
      stats_(std::make_unique<StatsImpl>(&pools_->pools(), options.component)) {}

ClientPoolAdmin::~ClientPoolAdmin() = default;

grpc::Service* ClientPoolAdmin::pools_service() { return pools_.get(); }
grpc::Service* ClientPoolAdmin::stats_service() { return stats_.get(); }

void ClientPoolAdmin::RegisterWith(grpc::ServerBuilder* builder) {
  builder->RegisterService(pools_.get());
  builder->RegisterService(stats_.get());
}

}  // namespace client
}  // namespace memkit
