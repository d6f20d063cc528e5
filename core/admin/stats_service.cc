#include "core/admin/stats_service.h"

#include <algorithm>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace memkit {
namespace admin {
namespace {

// How often a waiting WatchStats looks for cancellation.
constexpr absl::Duration kPollStep = absl::Milliseconds(20);
constexpr int64_t kMinIntervalMs = 10;
constexpr int64_t kDefaultIntervalMs = 1000;

}  // namespace

grpc::Status StatsService::GetStats(grpc::ServerContext* /*context*/,
                                    const v1::GetStatsRequest* request,
                                    v1::GetStatsResponse* response) {
  CollectOptions options;
  options.include_memcached_stats = request->include_memcached_stats();
  options.include_histogram_buckets = request->include_histogram_buckets();
  *response->mutable_snapshot() = CollectStats(*provider_, options).snapshot;
  return grpc::Status::OK;
}

grpc::Status StatsService::WatchStats(grpc::ServerContext* context,
                                      const v1::WatchStatsRequest* request,
                                      grpc::ServerWriter<v1::StatsSnapshot>* writer) {
  if (request->interval_ms() != 0 && request->interval_ms() < kMinIntervalMs) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "interval_ms must be at least 10");
  }
  const absl::Duration interval =
      absl::Milliseconds(request->interval_ms() == 0 ? kDefaultIntervalMs : request->interval_ms());
  CollectOptions options;
  options.include_memcached_stats = request->include_memcached_stats();
  options.include_histogram_buckets = request->include_histogram_buckets();

  CollectedStats previous;
  bool have_previous = false;
  absl::Time next = absl::Now();
  for (uint64_t sequence = 0;; ++sequence) {
    CollectedStats current = CollectStats(*provider_, options);
    if (have_previous) ApplyInterval(previous, &current);
    current.snapshot.set_sequence(sequence);
    if (!writer->Write(current.snapshot)) return grpc::Status::OK;  // the client left
    if (request->max_snapshots() != 0 && sequence + 1 >= request->max_snapshots()) break;
    previous = std::move(current);
    have_previous = true;
    next += interval;
    // Sleep in small steps so that a cancelled stream or Stop() ends soon.
    for (absl::Time now = absl::Now(); now < next; now = absl::Now()) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      if (stopped_.load(std::memory_order_acquire)) return grpc::Status::OK;
      absl::SleepFor(std::min(kPollStep, next - now));
    }
  }
  return grpc::Status::OK;
}

}  // namespace admin
}  // namespace memkit
