// What `memkit bench` sends: the options of a run, and the generators that
// pick each request's operation, keys and value size.
//
// Thread-safety: BenchOptions is a value. A Workload is immutable after
// construction and shared by every load thread; each thread draws from it
// with its own WorkloadRandom.

#ifndef MEMKIT_TOOLS_BENCH_WORKLOAD_H_
#define MEMKIT_TOOLS_BENCH_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace memkit {
namespace bench {

enum class KeyPattern { kSequential, kUniform, kZipfian };
enum class WireProtocol { kText, kMeta, kBinary };
enum class OpType { kGet = 0, kSet = 1, kMultiGet = 2 };
inline constexpr int kOpTypes = 3;
absl::string_view OpTypeName(OpType type);

struct BenchOptions {
  // "host:port" (or a unix socket path) to load.
  std::string server = "127.0.0.1:11211";
  WireProtocol protocol = WireProtocol::kText;
  // Load threads, and connections each thread drives.
  int threads = 2;
  int connections_per_thread = 4;
  // Requests kept in flight per connection (closed loop), or the most a
  // connection may have in flight while it catches up (open loop).
  int pipeline = 1;

  // Operation mix, as relative weights.
  int get_weight = 9;
  int set_weight = 1;
  int multiget_weight = 0;
  // Keys per multi-get.
  int multiget_width = 10;

  // Keys are key_prefix + a decimal index below key_count.
  uint64_t key_count = 100000;
  std::string key_prefix = "memkit:";
  KeyPattern key_pattern = KeyPattern::kUniform;
  // Zipfian skew (theta, 0 < theta < 1 as in YCSB; 0.99 is YCSB's default).
  double zipf_theta = 0.99;
  // Value sizes: fixed when min == max, else uniform in [min, max].
  size_t value_min = 100;
  size_t value_max = 100;
  // Expiry of stored values (seconds, 0: none).
  int32_t exptime = 0;

  // The run ends after `duration`, or after `requests` requests when that is
  // not zero (whichever comes first).
  absl::Duration duration = absl::Seconds(10);
  uint64_t requests = 0;
  // Open loop: this many requests per second over all connections, each
  // request's latency measured from the moment it was due to be sent (free
  // of coordinated omission). Zero: closed loop, as fast as replies come.
  double rate = 0;
  // Set every key once before measuring (so gets hit).
  bool prefill = false;

  absl::Duration connect_timeout = absl::Seconds(2);
  // After the run, how long in-flight replies are waited for.
  absl::Duration drain_timeout = absl::Seconds(5);

  // InvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

// A per-thread random source.
using WorkloadRandom = std::mt19937_64;

class Workload {
 public:
  explicit Workload(const BenchOptions& options);

  OpType NextOp(WorkloadRandom* rng) const;
  // The index of the next key (sequential keys use `*cursor`, a per-thread
  // position that starts at the thread's share of the key space).
  uint64_t NextKeyIndex(WorkloadRandom* rng, uint64_t* cursor) const;
  // Appends the key of `index` to `out`.
  void AppendKey(uint64_t index, std::string* out) const;
  size_t NextValueSize(WorkloadRandom* rng) const;
  // `size` bytes of value (a view into a shared buffer of printable bytes).
  absl::string_view Value(size_t size) const { return absl::string_view(value_bytes_).substr(0, size); }

  const BenchOptions& options() const { return options_; }

 private:
  uint64_t NextZipfian(WorkloadRandom* rng) const;

  const BenchOptions options_;
  int total_weight_ = 0;
  std::string value_bytes_;
  // Zipfian constants (YCSB's ZipfianGenerator, after Gray et al.).
  double zeta_n_ = 0;
  double alpha_ = 0;
  double eta_ = 0;
  double zeta_2_ = 0;
};

}  // namespace bench
}  // namespace memkit

#endif  // MEMKIT_TOOLS_BENCH_WORKLOAD_H_
