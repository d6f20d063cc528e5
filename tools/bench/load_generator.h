// memkit bench's engine: runs a Workload against one server with N threads,
// each driving its connections from an epoll loop, closed loop (as fast as
// replies come, `pipeline` requests in flight per connection) or open loop
// (a fixed request rate, latency measured from each request's due time).
//
//   BenchOptions options;  options.server = "127.0.0.1:11211";
//   absl::StatusOr<BenchResult> result = RunBench(options, ProgressFn());
//   PrintReport(*result, stdout);
//
// Thread-safety: RunBench blocks its caller and may run from any thread; the
// progress callback is called from that thread.

#ifndef MEMKIT_TOOLS_BENCH_LOAD_GENERATOR_H_
#define MEMKIT_TOOLS_BENCH_LOAD_GENERATOR_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/stats/histogram.h"
#include "tools/bench/workload.h"

namespace memkit {
namespace bench {

struct OpResult {
  uint64_t requests = 0;   // sent
  uint64_t completed = 0;  // answered (latency recorded)
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t errors = 0;
  stats::HistogramSnapshot latency_ns;
};

struct BenchResult {
  std::string server;
  absl::Duration elapsed;
  OpResult ops[kOpTypes];
  OpResult total;  // all types merged
  uint64_t connection_errors = 0;
  // The load generator's own CPU time (user + system) during the run.
  absl::Duration client_cpu;

  double OpsPerSecond() const;
  double HitRate() const;  // hits / (hits + misses); 0 without gets
};

// One line a second while the run goes: what happened in that second.
struct Progress {
  absl::Duration elapsed;
  double ops_per_second = 0;
  double hit_rate = 0;
  uint64_t p50_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t errors = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

// Runs `options` (validated first). With `options.prefill`, sets every key
// once before the measured run. Unavailable if no connection can be made.
absl::StatusOr<BenchResult> RunBench(const BenchOptions& options, const ProgressFn& progress);

}  // namespace bench
}  // namespace memkit

#endif  // MEMKIT_TOOLS_BENCH_LOAD_GENERATOR_H_
