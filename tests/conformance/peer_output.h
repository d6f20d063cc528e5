// Parsers for what libmemcached's peer tools print: memccapable's per-test
// verdicts and memcaslap's throughput and latency summary.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_TESTS_CONFORMANCE_PEER_OUTPUT_H_
#define MEMKIT_TESTS_CONFORMANCE_PEER_OUTPUT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace memkit {
namespace conformance {

// memccapable's tests, in the order it runs them (libmemcached 1.1.4).
const std::vector<std::string>& MemccapableAsciiTests();
const std::vector<std::string>& MemccapableBinaryTests();

// The verdict memccapable printed for each test in `names` that it ran:
// "pass", "FAIL" or "skip". A test that failed prints its diagnostics between
// its name and "[FAIL]", possibly over several lines; those are skipped.
std::map<std::string, std::string> ParseMemccapableVerdicts(absl::string_view output,
                                                            const std::vector<std::string>& names);

// One memcaslap run's summary.
struct MemcaslapResult {
  double ops_per_second = 0;  // "TPS:" of the final "Run time: ..." line.
  int64_t ops = 0;
  // The upper bound, in microseconds, of the log2 latency bucket holding the
  // 99th percentile of "Total Statistics" (memcaslap prints only log2
  // buckets), when the run printed them (-S).
  std::optional<int64_t> p99_us_upper_bound;
  std::optional<int64_t> avg_us;
};

// Parses memcaslap's output; nullopt when it has no "Run time:" summary.
std::optional<MemcaslapResult> ParseMemcaslapOutput(absl::string_view output);

}  // namespace conformance
}  // namespace memkit

#endif  // MEMKIT_TESTS_CONFORMANCE_PEER_OUTPUT_H_
