// memkit::server::ServerAdmin: memkit-server's side of the admin API
// (core/admin/admin.proto). It serves, for one Server:
//   Stats    GetStats / WatchStats: request latency, connections and
//            memcached's own stats (numeric ones as counters and gauges);
//   Config   GetConfig (the server's "stats settings" and command line);
//            ValidateConfig / ReloadConfig are UNIMPLEMENTED (flags only);
//   Cache    FlushAll (with delay), ListConnections, CloseConnections (by id
//            or all), Watch (every event type, from the server's log:
//            Server::SubscribeLog);
//   Testing  the FakeServer's controls, only with enable_test_controls
//            (otherwise FAILED_PRECONDITION naming --enable-test-controls);
//   Pools    UNIMPLEMENTED: a server has no pools;
// and, with metrics_listen, the same numbers as Prometheus text on /metrics.
//
//   ServerAdminOptions admin_options;
//   admin_options.admin.listen = "127.0.0.1:0";
//   auto admin = ServerAdmin::Create(server.get(), admin_options);
//   ... (*admin)->admin_port() ...
//   (*admin)->Shutdown();   // before server->Shutdown()
//
// Thread-safety: Create(), Shutdown() and the destructor from the owning
// thread; the services run on gRPC's threads and use only Server's
// thread-safe API (its blocking controls are never called from a server
// thread).

#ifndef MEMKIT_SERVER_ADMIN_SERVICE_H_
#define MEMKIT_SERVER_ADMIN_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/admin/admin_endpoints.h"
#include "core/admin/admin_server.h"
#include "server/server.h"

namespace memkit {
namespace stats {
class Histogram;
}  // namespace stats
namespace admin {
class MetricsHttpServer;
class StatsService;
}  // namespace admin

namespace server {

struct ServerAdminOptions {
  // The gRPC admin server; admin.listen empty: none (metrics only).
  // admin.services is filled by ServerAdmin.
  admin::AdminServerOptions admin;
  // HOST:PORT of the Prometheus /metrics endpoint; empty: none.
  std::string metrics_listen;
  // Serve the Testing service (clock, faults, connections). The clock moves
  // items only if the server has ServerOptions::adjustable_clock.
  bool enable_test_controls = false;
  // What GetConfig reports as the command line (memkit-server's argv).
  std::vector<std::string> command_line;
  // The histogram ServerOptions::request_latency points at (reported as
  // request_latency); null: none reported.
  const stats::Histogram* request_latency = nullptr;
};

class ServerAdmin {
 public:
  // `server` is not owned and must outlive the ServerAdmin. Fails as
  // AdminServer::Create or MetricsHttpServer::Create do, or with
  // InvalidArgument if neither admin.listen nor metrics_listen is set.
  static absl::StatusOr<std::unique_ptr<ServerAdmin>> Create(Server* server,
                                                             const ServerAdminOptions& options);
  ~ServerAdmin();

  ServerAdmin(const ServerAdmin&) = delete;
  ServerAdmin& operator=(const ServerAdmin&) = delete;

  // The gRPC admin port and dial address (0 / "" without one).
  int admin_port() const;
  std::string admin_address() const;
  // The /metrics port and address (0 / "" without one).
  int metrics_port() const;
  std::string metrics_address() const;

  // Ends watches, stops both listeners. Idempotent.
  void Shutdown();

 private:
  struct Services;
  ServerAdmin();

  std::unique_ptr<Services> services_;
  admin::AdminEndpoints endpoints_;
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_ADMIN_SERVICE_H_
