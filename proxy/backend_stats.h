// ProxyStats: the numbers memkit-proxy keeps per pool and per backend server
// (requests, hits, misses, errors, timeouts, ejections, in-flight, latency),
// and the text it serves for "stats" / "stats proxy".
//
// Each worker thread keeps its own ProxyStats per server (one writer, so no
// cache line is shared between workers on the request path); "stats" sums
// them into a ProxyStatsTotal.
//
// Thread-safety: ProxyStats: every counter from any thread (relaxed atomics,
// core/stats). ProxyStatsTotal: a value.

#ifndef MEMKIT_PROXY_BACKEND_STATS_H_
#define MEMKIT_PROXY_BACKEND_STATS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "core/stats/counter.h"
#include "core/stats/histogram.h"

namespace memkit {
namespace proxy {

struct ProxyStats {
  // Requests sent (a split multi-get counts once per server it touches).
  stats::Counter requests;
  // Retrieval keys found / not found.
  stats::Counter hits;
  stats::Counter misses;
  // Requests that got an error reply because of this server (connection
  // failed, refused, reset, unparseable reply), timeouts included.
  stats::Counter errors;
  stats::Counter timeouts;
  // Times the server was ejected from the placement.
  stats::Counter ejections;
  // Requests sent and not yet answered.
  stats::Gauge in_flight;
  // Connections open to the server (per server only).
  stats::Gauge connections;
  // Send to reply, nanoseconds (loop-turn resolution).
  stats::Histogram latency_ns;

};

// The sum of several ProxyStats (workers, servers), read at one moment.
struct ProxyStatsTotal {
  uint64_t requests = 0, hits = 0, misses = 0, errors = 0, timeouts = 0, ejections = 0;
  int64_t in_flight = 0, connections = 0;
  stats::HistogramSnapshot latency_ns;

  void Add(const ProxyStats& s);
  void Add(const ProxyStatsTotal& t);
  // Appends "STAT <prefix>:<name> <value>\r\n" lines for every number:
  // the counters, then latency_count, latency_p50_us ... latency_max_us and
  // the cumulative histogram latency_le_<N>us (requests answered within N
  // microseconds, N from 100 to 1000000).
  void AppendStatLines(absl::string_view prefix, std::string* out) const;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_BACKEND_STATS_H_
