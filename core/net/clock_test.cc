#include "core/net/clock.h"

#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace {

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1000));
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1030));
  clock.Advance(absl::Milliseconds(-500));
  EXPECT_EQ(clock.Now(), absl::FromUnixMillis(1029500));
  clock.Set(absl::FromUnixSeconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(5));
}

TEST(ClockTest, RealClockIsNearAbslNow) {
  Clock* clock = RealClock::Get();
  EXPECT_LT(absl::AbsDuration(clock->Now() - absl::Now()), absl::Seconds(5));
}

TEST(ClockTest, MonotonicTimeMovesForwardAndManualMovesWithAdvance) {
  const int64_t a = MonotonicNanos();
  const int64_t b = RealClock::Get()->MonotonicNow();
  EXPECT_LE(a, b);
  ManualClock clock;
  const int64_t start = clock.MonotonicNow();
  EXPECT_EQ(clock.MonotonicNow(), start);  // does not move by itself
  clock.Advance(absl::Milliseconds(5));
  EXPECT_EQ(clock.MonotonicNow() - start, 5000000);
}

}  // namespace
}  // namespace net
}  // namespace memkit
