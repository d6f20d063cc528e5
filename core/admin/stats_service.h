// memkit::admin::StatsService: the memkit.admin.v1.Stats service over any
// StatsProvider: GetStats takes one collection; WatchStats streams one every
// interval with deltas, rates and interval percentiles (ApplyInterval).
//
// Thread-safety: gRPC calls it from many threads; the provider must be
// thread-safe. Stop() from any thread.

#ifndef MEMKIT_CORE_ADMIN_STATS_SERVICE_H_
#define MEMKIT_CORE_ADMIN_STATS_SERVICE_H_

#include <atomic>

#include "core/admin/admin.grpc.pb.h"
#include "core/admin/stats_collector.h"

namespace memkit {
namespace admin {

class StatsService final : public v1::Stats::Service {
 public:
  // `provider` is not owned and must outlive the service.
  explicit StatsService(StatsProvider* provider) : provider_(provider) {}

  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request,
                        v1::GetStatsResponse* response) override;
  grpc::Status WatchStats(grpc::ServerContext* context, const v1::WatchStatsRequest* request,
                          grpc::ServerWriter<v1::StatsSnapshot>* writer) override;

  // Ends every WatchStats stream at its next tick (before the component
  // shuts its admin server down, so the streams close with OK).
  void Stop() { stopped_.store(true, std::memory_order_release); }

 private:
  StatsProvider* const provider_;
  std::atomic<bool> stopped_{false};
};

}  // namespace admin
}  // namespace memkit

#endif  // MEMKIT_CORE_ADMIN_STATS_SERVICE_H_
