// How a component reports its numbers to the admin API: it implements
// StatsProvider, whose Collect() adds scopes, counters, gauges, histograms
// and memcached stats to a StatsBuilder. CollectStats() turns that into a
// memkit.admin.v1.StatsSnapshot (GetStats), ApplyInterval() adds deltas,
// rates and interval percentiles between two collections (WatchStats), and
// FormatPrometheus() (prometheus_text.h) prints the same snapshot for
// /metrics: one source for every view.
//
//   class MyStats : public admin::StatsProvider {
//     std::string component() const override { return "my-service"; }
//     void Collect(admin::StatsBuilder* b) override {
//       b->BeginScope(v1::SCOPE_KIND_COMPONENT, "my-service");
//       b->AddCounter("requests_total", "Requests served.", requests_.value());
//       b->AddHistogram("request_latency", "Time to serve a request.",
//                       latency_.Snapshot(), admin::kNanosToMicros);
//     }
//   };
//
// Thread-safety: a StatsBuilder belongs to one Collect() call. A provider's
// Collect() is called from gRPC and /metrics threads concurrently and must be
// thread-safe. The free functions are pure.

#ifndef MEMKIT_CORE_ADMIN_STATS_COLLECTOR_H_
#define MEMKIT_CORE_ADMIN_STATS_COLLECTOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/admin/admin.pb.h"
#include "core/stats/histogram.h"

namespace memkit {
namespace admin {

// Extra dimensions of one metric: (name, value) pairs.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Histograms recorded in nanoseconds and reported in microseconds.
inline constexpr double kNanosToMicros = 1e-3;

// Upper bounds (microseconds) of the cumulative buckets reported for latency
// histograms: Prometheus-sized, 10 us to 10 s.
const std::vector<double>& LatencyBucketBoundsMicros();

struct CollectOptions {
  // Add memcached's `stats` keys to SERVER scopes.
  bool include_memcached_stats = false;
  // Add cumulative buckets to histograms.
  bool include_histogram_buckets = false;
};

class StatsBuilder {
 public:
  StatsBuilder(const CollectOptions& options, v1::StatsSnapshot* snapshot,
               std::map<std::string, stats::HistogramSnapshot>* histograms);

  const CollectOptions& options() const { return options_; }

  // Starts a scope; the Add* calls that follow go into it. `pool`: the pool
  // a SERVER scope belongs to ("" if none).
  void BeginScope(v1::ScopeKind kind, absl::string_view name, absl::string_view pool = "");

  // Metric names: snake_case, no component prefix; counters end in "_total".
  void AddCounter(absl::string_view name, absl::string_view help, uint64_t value,
                  const Labels& labels = {});
  void AddGauge(absl::string_view name, absl::string_view help, double value,
                const Labels& labels = {});
  // `scale` converts recorded values to microseconds (kNanosToMicros for a
  // histogram of nanoseconds; 1 for one of microseconds).
  void AddHistogram(absl::string_view name, absl::string_view help,
                    const stats::HistogramSnapshot& histogram, double scale,
                    const Labels& labels = {});
  // One memcached `stats` line; ignored unless include_memcached_stats.
  void AddMemcachedStat(absl::string_view name, absl::string_view value);

  // The scale each histogram was added with, by MetricKey().
  const std::map<std::string, double>& scales() const { return scales_; }

 private:
  v1::StatsScope* scope();

  const CollectOptions options_;
  v1::StatsSnapshot* const snapshot_;
  std::map<std::string, stats::HistogramSnapshot>* const histograms_;
  std::map<std::string, double> scales_;
};

class StatsProvider {
 public:
  virtual ~StatsProvider() = default;
  // The component's name in snapshots ("memkit-server").
  virtual std::string component() const = 0;
  // Adds the component's numbers. Thread-safe (see the file comment).
  virtual void Collect(StatsBuilder* builder) = 0;
};

// A snapshot and the raw histograms behind it (for intervals).
struct CollectedStats {
  v1::StatsSnapshot snapshot;
  // By MetricKey().
  std::map<std::string, stats::HistogramSnapshot> histograms;
  // Each histogram's scale (see StatsBuilder::AddHistogram), by MetricKey().
  std::map<std::string, double> scales;
};

// Asks `provider` for its numbers now; stamps the time and component.
CollectedStats CollectStats(StatsProvider& provider, const CollectOptions& options);

// Fills `current`'s counter deltas and rates, histogram delta counts, rates
// and interval percentiles, and the snapshot's interval_ms, relative to
// `previous` (an earlier collection from the same provider). Metrics new in
// `current` count from zero.
void ApplyInterval(const CollectedStats& previous, CollectedStats* current);

// Identifies one metric across snapshots: scope kind, scope name, pool,
// metric name and sorted labels.
std::string MetricKey(const v1::StatsScope& scope, absl::string_view name,
                      const google::protobuf::Map<std::string, std::string>& labels);

}  // namespace admin
}  // namespace memkit

#endif  // MEMKIT_CORE_ADMIN_STATS_COLLECTOR_H_
