// How `memkit bench` prints a run: a table per operation type (ops/s, hits,
// misses, errors, latency percentiles), JSON for machines, and the ratios of
// a --compare run.
//
// Thread-safety: stateless functions.

#ifndef MEMKIT_TOOLS_BENCH_REPORT_H_
#define MEMKIT_TOOLS_BENCH_REPORT_H_

#include <string>
#include <vector>

#include "tools/bench/load_generator.h"
#include "tools/bench/workload.h"

namespace memkit {
namespace bench {

// The human-readable report of one run.
std::string FormatReport(const BenchOptions& options, const BenchResult& result);
// The same as one JSON object.
std::string FormatJson(const BenchOptions& options, const BenchResult& result);
// One progress line ("  3s  81234 ops/s  hit 91.0%  p50 21us  p99 95us").
std::string FormatProgress(const Progress& progress);

// Alternating rounds against two servers: a line per round and the median
// ratios (b over a) of ops/s and p99.
std::string FormatComparison(const std::vector<BenchResult>& a, const std::vector<BenchResult>& b);
std::string FormatComparisonJson(const std::vector<BenchResult>& a,
                                 const std::vector<BenchResult>& b);

}  // namespace bench
}  // namespace memkit

#endif  // MEMKIT_TOOLS_BENCH_REPORT_H_
