// The allocation counter counts what it promises: every operator new of the
// calling thread and of all threads, none on an uncounted thread, and the
// largest request.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/alloc_counter.h"

namespace memkit {
namespace test_support {
namespace {

TEST(AllocCounterTest, CountsThisThreadAndAllThreads) {
  const AllocCounter::Snapshot before = AllocCounter::Now();
  auto a = std::make_unique<int>(1);
  std::vector<char> v(100);
  EXPECT_EQ(AllocCounter::Since(before).this_thread, 2);
  EXPECT_GE(AllocCounter::Since(before).total, 2);
  std::thread t;  // created outside the measured span below
  const AllocCounter::Snapshot mid = AllocCounter::Now();
  t = std::thread([] { auto b = std::make_unique<long>(2); });
  t.join();
  const AllocCounter::Snapshot after = AllocCounter::Since(mid);
  EXPECT_EQ(after.this_thread, 1);  // std::thread's state
  EXPECT_GE(after.total, 2);        // and the other thread's long
}

TEST(AllocCounterTest, NothingWhenNothingIsAllocated) {
  std::string s;
  s.reserve(64);
  const AllocCounter::Snapshot before = AllocCounter::Now();
  s.assign("short enough to fit the reserved room");
  EXPECT_EQ(AllocCounter::Since(before).total, 0);
}

TEST(AllocCounterTest, UncountedThreadIsLeftOut) {
  const AllocCounter::Snapshot before = AllocCounter::Now();
  {
    ScopedUncountedThread quiet;
    auto a = std::make_unique<int>(1);
  }
  EXPECT_EQ(AllocCounter::Since(before).this_thread, 0);
  auto b = std::make_unique<int>(1);
  EXPECT_EQ(AllocCounter::Since(before).this_thread, 1);
}

TEST(AllocCounterTest, Largest) {
  AllocCounter::ResetLargest();
  std::vector<char> big(1 << 20);
  EXPECT_GE(AllocCounter::Largest(), size_t{1} << 20);
  AllocCounter::ResetLargest();
  EXPECT_LT(AllocCounter::Largest(), size_t{1} << 20);
}

}  // namespace
}  // namespace test_support
}  // namespace memkit
