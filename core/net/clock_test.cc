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

}  // namespace
}  // namespace net
}  // namespace memkit
