// One connection of `memkit bench`: it writes requests chosen by the
// Workload in the chosen protocol, pipelined, and matches the replies (which
// memcached sends in request order) to them, recording each request's
// latency, hits, misses and errors into RunStats.
//
// Thread-safety: a LoadConnection belongs to one load thread, and so does the
// RunStats it records into (one per thread, so recording never contends);
// other threads may read a RunStats while it is written (atomics and
// lock-free histograms).

#ifndef MEMKIT_TOOLS_BENCH_LOAD_CONNECTION_H_
#define MEMKIT_TOOLS_BENCH_LOAD_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>

#include "absl/status/status.h"
#include "core/net/socket.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/binary_response_parser.h"
#include "core/stats/histogram.h"
#include "tools/bench/workload.h"

namespace memkit {
namespace bench {

// Totals of one operation type.
struct OpStats {
  stats::Histogram latency_ns;
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> hits{0};    // keys found (gets, multi-gets)
  std::atomic<uint64_t> misses{0};  // keys not found
  std::atomic<uint64_t> errors{0};  // error replies
};

struct RunStats {
  OpStats ops[kOpTypes];
  std::atomic<uint64_t> connection_errors{0};
};

class LoadConnection {
 public:
  // `fd` is a connected, non-blocking socket. `seed` makes this
  // connection's random choices; `sequential_start` is where its sequential
  // keys begin.
  LoadConnection(const Workload* workload, RunStats* stats, net::UniqueFd fd, uint64_t seed,
                 uint64_t sequential_start);

  int fd() const { return fd_.get(); }
  size_t in_flight() const { return pending_.size(); }
  bool has_output() const { return out_sent_ < out_.size(); }
  // False once the connection failed (the reason is in status()).
  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }

  // Encodes one request whose latency counts from `start_ns` (monotonic:
  // when it was sent, or when it was due in an open-loop run).
  void Issue(int64_t start_ns);
  // Writes what it can without blocking.
  void Flush();
  // Reads what is there and completes the requests whose replies arrived,
  // at `now_ns`.
  void OnReadable(int64_t now_ns);

 private:
  struct Pending {
    OpType type;
    int64_t start_ns;
    uint32_t keys;  // keys asked for
    uint32_t hits = 0;
    bool error = false;
  };

  void EncodeGet(OpType type, uint32_t keys);
  void EncodeSet();
  void AppendBinaryHeader(uint8_t opcode, size_t key_len, size_t extras_len, size_t value_len);
  // Parses one reply element; false when more bytes are needed (or on failure).
  bool ParseOne(int64_t now_ns);
  bool ParseAscii(int64_t now_ns);
  bool ParseBinary(int64_t now_ns);
  void Complete(int64_t now_ns);
  void Fail(absl::Status status);

  const Workload* const workload_;
  RunStats* const stats_;
  net::UniqueFd fd_;
  WorkloadRandom rng_;
  uint64_t cursor_;
  absl::Status status_;

  std::deque<Pending> pending_;
  std::string key_;
  std::string out_;
  size_t out_sent_ = 0;
  std::string in_;
  size_t in_consumed_ = 0;
  protocol::AsciiResponse ascii_;
  protocol::BinaryResponse binary_;
  protocol::AsciiResponseParserOptions ascii_options_;
  protocol::BinaryResponseParserOptions binary_options_;
};

}  // namespace bench
}  // namespace memkit

#endif  // MEMKIT_TOOLS_BENCH_LOAD_CONNECTION_H_
