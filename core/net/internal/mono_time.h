// Deadline arithmetic for the event loop's timers and connect deadlines, on
// the monotonic clock of core/net/clock.h. Thread-safe.

#ifndef MEMKIT_CORE_NET_INTERNAL_MONO_TIME_H_
#define MEMKIT_CORE_NET_INTERNAL_MONO_TIME_H_

#include <cstdint>
#include <limits>

#include "absl/time/time.h"
#include "core/net/clock.h"

namespace memkit {
namespace net {
namespace internal {

using net::MonotonicNanos;

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
