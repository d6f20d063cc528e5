#include "proxy/admin_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/grpc_status.h"
#include "core/admin/stats_collector.h"
#include "core/admin/stats_service.h"
#include "core/hash/hash.h"
#include "google/protobuf/util/json_util.h"

namespace memkit {
namespace proxy {
namespace {

namespace v1 = ::memkit::admin::v1;

constexpr char kComponent[] = "memkit-proxy";

using ::memkit::admin::ToGrpcStatus;
using ::memkit::admin::UnimplementedStatus;

// The pools of the route table current when taken. Holding it keeps that
// table, and so its pools, alive through an admin call even when a reload
// retires them meanwhile.
struct PoolSnapshot {
  std::shared_ptr<const RouteTable> table;
  std::vector<Pool*> pools;
};

PoolSnapshot CurrentPools(const ProxyContext* context) {
  PoolSnapshot snapshot;
  snapshot.table = context->current();
  if (snapshot.table == nullptr) return snapshot;  // the proxy stopped
  for (size_t i = 0; i < snapshot.table->pool_count(); ++i) {
    snapshot.pools.push_back(snapshot.table->pool(i));
  }
  return snapshot;
}

using PoolsFn = std::function<PoolSnapshot()>;

// ---- Stats

// The numbers of one pool or member, as metrics.
void AddBackendMetrics(const ProxyStatsTotal& t, admin::StatsBuilder* b) {
  b->AddCounter("requests_total", "Requests routed (pool) or sent (server).", t.requests);
  b->AddCounter("hits_total", "Retrieval keys found.", t.hits);
  b->AddCounter("misses_total", "Retrieval keys not found.", t.misses);
  b->AddCounter("errors_total",
                "Requests answered with an error because a server failed (timeouts included).",
                t.errors);
  b->AddCounter("timeouts_total", "Requests unanswered past the read timeout.", t.timeouts);
  b->AddCounter("ejections_total", "Times a server was taken out of placement.", t.ejections);
  b->AddGauge("in_flight", "Requests sent and not yet answered.",
              static_cast<double>(t.in_flight < 0 ? 0 : t.in_flight));
  b->AddGauge("connections", "Connections open to the server(s).",
              static_cast<double>(t.connections < 0 ? 0 : t.connections));
  b->AddHistogram("backend_latency", "Time from sending a request to a server to its reply.",
                  t.latency_ns, admin::kNanosToMicros);
}

class ProxyStatsProvider final : public admin::StatsProvider {
 public:
  ProxyStatsProvider(const ProxyContext* context, PoolsFn pools)
      : context_(context), pools_(std::move(pools)) {}

  std::string component() const override { return kComponent; }

  void Collect(admin::StatsBuilder* b) override {
    b->BeginScope(v1::SCOPE_KIND_COMPONENT, kComponent);
    b->AddGauge("client_connections", "Client connections open now.",
                static_cast<double>(context_->curr_connections.load()));
    b->AddCounter("connections_total", "Client connections accepted.",
                  context_->total_connections.load());
    b->AddCounter("cmd_get_total", "Retrieval commands from clients.", context_->cmd_get.load());
    b->AddCounter("cmd_other_total", "Other commands from clients.", context_->cmd_other.load());
    b->AddGauge("uptime_seconds", "Seconds since the proxy started.",
                absl::ToDoubleSeconds(absl::Now() - context_->started));
    const PoolSnapshot snapshot = pools_();
    const std::vector<Pool*>& pools = snapshot.pools;
    std::vector<std::vector<MemberInfo>> members;
    for (Pool* pool : pools) {
      members.push_back(pool->Members());
      ProxyStatsTotal total;
      size_t up = 0;
      for (const MemberInfo& m : members.back()) {
        total.Add(m.stats);
        if (m.state == MemberState::kUp) ++up;
      }
      b->BeginScope(v1::SCOPE_KIND_POOL, pool->name());
      AddBackendMetrics(total, b);
      b->AddGauge("servers", "Members of the pool.", static_cast<double>(members.back().size()));
      b->AddGauge("servers_up", "Members in placement.", static_cast<double>(up));
    }
    // Servers after pools (StatsSnapshot's order).
    for (size_t p = 0; p < pools.size(); ++p) {
      for (const MemberInfo& m : members[p]) {
        b->BeginScope(v1::SCOPE_KIND_SERVER, m.address, pools[p]->name());
        AddBackendMetrics(m.stats, b);
        b->AddGauge("up", "1 while the server is in placement.",
                    m.state == MemberState::kUp ? 1.0 : 0.0);
        b->AddGauge("placement_share", "Share of the placement the server owns (0..1).",
                    m.placement_share);
      }
    }
  }

 private:
  const ProxyContext* const context_;
  const PoolsFn pools_;
};

// ---- Pools

v1::ServerState ToProto(MemberState s) {
  switch (s) {
    case MemberState::kUp:
      return v1::SERVER_STATE_UP;
    case MemberState::kEjected:
      return v1::SERVER_STATE_EJECTED;
    case MemberState::kDraining:
      return v1::SERVER_STATE_DRAINING;
    case MemberState::kDrained:
    case MemberState::kRemoved:
      return v1::SERVER_STATE_DRAINED;
  }
  return v1::SERVER_STATE_UNSPECIFIED;
}

void FillPool(const Pool& pool, v1::PoolInfo* info) {
  info->set_name(pool.name());
  const std::shared_ptr<const hash::Placement> placement = pool.placement();
  info->set_distribution(std::string(hash::DistributionName(placement->distribution())));
  info->set_hash(std::string(hash::HashAlgorithmName(placement->hash())));
  for (const MemberInfo& m : pool.Members()) {
    v1::PoolServer* s = info->add_servers();
    s->set_address(m.address);
    s->set_weight(m.weight);
    s->set_state(ToProto(m.state));
    if (m.state == MemberState::kUp && m.consecutive_failures > 0) {
      s->set_state(v1::SERVER_STATE_FAILING);
    }
    s->set_state_reason(m.reason);
    s->set_ejected_until_unix_nanos(m.ejected_until_unix_nanos);
    s->set_consecutive_failures(m.consecutive_failures);
    s->set_requests_total(m.stats.requests);
    s->set_failures_total(m.stats.errors);
    s->set_connections(m.stats.connections);
    s->set_placement_share(m.placement_share);
  }
  const PoolOptions& o = pool.options();
  auto setting = [info](absl::string_view name, std::string value) {
    v1::PoolSetting* s = info->add_settings();
    s->set_name(std::string(name));
    s->set_value(std::move(value));
  };
  setting("backend_protocol", o.backend_protocol == BackendProtocol::kMeta ? "meta" : "binary");
  setting("connections_per_server", absl::StrCat(o.backend.connections_per_server));
  setting("connect_timeout_ms", absl::StrCat(absl::ToInt64Milliseconds(o.backend.connect_timeout)));
  setting("read_timeout_ms", absl::StrCat(absl::ToInt64Milliseconds(o.backend.read_timeout)));
  setting("failure_limit", absl::StrCat(o.health.failure_limit));
  setting("probe_initial_ms", absl::StrCat(absl::ToInt64Milliseconds(o.health.probe_initial)));
  setting("probe_max_ms", absl::StrCat(absl::ToInt64Milliseconds(o.health.probe_max)));
}

class ProxyPoolsService final : public v1::Pools::Service {
 public:
  explicit ProxyPoolsService(PoolsFn pools) : pools_(std::move(pools)) {}

  grpc::Status ListPools(grpc::ServerContext*, const v1::ListPoolsRequest*,
                         v1::ListPoolsResponse* response) override {
    const PoolSnapshot snapshot = pools_();
    for (Pool* pool : snapshot.pools) FillPool(*pool, response->add_pools());
    return grpc::Status::OK;
  }
  grpc::Status GetPool(grpc::ServerContext*, const v1::GetPoolRequest* request,
                       v1::GetPoolResponse* response) override {
    return WithPool(request->pool(), [](Pool*) { return absl::OkStatus(); },
                    response->mutable_pool());
  }
  grpc::Status AddServer(grpc::ServerContext*, const v1::AddServerRequest* request,
                         v1::AddServerResponse* response) override {
    return WithPool(
        request->pool(),
        [request](Pool* pool) { return pool->AddServer(request->address(), request->weight()); },
        response->mutable_pool());
  }
  grpc::Status RemoveServer(grpc::ServerContext*, const v1::RemoveServerRequest* request,
                            v1::RemoveServerResponse* response) override {
    return WithPool(
        request->pool(), [request](Pool* pool) { return pool->RemoveServer(request->address()); },
        response->mutable_pool());
  }
  grpc::Status SetServerWeight(grpc::ServerContext*, const v1::SetServerWeightRequest* request,
                               v1::SetServerWeightResponse* response) override {
    return WithPool(
        request->pool(),
        [request](Pool* pool) {
          return pool->SetServerWeight(request->address(), request->weight());
        },
        response->mutable_pool());
  }
  grpc::Status EjectServer(grpc::ServerContext*, const v1::EjectServerRequest* request,
                           v1::EjectServerResponse* response) override {
    if (request->duration_ms() < 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "duration_ms must not be negative");
    }
    return WithPool(
        request->pool(),
        [request](Pool* pool) {
          return pool->EjectServer(request->address(), absl::Milliseconds(request->duration_ms()),
                                   request->reason());
        },
        response->mutable_pool());
  }
  grpc::Status RestoreServer(grpc::ServerContext*, const v1::RestoreServerRequest* request,
                             v1::RestoreServerResponse* response) override {
    return WithPool(
        request->pool(), [request](Pool* pool) { return pool->RestoreServer(request->address()); },
        response->mutable_pool());
  }
  grpc::Status DrainServer(grpc::ServerContext* context, const v1::DrainServerRequest* request,
                           v1::DrainServerResponse* response) override {
    if (request->timeout_ms() < 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timeout_ms must not be negative");
    }
    // Never wait past the caller's own deadline.
    absl::Duration timeout = absl::Milliseconds(request->timeout_ms());
    const absl::Duration left = absl::FromChrono(context->deadline()) - absl::Now();
    if (left < timeout) timeout = std::max(absl::ZeroDuration(), left - absl::Milliseconds(50));
    return WithPool(
        request->pool(),
        [&](Pool* pool) -> absl::Status {
          auto in_flight = pool->DrainServer(request->address(), timeout);
          if (!in_flight.ok()) return in_flight.status();
          response->set_in_flight(*in_flight);
          return absl::OkStatus();
        },
        response->mutable_pool());
  }

 private:
  // Finds the pool ("" = the only one), applies `change`, reports the pool.
  template <typename Change>
  grpc::Status WithPool(const std::string& name, Change change, v1::PoolInfo* info) {
    const PoolSnapshot snapshot = pools_();
    const std::vector<Pool*>& pools = snapshot.pools;
    Pool* pool = nullptr;
    if (name.empty()) {
      if (pools.size() != 1) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("name the pool: memkit-proxy has ", pools.size()));
      }
      pool = pools[0];
    } else {
      for (Pool* p : pools) {
        if (p->name() == name) pool = p;
      }
      if (pool == nullptr) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no pool \"", name, "\""));
      }
    }
    if (absl::Status s = change(pool); !s.ok()) return ToGrpcStatus(s);
    FillPool(*pool, info);
    return grpc::Status::OK;
  }

  const PoolsFn pools_;
};

// ---- Config

class ProxyConfigService final : public v1::Config::Service {
 public:
  ProxyConfigService(PoolsFn pools, std::vector<std::string> command_line, ConfigChangeFn change)
      : pools_(std::move(pools)),
        command_line_(std::move(command_line)),
        change_(std::move(change)) {}

  grpc::Status GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*,
                         v1::GetConfigResponse* response) override {
    response->set_component(kComponent);
    auto setting = [response](absl::string_view name, std::string value) {
      v1::ConfigSetting* s = response->add_settings();
      s->set_name(std::string(name));
      s->set_value(std::move(value));
    };
    const PoolSnapshot snapshot = pools_();
    if (snapshot.table != nullptr) {
      const ProxyOptions& options = snapshot.table->options();
      setting("listen", options.listen);
      setting("threads", absl::StrCat(options.threads));
      setting("version", options.version);
      if (options.route.ByteSizeLong() != 0) {
        std::string route;
        google::protobuf::util::JsonPrintOptions print;
        if (google::protobuf::util::MessageToJsonString(options.route, &route, print).ok()) {
          setting("route", route);
        }
      }
    }
    for (Pool* pool : snapshot.pools) {
      v1::PoolInfo info;
      FillPool(*pool, &info);
      std::string servers;
      for (const v1::PoolServer& s : info.servers()) {
        absl::StrAppend(&servers, servers.empty() ? "" : ",", s.address(),
                        s.weight() != 1 ? absl::StrCat(":", s.weight()) : "");
      }
      const std::string prefix = absl::StrCat("pool:", pool->name(), ":");
      setting(prefix + "servers", servers);
      setting(prefix + "distribution", info.distribution());
      setting(prefix + "hash", info.hash());
      for (const v1::PoolSetting& s : info.settings()) setting(prefix + s.name(), s.value());
    }
    for (const std::string& arg : command_line_) response->add_command_line(arg);
    return grpc::Status::OK;
  }
  grpc::Status ValidateConfig(grpc::ServerContext*, const v1::ValidateConfigRequest* request,
                              v1::ValidateConfigResponse* response) override {
    if (!change_) return UnimplementedStatus(kNoConfigChange);
    auto changes = change_(request->config_json(), /*apply=*/false);
    if (!changes.ok()) {
      if (!IsConfigError(changes.status())) return ToGrpcStatus(changes.status());
      AddConfigError(changes.status(), response->add_errors());
      return grpc::Status::OK;
    }
    response->set_valid(true);
    for (std::string& line : *changes) response->add_changes(std::move(line));
    return grpc::Status::OK;
  }
  grpc::Status ReloadConfig(grpc::ServerContext*, const v1::ReloadConfigRequest* request,
                            v1::ReloadConfigResponse* response) override {
    if (!change_) return UnimplementedStatus(kNoConfigChange);
    auto changes = change_(request->config_json(), /*apply=*/true);
    if (!changes.ok()) {
      // admin.proto: a refused config is applied=false with its errors,
      // not INVALID_ARGUMENT, so that the errors arrive in full.
      if (!IsConfigError(changes.status())) return ToGrpcStatus(changes.status());
      AddConfigError(changes.status(), response->add_errors());
      return grpc::Status::OK;
    }
    response->set_applied(true);
    for (std::string& line : *changes) response->add_changes(std::move(line));
    return grpc::Status::OK;
  }

 private:
  static constexpr char kNoConfigChange[] =
      "this memkit-proxy was started without config reloading through the admin API";

  static bool IsConfigError(const absl::Status& s) {
    return s.code() == absl::StatusCode::kInvalidArgument;
  }
  // "pools[1].backend_protocol: want ..." -> path "pools[1].backend_protocol"
  // and the rest; a message without a field path goes whole.
  static void AddConfigError(const absl::Status& s, v1::ConfigError* error) {
    const absl::string_view message = s.message();
    const size_t colon = message.find(": ");
    const absl::string_view head = message.substr(0, colon);
    if (colon != absl::string_view::npos && !head.empty() &&
        head.find_first_of(" \"/") == absl::string_view::npos) {
      error->set_path(std::string(head));
      error->set_message(std::string(message.substr(colon + 2)));
    } else {
      error->set_message(std::string(message));
    }
  }

 private:
  const PoolsFn pools_;
  const std::vector<std::string> command_line_;
  const ConfigChangeFn change_;
};

// ---- Cache and Testing: memkit-server's

constexpr char kNoCache[] =
    "memkit-proxy holds no items and does not list client connections through the admin API; "
    "send flush_all through the proxy to flush every server up";
constexpr char kNoTesting[] =
    "the Testing service controls memkit-server's fake clock and faults; memkit-proxy has none";

class NoCacheService final : public v1::Cache::Service {
 public:
  grpc::Status FlushAll(grpc::ServerContext*, const v1::FlushAllRequest*,
                        v1::FlushAllResponse*) override {
    return UnimplementedStatus(kNoCache);
  }
  grpc::Status ListConnections(grpc::ServerContext*, const v1::ListConnectionsRequest*,
                               v1::ListConnectionsResponse*) override {
    return UnimplementedStatus(kNoCache);
  }
  grpc::Status CloseConnections(grpc::ServerContext*, const v1::CloseConnectionsRequest*,
                                v1::CloseConnectionsResponse*) override {
    return UnimplementedStatus(kNoCache);
  }
  grpc::Status Watch(grpc::ServerContext*, const v1::WatchRequest*,
                     grpc::ServerWriter<v1::WatchEvent>*) override {
    return UnimplementedStatus(kNoCache);
  }
};

class NoTestingService final : public v1::Testing::Service {
 public:
  grpc::Status AdvanceClock(grpc::ServerContext*, const v1::AdvanceClockRequest*,
                            v1::AdvanceClockResponse*) override {
    return UnimplementedStatus(kNoTesting);
  }
  grpc::Status SetClock(grpc::ServerContext*, const v1::SetClockRequest*,
                        v1::SetClockResponse*) override {
    return UnimplementedStatus(kNoTesting);
  }
  grpc::Status SetFault(grpc::ServerContext*, const v1::SetFaultRequest*,
                        v1::SetFaultResponse*) override {
    return UnimplementedStatus(kNoTesting);
  }
  grpc::Status ClearFaults(grpc::ServerContext*, const v1::ClearFaultsRequest*,
                           v1::ClearFaultsResponse*) override {
    return UnimplementedStatus(kNoTesting);
  }
  grpc::Status CloseAllConnections(grpc::ServerContext*, const v1::CloseAllConnectionsRequest*,
                                   v1::CloseAllConnectionsResponse*) override {
    return UnimplementedStatus(kNoTesting);
  }
};

}  // namespace

struct ProxyAdmin::Services {
  Services(const ProxyContext* context, const ProxyAdminOptions& options)
      : provider(context, [context] { return CurrentPools(context); }),
        stats(&provider),
        pools([context] { return CurrentPools(context); }),
        config([context] { return CurrentPools(context); }, options.command_line,
               options.config_change) {}

  ProxyStatsProvider provider;
  admin::StatsService stats;
  ProxyPoolsService pools;
  ProxyConfigService config;
  NoCacheService cache;
  NoTestingService testing;
};

ProxyAdmin::ProxyAdmin() = default;

absl::StatusOr<std::unique_ptr<ProxyAdmin>> ProxyAdmin::Create(const ProxyContext* context,
                                                               const ProxyAdminOptions& options) {
  std::unique_ptr<ProxyAdmin> admin(new ProxyAdmin());
  admin->services_ = std::make_unique<Services>(context, options);
  Services* s = admin->services_.get();
  admin::AdminServerOptions admin_options = options.admin;
  admin_options.services = {&s->stats, &s->pools, &s->config, &s->cache, &s->testing};
  absl::Status started = admin->endpoints_.Start(admin_options, options.metrics_listen, &s->provider);
  if (!started.ok()) return started;
  return admin;
}

ProxyAdmin::~ProxyAdmin() { Shutdown(); }

void ProxyAdmin::Shutdown() {
  if (services_ != nullptr) services_->stats.Stop();
  endpoints_.Shutdown();
}

int ProxyAdmin::admin_port() const { return endpoints_.admin_port(); }
std::string ProxyAdmin::admin_address() const { return endpoints_.admin_address(); }
int ProxyAdmin::metrics_port() const { return endpoints_.metrics_port(); }
std::string ProxyAdmin::metrics_address() const { return endpoints_.metrics_address(); }

}  // namespace proxy
}  // namespace memkit
