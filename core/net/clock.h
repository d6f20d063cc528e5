// Clocks: where memkit components read the time, so tests can move it.
//
// The server's item expiry, the client's dead-server retry timers and the
// fake server's `debugtime` all read a Clock. Production code uses
// RealClock::Get(); tests hand a ManualClock to the component and Advance() it.
//
// Thread-safety: every Clock is safe to call from any thread.

#ifndef MEMKIT_CORE_NET_CLOCK_H_
#define MEMKIT_CORE_NET_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace memkit {
namespace net {

class Clock {
 public:
  virtual ~Clock() = default;

  // The current wall-clock time.
  virtual absl::Time Now() const = 0;
};

// The system clock.
class RealClock final : public Clock {
 public:
  // The process-wide instance; never destroyed.
  static RealClock* Get();

  absl::Time Now() const override { return absl::Now(); }

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
