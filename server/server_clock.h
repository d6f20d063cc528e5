// ServerClock: the clock a memkit server reads for item expiry and its
// `time`/`uptime` stats: an underlying clock (the system clock unless a test
// supplies one) plus an offset that tests and memcached-debug's `debugtime`
// command move forward, and a pause switch (`debugtime p` / `debugtime r`).
//
// Thread-safety: every method is safe from any thread.

#ifndef MEMKIT_SERVER_SERVER_CLOCK_H_
#define MEMKIT_SERVER_SERVER_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"
#include "core/net/clock.h"

namespace memkit {
namespace server {

class ServerClock final : public net::Clock {
 public:
  // `base` is not owned and must outlive this clock; null means the system clock.
  explicit ServerClock(const net::Clock* base)
      : base_(base != nullptr ? base : net::RealClock::Get()) {}

  absl::Time Now() const override {
    const int64_t paused = paused_at_ns_.load(std::memory_order_acquire);
    if (paused != kNotPaused) return absl::FromUnixNanos(paused);
    return base_->Now() + absl::Nanoseconds(offset_ns_.load(std::memory_order_acquire));
  }

  // The base clock's interval time plus the offset, so Advance() moves
  // interval-driven work (the persistence snapshotter) too; Pause() does not
  // stop it.
  int64_t MonotonicNow() const override {
    return base_->MonotonicNow() + offset_ns_.load(std::memory_order_acquire);
  }

  // Moves the clock by `delta` (negative moves it back).
  void Advance(absl::Duration delta) {
    const int64_t ns = absl::ToInt64Nanoseconds(delta);
    offset_ns_.fetch_add(ns, std::memory_order_acq_rel);
    int64_t paused = paused_at_ns_.load(std::memory_order_acquire);
    while (paused != kNotPaused &&
           !paused_at_ns_.compare_exchange_weak(paused, paused + ns, std::memory_order_acq_rel)) {
    }
  }

  // Freezes the clock at its current reading until Resume(); Advance() still
  // moves it. Resume() carries on from the frozen reading.
  void Pause() {
    int64_t expected = kNotPaused;
    paused_at_ns_.compare_exchange_strong(expected, absl::ToUnixNanos(Now()),
                                          std::memory_order_acq_rel);
  }
  void Resume() {
    const int64_t paused = paused_at_ns_.exchange(kNotPaused, std::memory_order_acq_rel);
    if (paused == kNotPaused) return;
    offset_ns_.store(paused - absl::ToUnixNanos(base_->Now()), std::memory_order_release);
  }

  absl::Duration offset() const {
    return absl::Nanoseconds(offset_ns_.load(std::memory_order_acquire));
  }

 private:
  static constexpr int64_t kNotPaused = INT64_MIN;

  const net::Clock* const base_;
  std::atomic<int64_t> offset_ns_{0};
  std::atomic<int64_t> paused_at_ns_{kNotPaused};
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_SERVER_CLOCK_H_
