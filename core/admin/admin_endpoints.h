// AdminEndpoints: what a program serves for operators, the gRPC admin API
// (AdminServer) and Prometheus text on /metrics (MetricsHttpServer), either
// or both, started from one call. memkit-server's ServerAdmin and
// memkit-proxy's ProxyAdmin each hold one beside their services.
//
//   admin::AdminEndpoints endpoints;
//   absl::Status s = endpoints.Start(admin_options, "127.0.0.1:0", &provider);
//   ... endpoints.admin_port(), endpoints.metrics_port() ...
//
// Thread-safety: Start() and Shutdown() from the owning thread; the
// accessors from any thread once Start() returned.

#ifndef MEMKIT_CORE_ADMIN_ADMIN_ENDPOINTS_H_
#define MEMKIT_CORE_ADMIN_ADMIN_ENDPOINTS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/admin/admin_server.h"
#include "core/admin/metrics_http_server.h"
#include "core/admin/stats_collector.h"

namespace memkit {
namespace admin {

class AdminEndpoints {
 public:
  AdminEndpoints() = default;
  ~AdminEndpoints() { Shutdown(); }

  AdminEndpoints(const AdminEndpoints&) = delete;
  AdminEndpoints& operator=(const AdminEndpoints&) = delete;

  // Starts the admin server when `admin.listen` is set and the /metrics
  // server, rendering `provider` (not owned; outlives this), when
  // `metrics_listen` is. InvalidArgument if neither is set; otherwise fails
  // as AdminServer::Create or MetricsHttpServer::Create do.
  absl::Status Start(const AdminServerOptions& admin, const std::string& metrics_listen,
                     StatsProvider* provider);

  // The gRPC admin port and dial address (0 / "" without one).
  int admin_port() const { return admin_ != nullptr ? admin_->port() : 0; }
  std::string admin_address() const { return admin_ != nullptr ? admin_->address() : ""; }
  // The /metrics port and address (0 / "" without one).
  int metrics_port() const { return metrics_ != nullptr ? metrics_->port() : 0; }
  std::string metrics_address() const { return metrics_ != nullptr ? metrics_->address() : ""; }

  // Stops both listeners. Idempotent.
  void Shutdown();

 private:
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<MetricsHttpServer> metrics_;
};

}  // namespace admin
}  // namespace memkit

#endif  // MEMKIT_CORE_ADMIN_ADMIN_ENDPOINTS_H_
