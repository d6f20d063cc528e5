#include "tests/support/eventually.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace memkit {
namespace test_support {

bool Eventually(absl::FunctionRef<bool()> predicate, absl::Duration deadline) {
  const absl::Time until = absl::Now() + deadline;
  absl::Duration backoff = absl::Milliseconds(1);
  for (;;) {
    if (predicate()) return true;
    const absl::Time now = absl::Now();
    if (now >= until) return false;
    absl::SleepFor(std::min(backoff, until - now));
    backoff = std::min(backoff * 2, absl::Milliseconds(20));
  }
}

}  // namespace test_support
}  // namespace memkit
