#include "core/net/internal/timer_queue.h"

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace internal {
namespace {

TEST(TimerQueueTest, FiresInDeadlineOrderWithTiesInInsertionOrder) {
  TimerQueue q;
  std::string order;
  q.Add(30, 0, [&] { order += "c"; });
  q.Add(10, 0, [&] { order += "a"; });
  q.Add(20, 0, [&] { order += "b1"; });
  q.Add(20, 0, [&] { order += "b2"; });
  q.Add(40, 0, [&] { order += "d"; });
  EXPECT_EQ(q.NextDeadline(), 10);
  EXPECT_EQ(q.RunExpired(9), 0u);
  EXPECT_EQ(q.RunExpired(30), 4u);
  EXPECT_EQ(order, "ab1b2c");
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.NextDeadline(), 40);
  EXPECT_EQ(q.RunExpired(1000), 1u);
  EXPECT_EQ(order, "ab1b2cd");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.NextDeadline(), TimerQueue::kNoDeadline);
}

TEST(TimerQueueTest, CancelPreventsFiring) {
  TimerQueue q;
  int fired = 0;
  auto a = q.Add(10, 0, [&] { fired += 1; });
  auto b = q.Add(20, 0, [&] { fired += 10; });
  auto c = q.Add(30, 0, [&] { fired += 100; });
  EXPECT_NE(a, 0u);
  EXPECT_TRUE(q.Cancel(b));
  EXPECT_FALSE(q.Cancel(b));  // twice
  EXPECT_FALSE(q.Cancel(0));
  EXPECT_FALSE(q.Cancel(12345678));
  q.RunExpired(100);
  EXPECT_EQ(fired, 101);
  EXPECT_FALSE(q.Cancel(a));  // already fired
  EXPECT_FALSE(q.Cancel(c));
}

TEST(TimerQueueTest, StaleIdDoesNotCancelSlotReuse) {
  TimerQueue q;
  auto a = q.Add(10, 0, [] {});
  ASSERT_TRUE(q.Cancel(a));
  int fired = 0;
  auto b = q.Add(10, 0, [&] { ++fired; });  // likely reuses a's slot
  EXPECT_NE(a, b);
  EXPECT_FALSE(q.Cancel(a));
  q.RunExpired(10);
  EXPECT_EQ(fired, 1);
}

TEST(TimerQueueTest, RepeatingTimerReschedulesAndSkipsMissedPeriods) {
  TimerQueue q;
  std::vector<int64_t> at;
  int64_t now = 0;
  q.Add(100, 100, [&] { at.push_back(now); });
  for (now = 0; now <= 350; now += 50) q.RunExpired(now);
  EXPECT_EQ(at, (std::vector<int64_t>{100, 200, 300}));
  EXPECT_EQ(q.NextDeadline(), 400);
  // Fall far behind: one firing, not a burst of five.
  now = 1000;
  EXPECT_EQ(q.RunExpired(now), 1u);
  EXPECT_EQ(q.NextDeadline(), 1100);
}

TEST(TimerQueueTest, RepeatingTimerCanCancelItself) {
  TimerQueue q;
  int count = 0;
  TimerQueue::TimerId id = 0;
  id = q.Add(1, 1, [&] {
    if (++count == 3) {
      EXPECT_TRUE(q.Cancel(id));
    }
  });
  for (int64_t t = 1; t < 20; ++t) q.RunExpired(t);
  EXPECT_EQ(count, 3);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.Cancel(id));
}

TEST(TimerQueueTest, OneShotCancellingItselfIsHarmless) {
  TimerQueue q;
  TimerQueue::TimerId id = 0;
  bool cancelled = true;
  id = q.Add(1, 0, [&] { cancelled = q.Cancel(id); });
  q.RunExpired(1);
  EXPECT_FALSE(cancelled);
}

TEST(TimerQueueTest, TimersAddedDuringRunWaitForNextRun) {
  TimerQueue q;
  int runs = 0;
  std::function<void()> rearm = [&] {
    ++runs;
    q.Add(0, 0, rearm);  // already due: must not run in this RunExpired
  };
  q.Add(0, 0, rearm);
  EXPECT_EQ(q.RunExpired(5), 1u);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(q.RunExpired(5), 1u);
  EXPECT_EQ(runs, 2);
}

TEST(TimerQueueTest, CallbackMayCancelOthersAndAddMore) {
  TimerQueue q;
  std::string order;
  TimerQueue::TimerId later = q.Add(20, 0, [&] { order += "X"; });
  q.Add(10, 0, [&] {
    order += "a";
    q.Cancel(later);
    q.Add(15, 0, [&] { order += "b"; });
  });
  q.RunExpired(100);
  EXPECT_EQ(order, "a");  // b was added during the run
  q.RunExpired(100);
  EXPECT_EQ(order, "ab");
}

// Random adds and cancels against a simple model.
TEST(TimerQueueTest, MatchesModelUnderRandomOperations) {
  std::mt19937 rng(42);
  TimerQueue q;
  struct Model {
    int64_t deadline;
    int64_t seq;
    TimerQueue::TimerId id;
    bool live;
  };
  std::vector<Model> model;
  std::vector<int64_t> fired;
  int64_t seq = 0;
  int64_t now = 0;
  for (int step = 0; step < 5000; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      int64_t d = now + static_cast<int64_t>(rng() % 1000);
      int64_t s = seq++;
      auto id = q.Add(d, 0, [&fired, s] { fired.push_back(s); });
      model.push_back({d, s, id, true});
    } else if (op < 8 && !model.empty()) {
      Model& m = model[rng() % model.size()];
      EXPECT_EQ(q.Cancel(m.id), m.live);  // live: neither fired nor cancelled
      m.live = false;
    } else {
      now += static_cast<int64_t>(rng() % 300);
      fired.clear();
      q.RunExpired(now);
      std::vector<std::pair<int64_t, int64_t>> due;
      for (Model& m : model) {
        if (m.live && m.deadline <= now) {
          due.push_back({m.deadline, m.seq});
          m.live = false;
        }
      }
      std::sort(due.begin(), due.end());
      ASSERT_EQ(fired.size(), due.size());
      for (size_t i = 0; i < due.size(); ++i) EXPECT_EQ(fired[i], due[i].second);
    }
  }
}

}  // namespace
}  // namespace internal
}  // namespace net
}  // namespace memkit
