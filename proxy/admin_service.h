// memkit::proxy::ProxyAdmin: memkit-proxy's side of the admin API
// (core/admin/admin.proto), served on an admin::AdminServer (health,
// reflection, bearer token, TLS) and, optionally, as Prometheus text on
// /metrics:
//   Stats    GetStats / WatchStats: the proxy's client counters, then per
//            pool and per pool member: requests, hits, misses, errors,
//            timeouts, ejections, in-flight and a latency histogram;
//   Pools    ListPools, GetPool and the runtime changes of Pool: add,
//            remove, reweight, eject (with a duration), restore and drain a
//            member; each rebuilds the placement so that only that
//            member's keys move;
//   Config   GetConfig (the running options, pools' settings and the
//            command line); ValidateConfig / ReloadConfig through
//            ProxyAdminOptions::config_change (Proxy::Reload);
//   Cache, Testing  UNIMPLEMENTED with a reason (memkit-server's).
//
//   ProxyAdminOptions options;
//   options.admin.listen = "127.0.0.1:0";
//   options.config_change = ...;   // optional
//   auto admin = ProxyAdmin::Create(&proxy->context(), options);
//   ... (*admin)->admin_port() ...
//   (*admin)->Shutdown();   // before the proxy stops
//
// The Stats and Pools services read the proxy's CURRENT route table
// (ProxyContext::current()) on every call, holding it for the call, so they
// follow reloads and a pool retired meanwhile stays alive until they finish.
//
// Thread-safety: Create(), Shutdown() and the destructor from the owning
// thread; the services run on gRPC's (and /metrics') threads and use only
// Pool's and ProxyContext's thread-safe parts.

#ifndef MEMKIT_PROXY_ADMIN_SERVICE_H_
#define MEMKIT_PROXY_ADMIN_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/admin/admin_endpoints.h"
#include "core/admin/admin_server.h"
#include "proxy/pool.h"
#include "proxy/session.h"

namespace memkit {
namespace admin {
class MetricsHttpServer;
}  // namespace admin

namespace proxy {

using ConfigChangeFn =
    std::function<absl::StatusOr<std::vector<std::string>>(const std::string& json, bool apply)>;

struct ProxyAdminOptions {
  // The gRPC admin server; admin.listen empty: none (metrics only).
  // admin.services is filled by ProxyAdmin.
  admin::AdminServerOptions admin;
  // HOST:PORT of the Prometheus /metrics endpoint; empty: none.
  std::string metrics_listen;
  // ValidateConfig (apply = false) and ReloadConfig (apply = true) of a
  // config given as JSON ("": the one the proxy was started from, as it is
  // now): the lines of what changes (or would), or InvalidArgument naming
  // the field (answered as valid/applied = false with that error), or
  // another error (answered as that gRPC status). Unset: both calls
  // UNIMPLEMENTED. memkit-proxy's main() applies its -l/-p/-t overrides
  // and calls Proxy::Reload, as on SIGHUP.
  ConfigChangeFn config_change;
  // What GetConfig reports as the command line.
  std::vector<std::string> command_line;
};

class ProxyAdmin {
 public:
  // `context` (not owned) must outlive the ProxyAdmin. Fails as
  // AdminServer::Create or MetricsHttpServer::Create do, or with
  // InvalidArgument if neither admin.listen nor metrics_listen is set.
  static absl::StatusOr<std::unique_ptr<ProxyAdmin>> Create(const ProxyContext* context,
                                                            const ProxyAdminOptions& options);
  ~ProxyAdmin();
  ProxyAdmin(const ProxyAdmin&) = delete;
  ProxyAdmin& operator=(const ProxyAdmin&) = delete;

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
  ProxyAdmin();

  std::unique_ptr<Services> services_;
  admin::AdminEndpoints endpoints_;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ADMIN_SERVICE_H_
