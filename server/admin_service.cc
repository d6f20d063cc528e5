#include "server/admin_service.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/grpc_status.h"
#include "core/admin/stats_collector.h"
#include "core/admin/stats_service.h"
#include "core/stats/histogram.h"

namespace memkit {
namespace server {
namespace {

namespace v1 = ::memkit::admin::v1;

constexpr char kComponent[] = "memkit-server";

using ::memkit::admin::ToGrpcStatus;
using ::memkit::admin::UnimplementedStatus;

// memcached's numeric `stats` keys reported as typed metrics (the others,
// and these too, stay readable as memcached_stats).
struct StatMetric {
  const char* stat;
  const char* help;
};
constexpr StatMetric kCounterStats[] = {
    {"total_connections", "Client connections accepted."},
    {"rejected_connections", "Client connections refused at the connection limit."},
    {"cmd_get", "Keys requested by retrieval commands."},
    {"cmd_set", "Storage commands."},
    {"cmd_flush", "flush_all commands."},
    {"cmd_touch", "touch commands."},
    {"get_hits", "Keys found."},
    {"get_misses", "Keys not found."},
    {"get_expired", "Keys found expired."},
    {"get_flushed", "Keys found invalidated by flush_all."},
    {"delete_hits", "Deletes of existing keys."},
    {"delete_misses", "Deletes of missing keys."},
    {"incr_hits", "incr of existing keys."},
    {"incr_misses", "incr of missing keys."},
    {"decr_hits", "decr of existing keys."},
    {"decr_misses", "decr of missing keys."},
    {"cas_hits", "cas that stored."},
    {"cas_misses", "cas of missing keys."},
    {"cas_badval", "cas refused for a changed value."},
    {"touch_hits", "touch of existing keys."},
    {"touch_misses", "touch of missing keys."},
    {"store_too_large", "Stores refused as too large."},
    {"store_no_memory", "Stores refused for want of memory."},
    {"bytes_read", "Bytes read from clients."},
    {"bytes_written", "Bytes written to clients."},
    {"total_items", "Items stored."},
    {"expired_unfetched", "Items expired before being fetched."},
    {"evicted_unfetched", "Items evicted before being fetched."},
    {"evictions", "Items evicted to make room."},
    {"reclaimed", "Expired items whose memory was reused."},
    {"conn_yields", "Times a connection yielded at the -R limit."},
};
constexpr StatMetric kGaugeStats[] = {
    {"curr_connections", "Client connections open (memcached counts listeners too)."},
    {"curr_items", "Items stored now."},
    {"bytes", "Bytes of items stored now."},
    {"limit_maxbytes", "Item memory limit in bytes."},
    {"threads", "Worker threads."},
    {"uptime", "Seconds since the server started."},
};

// ---- Stats

class ServerStatsProvider final : public admin::StatsProvider {
 public:
  ServerStatsProvider(Server* server, const stats::Histogram* latency)
      : server_(server), latency_(latency) {}

  std::string component() const override { return kComponent; }

  void Collect(admin::StatsBuilder* b) override {
    b->BeginScope(v1::SCOPE_KIND_COMPONENT, kComponent);
    if (latency_ != nullptr) {
      b->AddHistogram("request_latency",
                      "Time from parsing a command to queuing its reply (all protocols).",
                      latency_->Snapshot(), admin::kNanosToMicros);
    }
    b->AddGauge("client_connections", "Client connections open now.",
                static_cast<double>(server_->connection_count()));

    b->BeginScope(v1::SCOPE_KIND_SERVER, server_->address().ToString());
    auto lines = server_->StatsLines("");
    if (!lines.ok()) return;
    std::map<std::string, std::string> by_name;
    for (const auto& [name, value] : *lines) {
      b->AddMemcachedStat(name, value);
      by_name[name] = value;
    }
    for (const StatMetric& m : kCounterStats) {
      uint64_t v = 0;
      auto it = by_name.find(m.stat);
      if (it != by_name.end() && absl::SimpleAtoi(it->second, &v)) {
        b->AddCounter(absl::StrCat(m.stat, "_total"), m.help, v);
      }
    }
    for (const StatMetric& m : kGaugeStats) {
      double v = 0;
      auto it = by_name.find(m.stat);
      if (it != by_name.end() && absl::SimpleAtod(it->second, &v)) {
        b->AddGauge(std::string(m.stat) == "uptime" ? "uptime_seconds" : m.stat, m.help, v);
      }
    }
  }

 private:
  Server* const server_;
  const stats::Histogram* const latency_;
};

// ---- Pools: none on a server

constexpr char kNoPools[] =
    "memkit-server has no pools; the Pools service is served by memkit-proxy and by programs "
    "that embed client pools";

class NoPoolsService final : public v1::Pools::Service {
 public:
  grpc::Status ListPools(grpc::ServerContext*, const v1::ListPoolsRequest*,
                         v1::ListPoolsResponse*) override {
    return UnimplementedStatus(kNoPools);
  }
  grpc::Status GetPool(grpc::ServerContext*, const v1::GetPoolRequest*,
                       v1::GetPoolResponse*) override {
    return UnimplementedStatus(kNoPools);
  }
  grpc::Status AddServer(grpc::ServerContext*, const v1::AddServerRequest*,
                         v1::AddServerResponse*) override {
    return UnimplementedStatus(kNoPools);
  }
  grpc::Status RemoveServer(grpc::ServerContext*, const v1::RemoveServerRequest*,
                            v1::RemoveServerResponse*) override {
    return UnimplementedStatus(kNoPools);
  }
  grpc::Status SetServerWeight(grpc::ServerContext*, const v1::SetServerWeightRequest*,
                               v1::SetServerWeightResponse*) override {
    return UnimplementedStatus(kNoPools);
  }
  grpc::Status EjectServer(grpc::ServerContext*, const v1::EjectServerRequest*,
                           v1::EjectServerResponse*) override {
    return UnimplementedStatus(kNoPools);
  }
  grpc::Status RestoreServer(grpc::ServerContext*, const v1::RestoreServerRequest*,
                             v1::RestoreServerResponse*) override {
    return UnimplementedStatus(kNoPools);
  }
  grpc::Status DrainServer(grpc::ServerContext*, const v1::DrainServerRequest*,
                           v1::DrainServerResponse*) override {
    return UnimplementedStatus(kNoPools);
  }
};

// ---- Config

class ServerConfigService final : public v1::Config::Service {
 public:
  ServerConfigService(Server* server, std::vector<std::string> command_line)
      : server_(server), command_line_(std::move(command_line)) {}

  grpc::Status GetConfig(grpc::ServerContext*, const v1::GetConfigRequest*,
                         v1::GetConfigResponse* response) override {
    auto lines = server_->StatsLines("settings");
    if (!lines.ok()) return ToGrpcStatus(lines.status());
    response->set_component(kComponent);
    for (const auto& [name, value] : *lines) {
      v1::ConfigSetting* s = response->add_settings();
      s->set_name(name);
      s->set_value(value);
    }
    for (const std::string& arg : command_line_) response->add_command_line(arg);
    return grpc::Status::OK;
  }
  grpc::Status ValidateConfig(grpc::ServerContext*, const v1::ValidateConfigRequest*,
                              v1::ValidateConfigResponse*) override {
    return UnimplementedStatus(
        "memkit-server is configured by its command-line flags only; there is no config file "
        "to validate (GetConfig shows the settings in effect)");
  }
  grpc::Status ReloadConfig(grpc::ServerContext*, const v1::ReloadConfigRequest*,
                            v1::ReloadConfigResponse*) override {
    return UnimplementedStatus(
        "memkit-server is configured by its command-line flags only; restart it with new flags "
        "to change them");
  }

 private:
  Server* const server_;
  const std::vector<std::string> command_line_;
};

// ---- Cache

// Client connections from "stats conns": fd -> (what the stat says).
struct ConnRow {
  std::string addr;
  std::string listen_addr;
  std::string state;
  int64_t idle_seconds = 0;
};

std::map<uint64_t, ConnRow> ClientConnections(Server* server) {
  std::map<uint64_t, ConnRow> rows;
  auto lines = server->StatsLines("conns");
  if (!lines.ok()) return rows;
  for (const auto& [name, value] : *lines) {
    const size_t colon = name.find(':');
    uint64_t fd = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(name.substr(0, colon), &fd)) continue;
    const std::string field = name.substr(colon + 1);
    ConnRow& row = rows[fd];
    if (field == "addr") {
      row.addr = value;
    } else if (field == "listen_addr") {
      row.listen_addr = value;
    } else if (field == "state") {
      row.state = value;
    } else if (field == "secs_since_last_cmd") {
      if (!absl::SimpleAtoi(value, &row.idle_seconds)) row.idle_seconds = 0;
    }
  }
  // Listening sockets have no listen_addr; they are not client connections.
  for (auto it = rows.begin(); it != rows.end();) {
    it = it->second.state == "conn_listening" ? rows.erase(it) : std::next(it);
  }
  return rows;
}

// "tcp:127.0.0.1:5000" -> "127.0.0.1:5000"; "unix:/path" -> "/path".
std::string WithoutTransport(const std::string& stats_addr) {
  absl::string_view a = stats_addr;
  if (!absl::ConsumePrefix(&a, "tcp:")) absl::ConsumePrefix(&a, "unix:");
  return std::string(a);
}

class ServerCacheService final : public v1::Cache::Service {
 public:
  explicit ServerCacheService(Server* server) : server_(server) {}

  void Stop() { stopped_.store(true, std::memory_order_release); }

  grpc::Status FlushAll(grpc::ServerContext*, const v1::FlushAllRequest* request,
                        v1::FlushAllResponse* response) override {
    if (!request->pool().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "memkit-server has no pools");
    }
    if (request->delay_seconds() < 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "delay_seconds must be >= 0");
    }
    if (!server_->options().flush_enabled) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "flush_all is disabled on this server (-F)");
    }
    server_->cache()->FlushAll(request->delay_seconds());
    response->set_effective_unix_nanos(
        absl::ToUnixNanos(server_->clock()->Now() + absl::Seconds(request->delay_seconds())));
    return grpc::Status::OK;
  }

  grpc::Status ListConnections(grpc::ServerContext*, const v1::ListConnectionsRequest*,
                               v1::ListConnectionsResponse* response) override {
    std::map<int64_t, Server::ConnectionActivity> activity;
    for (Server::ConnectionActivity& a : server_->ConnectionActivities()) {
      activity[a.id] = std::move(a);
    }
    for (const auto& [fd, row] : ClientConnections(server_)) {
      v1::ConnectionInfo* c = response->add_connections();
      c->set_id(fd);
      c->set_peer_address(WithoutTransport(row.addr));
      c->set_local_address(WithoutTransport(row.listen_addr));
      c->set_state(row.state);
      c->set_idle_ms(row.idle_seconds * 1000);
      auto it = activity.find(static_cast<int64_t>(fd));
      if (it != activity.end()) {
        c->set_protocol(it->second.protocol);
        c->set_requests(it->second.requests);
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status CloseConnections(grpc::ServerContext*, const v1::CloseConnectionsRequest* request,
                                v1::CloseConnectionsResponse* response) override {
    if (!request->all()) {
      // Each on its connection's own loop thread, in one pass; ids that are
      // gone (closed meanwhile, or never there) are not counted.
      constexpr int kMaxIds = 1 << 16;
      if (request->ids_size() > kMaxIds) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("at most ", kMaxIds, " ids per call"));
      }
      const std::vector<int64_t> ids(request->ids().begin(), request->ids().end());
      response->set_closed(server_->CloseConnections(ids, request->reset()));
      return grpc::Status::OK;
    }
    const int64_t before = server_->connection_count();
    server_->CloseAllConnections(request->reset());
    response->set_closed(before);
    return grpc::Status::OK;
  }

  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::WatchEvent>* writer) override;

 private:
  Server* const server_;
  std::atomic<bool> stopped_{false};
};

namespace {

// The WatchEvent of one log entry: memcached's line as `text`, its fields
// structured. `command` is the store command for mutations, "get" for the
// lookups memcached logs as item_get, "evict", or "new"/"close"; `status`
// is memcached's (found -> "hit", not_found -> "miss" for lookups).
v1::WatchEvent ToWatchEvent(const LogEntry& entry) {
  const LogEvent& e = *entry.event;
  v1::WatchEvent out;
  out.set_time_unix_nanos(e.ts_sec * 1000000000 + int64_t{e.ts_usec} * 1000);
  out.set_dropped_before(entry.skipped_before);
  out.set_text(e.line);
  out.set_key(e.key);
  out.set_size(static_cast<uint64_t>(e.size));
  if (e.fd >= 0) out.set_connection_id(static_cast<uint64_t>(e.fd));
  switch (e.kind) {
    case kLogFetchers:
      out.set_type(v1::WATCH_EVENT_TYPE_FETCHERS);
      out.set_command("get");
      out.set_status(e.status == "found"       ? "hit"
                     : e.status == "not_found" ? "miss"
                                               : e.status);
      break;
    case kLogMutations:
      out.set_type(v1::WATCH_EVENT_TYPE_MUTATIONS);
      out.set_command(e.command);
      out.set_status(e.status);
      break;
    case kLogEvictions:
      out.set_type(v1::WATCH_EVENT_TYPE_EVICTIONS);
      out.set_command("evict");
      break;
    default:
      out.set_type(v1::WATCH_EVENT_TYPE_CONNEVENTS);
      out.set_command(e.type == "conn_new" ? "new" : "close");
      out.set_status(e.status);
      break;
  }
  return out;
}

}  // namespace

grpc::Status ServerCacheService::Watch(grpc::ServerContext* context,
                                       const v1::WatchRequest* request,
                                       grpc::ServerWriter<v1::WatchEvent>* writer) {
  uint32_t kinds = 0;
  for (int t : request->types()) {
    switch (t) {
      case v1::WATCH_EVENT_TYPE_UNSPECIFIED:
        kinds |= kLogFetchers | kLogMutations;
        break;
      case v1::WATCH_EVENT_TYPE_FETCHERS:
        kinds |= kLogFetchers;
        break;
      case v1::WATCH_EVENT_TYPE_MUTATIONS:
        kinds |= kLogMutations;
        break;
      case v1::WATCH_EVENT_TYPE_EVICTIONS:
        kinds |= kLogEvictions;
        break;
      case v1::WATCH_EVENT_TYPE_CONNEVENTS:
        kinds |= kLogConnEvents;
        break;
      default:
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("unknown watch event type ", t));
    }
  }
  if (kinds == 0) kinds = kLogFetchers | kLogMutations;
  auto subscription = server_->SubscribeLog(kinds);
  if (!subscription.ok()) return ToGrpcStatus(subscription.status());
  // The log hands events over as they happen; waking every 100 ms notices
  // a cancelled call or a shutting-down admin server.
  constexpr absl::Duration kWake = absl::Milliseconds(100);
  uint64_t sent = 0;
  while (!context->IsCancelled() && !stopped_.load(std::memory_order_acquire)) {
    for (const LogEntry& entry : (*subscription)->Wait(kWake)) {
      if (!writer->Write(ToWatchEvent(entry))) return grpc::Status::OK;
      ++sent;
      if (request->max_events() != 0 && sent >= request->max_events()) return grpc::Status::OK;
    }
  }
  return context->IsCancelled() ? grpc::Status::CANCELLED : grpc::Status::OK;
}

// ---- Testing

class ServerTestingService final : public v1::Testing::Service {
 public:
  ServerTestingService(Server* server, bool enabled) : server_(server), enabled_(enabled) {}

  // The server's clock may be moved anywhere from 1970 to 2100: memcached's
  // times are seconds in 32 bits, and the clock's offset must not overflow.
  static grpc::Status CheckClockTarget(absl::Time target, absl::string_view field) {
    if (target < absl::UnixEpoch() || target > absl::FromCivil(absl::CivilSecond(2100, 1, 1),
                                                                 absl::UTCTimeZone())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat(field, " would move the clock outside 1970..2100"));
    }
    return grpc::Status::OK;
  }

  grpc::Status AdvanceClock(grpc::ServerContext*, const v1::AdvanceClockRequest* request,
                            v1::AdvanceClockResponse* response) override {
    if (grpc::Status s = CheckClock(); !s.ok()) return s;
    // absl's arithmetic saturates, so a huge delta lands outside the range.
    const absl::Time target = server_->clock()->Now() + absl::Milliseconds(request->delta_ms());
    if (grpc::Status s = CheckClockTarget(target, "delta_ms"); !s.ok()) return s;
    server_->clock()->Advance(absl::Milliseconds(request->delta_ms()));
    response->set_now_unix_nanos(absl::ToUnixNanos(server_->clock()->Now()));
    return grpc::Status::OK;
  }

  grpc::Status SetClock(grpc::ServerContext*, const v1::SetClockRequest* request,
                        v1::SetClockResponse* response) override {
    if (grpc::Status s = CheckClock(); !s.ok()) return s;
    ServerClock* clock = server_->clock();
    if (request->time_unix_nanos() != 0) {
      const absl::Time target = absl::FromUnixNanos(request->time_unix_nanos());
      if (grpc::Status s = CheckClockTarget(target, "time_unix_nanos"); !s.ok()) return s;
      clock->Advance(target - clock->Now());
    }
    if (request->mode() == v1::CLOCK_MODE_FROZEN) clock->Pause();
    if (request->mode() == v1::CLOCK_MODE_RUNNING) clock->Resume();
    response->set_now_unix_nanos(absl::ToUnixNanos(clock->Now()));
    return grpc::Status::OK;
  }

  grpc::Status SetFault(grpc::ServerContext*, const v1::SetFaultRequest* request,
                        v1::SetFaultResponse* response) override {
    if (grpc::Status s = CheckEnabled(); !s.ok()) return s;
    ServerFaults* faults = server_->faults();
    switch (request->fault_case()) {
      case v1::SetFaultRequest::kOutage: {
        const v1::OutageKind kind = request->outage().kind();
        if (kind == v1::OUTAGE_KIND_UNSPECIFIED) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "outage.kind is required");
        }
        absl::Status s = server_->SetOutage(
            kind == v1::OUTAGE_KIND_REFUSE ? Server::Outage::kRefuse : Server::Outage::kReset);
        if (!s.ok()) return ToGrpcStatus(s);
        outage_.store(kind);
        break;
      }
      case v1::SetFaultRequest::kLatency:
        if (request->latency().latency_us() < 0) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "latency_us must be >= 0");
        }
        faults->SetLatency(absl::Microseconds(request->latency().latency_us()));
        break;
      case v1::SetFaultRequest::kFailCommands: {
        const std::string& message = request->fail_commands().message();
        faults->FailNextCommands(request->fail_commands().count(),
                                 message.empty() ? "injected failure" : message);
        break;
      }
      case v1::SetFaultRequest::kDropReplies:
        faults->DropNextReplies(request->drop_replies().count());
        break;
      case v1::SetFaultRequest::FAULT_NOT_SET:
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "SetFault needs one fault");
    }
    FillState(response->mutable_state());
    return grpc::Status::OK;
  }

  grpc::Status ClearFaults(grpc::ServerContext*, const v1::ClearFaultsRequest*,
                           v1::ClearFaultsResponse* response) override {
    if (grpc::Status s = CheckEnabled(); !s.ok()) return s;
    if (outage_.load() != v1::OUTAGE_KIND_UNSPECIFIED) {
      if (absl::Status s = server_->SetOutage(Server::Outage::kNone); !s.ok()) return ToGrpcStatus(s);
      outage_.store(v1::OUTAGE_KIND_UNSPECIFIED);
    }
    ServerFaults* faults = server_->faults();
    faults->SetLatency(absl::ZeroDuration());
    faults->FailNextCommands(0, "");
    faults->DropNextReplies(0);
    FillState(response->mutable_state());
    return grpc::Status::OK;
  }

  grpc::Status CloseAllConnections(grpc::ServerContext*,
                                   const v1::CloseAllConnectionsRequest* request,
                                   v1::CloseAllConnectionsResponse* response) override {
    if (grpc::Status s = CheckEnabled(); !s.ok()) return s;
    response->set_closed(server_->connection_count());
    server_->CloseAllConnections(request->reset());
    return grpc::Status::OK;
  }

 private:
  grpc::Status CheckEnabled() const {
    if (enabled_) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "test controls are off: start memkit-server with --enable-test-controls "
                        "(ServerAdminOptions::enable_test_controls in-process) to use the Testing "
                        "service");
  }
  grpc::Status CheckClock() const {
    if (grpc::Status s = CheckEnabled(); !s.ok()) return s;
    const ServerOptions& o = server_->options();
    if (o.adjustable_clock || o.enable_debugtime) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this server's item clock is not adjustable (ServerOptions::"
                        "adjustable_clock; --enable-test-controls sets it)");
  }
  void FillState(v1::FaultState* state) const {
    const ServerFaults* faults = server_->faults();
    state->set_outage(static_cast<v1::OutageKind>(outage_.load()));
    state->set_latency_us(faults->latency_ns() / 1000);
    state->set_failures_pending(faults->failures_pending());
    state->set_drops_pending(faults->drops_pending());
  }

  Server* const server_;
  const bool enabled_;
  std::atomic<int> outage_{v1::OUTAGE_KIND_UNSPECIFIED};
};

}  // namespace

struct ServerAdmin::Services {
  Services(Server* server, const ServerAdminOptions& options)
      : provider(server, options.request_latency),
        stats(&provider),
        config(server, options.command_line),
        cache(server),
        testing(server, options.enable_test_controls) {}

  ServerStatsProvider provider;
  admin::StatsService stats;
  NoPoolsService pools;
  ServerConfigService config;
  ServerCacheService cache;
  ServerTestingService testing;
};

ServerAdmin::ServerAdmin() = default;

absl::StatusOr<std::unique_ptr<ServerAdmin>> ServerAdmin::Create(
    Server* server, const ServerAdminOptions& options) {
  std::unique_ptr<ServerAdmin> admin(new ServerAdmin());
  admin->services_ = std::make_unique<Services>(server, options);
  Services* s = admin->services_.get();
  admin::AdminServerOptions admin_options = options.admin;
  admin_options.services = {&s->stats, &s->pools, &s->config, &s->cache, &s->testing};
  absl::Status started = admin->endpoints_.Start(admin_options, options.metrics_listen, &s->provider);
  if (!started.ok()) return started;
  return admin;
}

ServerAdmin::~ServerAdmin() { Shutdown(); }

void ServerAdmin::Shutdown() {
  if (services_ != nullptr) {
    services_->stats.Stop();
    services_->cache.Stop();
  }
  endpoints_.Shutdown();
}

int ServerAdmin::admin_port() const { return endpoints_.admin_port(); }
std::string ServerAdmin::admin_address() const { return endpoints_.admin_address(); }
int ServerAdmin::metrics_port() const { return endpoints_.metrics_port(); }
std::string ServerAdmin::metrics_address() const { return endpoints_.metrics_address(); }

}  // namespace server
}  // namespace memkit
