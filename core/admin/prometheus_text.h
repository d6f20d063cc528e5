// Prometheus text exposition (format 0.0.4) of a memkit.admin.v1
// StatsSnapshot: what /metrics serves. Every number of the snapshot becomes a
// sample of a family named `prefix` + its name: counters as counters (a
// "_total" suffix is added if missing), gauges as gauges, latency histograms
// as histograms in seconds (`<name>_seconds_bucket{le=...}`, `_sum`,
// `_count`). Scopes become labels: a POOL scope adds pool="NAME", a SERVER
// scope server="HOST:PORT" (and pool="NAME" inside a pool); the component
// scope adds none. memcached's `stats` strings are not exported (providers
// report the numeric ones as counters and gauges).
//
// The snapshot should be collected with include_histogram_buckets; without
// buckets a histogram has only its "+Inf" bucket.
//
// Thread-safety: a pure function.

#ifndef MEMKIT_CORE_ADMIN_PROMETHEUS_TEXT_H_
#define MEMKIT_CORE_ADMIN_PROMETHEUS_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "core/admin/admin.pb.h"
#include "core/admin/stats_collector.h"

namespace memkit {
namespace admin {

// The Content-Type of the text FormatPrometheus returns.
inline constexpr absl::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

std::string FormatPrometheus(const memkit::admin::v1::StatsSnapshot& snapshot,
                             absl::string_view prefix = "memkit_");

// A fresh snapshot of `provider` (with histogram buckets) in the text format:
// what a /metrics endpoint (MetricsHttpServerOptions::render) serves.
std::string CollectPrometheus(StatsProvider& provider);

}  // namespace admin
}  // namespace memkit

#endif  // MEMKIT_CORE_ADMIN_PROMETHEUS_TEXT_H_
