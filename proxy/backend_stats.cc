#include "proxy/backend_stats.h"

#include "absl/strings/str_cat.h"

namespace memkit {
namespace proxy {
namespace {

constexpr uint64_t kLatencyBoundsMicros[] = {100,   250,   500,    1000,   2500,
                                             10000, 50000, 100000, 500000, 1000000};

void Line(absl::string_view prefix, absl::string_view name, uint64_t value, std::string* out) {
  absl::StrAppend(out, "STAT ", prefix, ":", name, " ", value, "\r\n");
}

}  // namespace

void ProxyStatsTotal::Add(const ProxyStats& s) {
  requests += s.requests.value();
  hits += s.hits.value();
  misses += s.misses.value();
  errors += s.errors.value();
  timeouts += s.timeouts.value();
  ejections += s.ejections.value();
  in_flight += s.in_flight.value();
  connections += s.connections.value();
  latency_ns.Merge(s.latency_ns.Snapshot());
}

void ProxyStatsTotal::Add(const ProxyStatsTotal& t) {
  requests += t.requests;
  hits += t.hits;
  misses += t.misses;
  errors += t.errors;
  timeouts += t.timeouts;
  ejections += t.ejections;
  in_flight += t.in_flight;
  connections += t.connections;
  latency_ns.Merge(t.latency_ns);
}

void ProxyStatsTotal::AppendStatLines(absl::string_view prefix, std::string* out) const {
  Line(prefix, "requests", requests, out);
  Line(prefix, "hits", hits, out);
  Line(prefix, "misses", misses, out);
  Line(prefix, "errors", errors, out);
  Line(prefix, "timeouts", timeouts, out);
  Line(prefix, "ejections", ejections, out);
  Line(prefix, "in_flight", in_flight < 0 ? 0 : static_cast<uint64_t>(in_flight), out);
  Line(prefix, "connections", connections < 0 ? 0 : static_cast<uint64_t>(connections), out);
  const stats::HistogramSnapshot& s = latency_ns;
  Line(prefix, "latency_count", s.count(), out);
  Line(prefix, "latency_p50_us", s.Percentile(50) / 1000, out);
  Line(prefix, "latency_p90_us", s.Percentile(90) / 1000, out);
  Line(prefix, "latency_p99_us", s.Percentile(99) / 1000, out);
  Line(prefix, "latency_p999_us", s.Percentile(99.9) / 1000, out);
  Line(prefix, "latency_max_us", s.max() / 1000, out);
  // The histogram itself, cumulative as Prometheus buckets are.
  for (uint64_t bound_us : kLatencyBoundsMicros) {
    Line(prefix, absl::StrCat("latency_le_", bound_us, "us"), s.CountAtOrBelow(bound_us * 1000),
         out);
  }
}

}  // namespace proxy
}  // namespace memkit
