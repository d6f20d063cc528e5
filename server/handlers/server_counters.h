// ServerCounters: the server-wide connection and event counters "stats"
// reports (curr/total/rejected connections, crawler starts),
// the per-worker counters memcached keeps per thread, and "stats reset"'s
// baseline for the latter.
//
// Thread-safety: thread-safe. Counters are atomics; a WorkerCounters is
// written by its worker only and read by any; the reset baseline has its
// own lock.

#ifndef MEMKIT_SERVER_HANDLERS_SERVER_COUNTERS_H_
#define MEMKIT_SERVER_HANDLERS_SERVER_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/sync/mutex.h"

namespace memkit {
namespace server {
namespace internal {

// A counter written by one thread (its worker) and read by any: a relaxed
// load and store instead of a locked read-modify-write.
class Counter {
 public:
  void Add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Per-worker counters memcached keeps per thread (the engine counts the rest).
struct WorkerCounters {
  Counter bytes_read;
  Counter bytes_written;
  Counter meta_cmds;    // cmd_meta: memcached 1.6.18 counts "me" only
  Counter conn_yields;  // -R reached with requests still buffered
  Counter flush_cmds_refused;  // flush_all while -F (memcached counts those too)
};

// The sum of all workers' counters.
struct CounterTotals {
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t meta_cmds = 0;
  uint64_t conn_yields = 0;
  uint64_t flush_cmds_refused = 0;
};

class ServerCounters {
 public:
  ServerCounters() = default;
  ServerCounters(const ServerCounters&) = delete;
  ServerCounters& operator=(const ServerCounters&) = delete;

  // ---- connections
  void ConnectionOpened() {
    curr_conns_.fetch_add(1, std::memory_order_acq_rel);
    total_conns_.fetch_add(1, std::memory_order_relaxed);
  }
  void ConnectionClosed() { curr_conns_.fetch_sub(1, std::memory_order_acq_rel); }
  void ConnectionRejected() { rejected_conns_.fetch_add(1, std::memory_order_relaxed); }
  int64_t curr_conns() const { return curr_conns_.load(std::memory_order_acquire); }
  uint64_t total_conns() const { return total_conns_.load(std::memory_order_relaxed); }
  uint64_t rejected_conns() const { return rejected_conns_.load(std::memory_order_relaxed); }

  // ---- events
  void CrawlerStarted() { crawler_starts_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t crawler_starts() const { return crawler_starts_.load(std::memory_order_relaxed); }

  // ---- per-worker totals; "stats reset" moves their baseline
  static CounterTotals Sum(const std::vector<const WorkerCounters*>& workers);
  CounterTotals SinceReset(const std::vector<const WorkerCounters*>& workers) const
      ABSL_LOCKS_EXCLUDED(reset_mu_);
  // memcached's stats_reset(): zeroes total/rejected connections and makes
  // the workers' current totals the new baseline.
  void Reset(const std::vector<const WorkerCounters*>& workers) ABSL_LOCKS_EXCLUDED(reset_mu_);

 private:
  std::atomic<int64_t> curr_conns_{0};
  std::atomic<uint64_t> total_conns_{0};
  std::atomic<uint64_t> rejected_conns_{0};
  std::atomic<uint64_t> crawler_starts_{0};  // "lru_crawler crawl" runs
  mutable Mutex reset_mu_;
  CounterTotals baseline_ ABSL_GUARDED_BY(reset_mu_);
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_SERVER_COUNTERS_H_
