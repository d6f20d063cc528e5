#include "client/pool_admin.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/grpc_status.h"
#include "core/admin/stats_collector.h"
#include "core/admin/stats_service.h"
#include "core/hash/hash.h"
#include "core/hash/placement.h"
#include "core/stats/histogram.h"

namespace memkit {
namespace client {
namespace {

namespace v1 = ::memkit::admin::v1;

using ::memkit::admin::ToGrpcStatus;

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
    if (!p.ok()) return ToGrpcStatus(p.status());
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
    if (!p.ok()) return ToGrpcStatus(p.status());
    ClientPool* pool = (*p)->pool;
    absl::Status s = pool->DrainServer(req->address());
    if (!s.ok()) return ToGrpcStatus(s);
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
    if (!p.ok()) return ToGrpcStatus(p.status());
    absl::Status s = change((*p)->pool);
    if (!s.ok()) return ToGrpcStatus(s);
    Describe(**p, info);
    return grpc::Status::OK;
  }

  const std::vector<NamedPool> pools_;
};

// ---- Stats

// The pools' numbers for core/admin's Stats service (and /metrics).
class ClientPoolAdmin::StatsImpl final : public admin::StatsProvider {
 public:
  StatsImpl(const std::vector<NamedPool>* pools, std::string component)
      : pools_(pools), component_(std::move(component)) {}

  std::string component() const override { return component_; }

  void Collect(admin::StatsBuilder* b) override {
    b->BeginScope(v1::SCOPE_KIND_COMPONENT, component_);
    b->AddGauge("pools", "Client pools served.", static_cast<double>(pools_->size()));
    // Pools first, then servers (the snapshot's documented order).
    std::vector<std::pair<const NamedPool*, std::vector<PoolServer>>> members;
    for (const NamedPool& np : *pools_) {
      ClientPool& pool = *np.pool;
      const PoolCounters c = pool.counters();
      members.emplace_back(&np, pool.Servers());
      b->BeginScope(v1::SCOPE_KIND_POOL, np.name);
      b->AddCounter("acquires_total", "Clients lent by Acquire().", c.acquires);
      b->AddCounter("acquire_timeouts_total", "Acquire() calls that found no free client in time.",
                    c.acquire_timeouts);
      b->AddCounter("clients_rebuilt_total", "Clients rebuilt for a new topology.",
                    c.clients_rebuilt);
      b->AddCounter("topology_changes_total", "Server list, weight or state changes.",
                    c.topology_changes);
      const size_t size = pool.size(), idle = pool.idle();
      b->AddGauge("clients", "Clients in existence.", static_cast<double>(size));
      b->AddGauge("clients_lent", "Clients lent now.",
                  static_cast<double>(size - std::min(size, idle)));
      size_t live = 0;
      for (const PoolServer& s : members.back().second) live += s.state == ServerState::kLive;
      b->AddGauge("servers_live", "Servers in the placement.", static_cast<double>(live));
    }
    for (const auto& [np, servers] : members) {
      for (const PoolServer& s : servers) {
        b->BeginScope(v1::SCOPE_KIND_SERVER, s.address, np->name);
        b->AddCounter("requests_total", "Round trips to the server.", s.requests);
        b->AddCounter("failures_total", "Round trips that failed.", s.failures);
        b->AddGauge("up", "1 when the server is in the placement.",
                    s.state == ServerState::kLive ? 1 : 0);
        b->AddGauge("weight", "Placement weight.", s.weight);
        b->AddGauge("placement_share", "Share of the keyspace (0..1).", s.placement_share);
        b->AddGauge("lent_clients", "Lent clients that can still reach it.",
                    static_cast<double>(s.lent_clients));
        b->AddGauge("consecutive_failures", "Failed round trips in a row.",
                    static_cast<double>(s.consecutive_failures));
        b->AddHistogram("request_latency",
                        "Round trips to the server, from the start of the call's I/O.",
                        s.latency_nanos, admin::kNanosToMicros);
      }
    }
  }

 private:
  const std::vector<NamedPool>* const pools_;
  const std::string component_;
};

// ---- ClientPoolAdmin

ClientPoolAdmin::ClientPoolAdmin(std::vector<NamedPool> pools,
                                 const ClientPoolAdminOptions& options)
    : pools_(std::make_unique<PoolsImpl>(std::move(pools))),
      stats_(std::make_unique<StatsImpl>(&pools_->pools(), options.component)),
      stats_service_(std::make_unique<admin::StatsService>(stats_.get())) {}

ClientPoolAdmin::~ClientPoolAdmin() = default;

grpc::Service* ClientPoolAdmin::pools_service() { return pools_.get(); }
grpc::Service* ClientPoolAdmin::stats_service() { return stats_service_.get(); }
admin::StatsProvider* ClientPoolAdmin::stats_provider() { return stats_.get(); }

std::vector<grpc::Service*> ClientPoolAdmin::services() {
  return {pools_.get(), stats_service_.get()};
}

void ClientPoolAdmin::RegisterWith(grpc::ServerBuilder* builder) {
  for (grpc::Service* s : services()) builder->RegisterService(s);
}

void ClientPoolAdmin::Stop() { stats_service_->Stop(); }

}  // namespace client
}  // namespace memkit
