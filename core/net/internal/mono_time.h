// The monotonic clock the event loop's timers and connect deadlines use.
//
// Timers must not jump when someone sets the wall clock, so they read
// CLOCK_MONOTONIC (a vDSO call, no syscall). Thread-safe.

#ifndef MEMKIT_CORE_NET_INTERNAL_MONO_TIME_H_
#define MEMKIT_CORE_NET_INTERNAL_MONO_TIME_H_

#include <time.h>

#include <cstdint>
#include <limits>

#include "absl/time/time.h"

namespace memkit {
namespace net {
namespace internal {

inline int64_t MonotonicNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// `d` in nanoseconds, saturating (InfiniteDuration -> int64 max).
inline int64_t ToNanosSaturated(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return std::numeric_limits<int64_t>::max();
  if (d <= absl::ZeroDuration()) return 0;
  return absl::ToInt64Nanoseconds(d);
}

// now + delta without overflow.
inline int64_t DeadlineAfter(int64_t now, int64_t delta) {
  if (delta > std::numeric_limits<int64_t>::max() - now) return std::numeric_limits<int64_t>::max();
  return now + delta;
}

// Milliseconds to wait until `deadline` for poll/epoll_wait, rounded up so a
// wait never ends just before the deadline; -1 for "no deadline".
inline int PollTimeoutMillis(int64_t now, int64_t deadline) {
  if (deadline == std::numeric_limits<int64_t>::max()) return -1;
  if (deadline <= now) return 0;
  int64_t ms = (deadline - now + 999999) / 1000000;
  return ms > 1000000000 ? 1000000000 : static_cast<int>(ms);
}

}  // namespace internal
}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_INTERNAL_MONO_TIME_H_
