// memkit::stats::Counter and Gauge: a count that only grows and a level that
// goes up and down, for numbers a component reports through the admin API
// and /metrics. Both are single relaxed atomics: cheap to update from many
// threads, with no ordering promised relative to other memory.
//
// Thread-safety: every method from any thread.

#ifndef MEMKIT_CORE_STATS_COUNTER_H_
#define MEMKIT_CORE_STATS_COUNTER_H_

#include <atomic>
#include <cstdint>

namespace memkit {
namespace stats {

class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Add(uint64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void Increment() { Add(1); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }
  // "stats reset".
  void Reset() { value_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

}  // namespace stats
}  // namespace memkit

#endif  // MEMKIT_CORE_STATS_COUNTER_H_
