// Clocks: where memkit components read the time, so tests can move it.
//
// The server's item expiry, the client's dead-server retry timers, the fake
// server's `debugtime` and dbm's interval syncer all read a Clock. Production
// code uses RealClock::Get(); tests hand a ManualClock to the component and
// Advance() it.
//
// MonotonicNanos() is memkit's one reading of the system's monotonic clock,
// for timers, deadlines and durations that must not jump when someone sets
// the wall clock.
//
// Thread-safety: every Clock is safe to call from any thread.

#ifndef MEMKIT_CORE_NET_CLOCK_H_
#define MEMKIT_CORE_NET_CLOCK_H_

#include <time.h>

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace memkit {
namespace net {

// Nanoseconds on CLOCK_MONOTONIC (a vDSO call, no syscall): only
// differences between two readings mean anything.
inline int64_t MonotonicNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

class Clock {
 public:
  virtual ~Clock() = default;

  // The current wall-clock time.
  virtual absl::Time Now() const = 0;

  // Nanoseconds on a clock for intervals (background work's periods): only
  // differences mean anything. RealClock's is MonotonicNanos().
  virtual int64_t MonotonicNow() const = 0;
};

// The system clock.
class RealClock final : public Clock {
 public:
  // The process-wide instance; never destroyed.
  static RealClock* Get();

  absl::Time Now() const override { return absl::Now(); }
  int64_t MonotonicNow() const override { return MonotonicNanos(); }

 private:
  RealClock() = default;
};

// A clock that moves only when told to. Starts at `start`.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1700000000))
      : nanos_(absl::ToUnixNanos(start)) {}

  absl::Time Now() const override {
    return absl::FromUnixNanos(nanos_.load(std::memory_order_acquire));
  }
  // Moves with Now(): Advance() moves both.
  int64_t MonotonicNow() const override { return nanos_.load(std::memory_order_acquire); }

  // Moves the clock forward (or back, for a negative `delta`).
  void Advance(absl::Duration delta) {
    nanos_.fetch_add(absl::ToInt64Nanoseconds(delta), std::memory_order_acq_rel);
  }

  void Set(absl::Time now) { nanos_.store(absl::ToUnixNanos(now), std::memory_order_release); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_CLOCK_H_
