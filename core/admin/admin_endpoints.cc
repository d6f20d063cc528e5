#include "core/admin/admin_endpoints.h"

#include <utility>

#include "core/admin/prometheus_text.h"

namespace memkit {
namespace admin {

absl::Status AdminEndpoints::Start(const AdminServerOptions& admin,
                                   const std::string& metrics_listen, StatsProvider* provider) {
  if (admin.listen.empty() && metrics_listen.empty()) {
    return absl::InvalidArgumentError("the admin API needs an admin or a metrics address");
  }
  if (!admin.listen.empty()) {
    auto created = AdminServer::Create(admin);
    if (!created.ok()) return created.status();
    admin_ = std::move(*created);
  }
  if (!metrics_listen.empty()) {
    MetricsHttpServerOptions metrics_options;
    metrics_options.listen = metrics_listen;
    metrics_options.render = [provider] { return CollectPrometheus(*provider); };
    auto created = MetricsHttpServer::Create(metrics_options);
    if (!created.ok()) {
      Shutdown();
      return created.status();
    }
    metrics_ = std::move(*created);
  }
  return absl::OkStatus();
}

void AdminEndpoints::Shutdown() {
  if (admin_ != nullptr) admin_->Shutdown();
  if (metrics_ != nullptr) metrics_->Shutdown();
}

}  // namespace admin
}  // namespace memkit
