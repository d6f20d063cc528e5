// Expiry and flush_all, as memcached 1.6 computes them.

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/cache.h"
#include "server/cache_test_util.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace server {
namespace {

using testing::MakeCache;
using testing::Set;
using testing::TestOptions;
using testing::ValueOf;

constexpr int64_t kStart = 1700000000;  // ManualClock's default start.

class ExpiryTest : public ::testing::Test {
 protected:
  net::ManualClock clock_;
  std::unique_ptr<Cache> cache_ = MakeCache(TestOptions(&clock_));
};

TEST_F(ExpiryTest, ClockStartsLikeMemcached) {
  EXPECT_EQ(cache_->CurrentTime(), 62u);
  EXPECT_EQ(cache_->ProcessStarted(), kStart - 62);
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(cache_->CurrentTime(), 62u);  // One-second resolution.
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(cache_->CurrentTime(), 63u);
  clock_.Set(absl::FromUnixSeconds(0));  // Moved far back: still a valid time.
  EXPECT_EQ(cache_->CurrentTime(), 1u);
}

TEST_F(ExpiryTest, ZeroNeverExpires) {
  Set(*cache_, "k", "v", 0);
  clock_.Advance(absl::Hours(24 * 365));
  EXPECT_EQ(ValueOf(*cache_, "k"), "v");
  EXPECT_EQ(cache_->Get("k").ttl, -1);
}

TEST_F(ExpiryTest, OneSecondExpiresWhenTheClockTicks) {
  Set(*cache_, "k", "v", 1);
  EXPECT_EQ(cache_->Get("k").ttl, 1);
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(ValueOf(*cache_, "k"), "v");
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(ValueOf(*cache_, "k"), "<miss>");
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.get_expired, 1u);
  EXPECT_EQ(st.curr_items, 0u);  // Removed on sight.
  EXPECT_EQ(st.bytes, 0u);
}

TEST_F(ExpiryTest, ThirtyDaysIsStillRelative) {
  Set(*cache_, "k", "v", 2592000);
  EXPECT_EQ(cache_->Get("k").ttl, 2592000);
  clock_.Advance(absl::Seconds(2592000 - 1));
  EXPECT_EQ(ValueOf(*cache_, "k"), "v");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ValueOf(*cache_, "k"), "<miss>");
}

TEST_F(ExpiryTest, OneSecondMoreIsAnAbsoluteTimeLongPast) {
  Set(*cache_, "k", "v", 2592001);  // 1970-01-31: before the cache started.
  EXPECT_EQ(ValueOf(*cache_, "k"), "<miss>");
  EXPECT_EQ(cache_->GetStats().get_expired, 1u);
}

TEST_F(ExpiryTest, AbsoluteTimes) {
  Set(*cache_, "future", "v", kStart + 10);
  Set(*cache_, "past", "v", kStart - 10);  // After the (backdated) start, before now.
  Set(*cache_, "now", "v", kStart);
  EXPECT_EQ(ValueOf(*cache_, "past"), "<miss>");
  EXPECT_EQ(ValueOf(*cache_, "now"), "<miss>");
  EXPECT_EQ(cache_->Get("future").ttl, 10);
  clock_.Advance(absl::Seconds(9));
  EXPECT_EQ(ValueOf(*cache_, "future"), "v");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ValueOf(*cache_, "future"), "<miss>");
}

TEST_F(ExpiryTest, NegativeExpiresAtOnce) {
  Set(*cache_, "k", "v", -1);
  EXPECT_EQ(ValueOf(*cache_, "k"), "<miss>");
  Set(*cache_, "k", "v");
  EXPECT_EQ(cache_->Touch("k", -5), McCode::kOk);
  EXPECT_EQ(ValueOf(*cache_, "k"), "<miss>");
}

TEST_F(ExpiryTest, TouchAndGatChangeTheExpiry) {
  Set(*cache_, "k", "v", 5);
  EXPECT_EQ(cache_->Touch("k", 100), McCode::kOk);
  clock_.Advance(absl::Seconds(50));
  GetOptions gat;
  gat.new_exptime = 0;
  GetResult r = cache_->Get("k", gat);
  ASSERT_TRUE(r.hit());
  EXPECT_EQ(r.ttl, -1);
  clock_.Advance(absl::Hours(1000));
  EXPECT_EQ(ValueOf(*cache_, "k"), "v");
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.cmd_touch, 2u);
  EXPECT_EQ(st.touch_hits, 2u);
}

TEST_F(ExpiryTest, ExpiredKeysCountAsMissingForEveryCommand) {
  Set(*cache_, "k", "1", 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(testing::StoreAs(*cache_, StoreMode::kAdd, "k", "2").code, McCode::kOk);
  Set(*cache_, "r", "1", 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(testing::StoreAs(*cache_, StoreMode::kReplace, "r", "2").code, McCode::kNotStored);
  EXPECT_EQ(cache_->Incr("r", 1).code, McCode::kNotFound);
  EXPECT_EQ(cache_->Delete("r"), McCode::kNotFound);
}

TEST_F(ExpiryTest, FlushAllInvalidatesEverythingStoredBefore) {
  Set(*cache_, "a", "1");
  Set(*cache_, "b", "2", 100);
  cache_->FlushAll();
  EXPECT_EQ(ValueOf(*cache_, "a"), "<miss>");
  EXPECT_EQ(ValueOf(*cache_, "b"), "<miss>");
  // Stored in the same second, after the flush: CAS tells it apart.
  Set(*cache_, "c", "3");
  EXPECT_EQ(ValueOf(*cache_, "c"), "3");
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.get_flushed, 2u);
  EXPECT_EQ(st.cmd_flush, 1u);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(ValueOf(*cache_, "c"), "3");
}

TEST_F(ExpiryTest, FlushWithoutCasAlsoDropsSameSecondStores) {
  // memcached -C: the flush time is the whole current second.
  CacheOptions options = TestOptions(&clock_);
  options.use_cas = false;
  auto cache = MakeCache(options);
  Set(*cache, "a", "1");
  cache->FlushAll();
  Set(*cache, "b", "2");
  EXPECT_EQ(ValueOf(*cache, "a"), "<miss>");
  EXPECT_EQ(ValueOf(*cache, "b"), "<miss>");
  clock_.Advance(absl::Seconds(1));
  Set(*cache, "c", "3");
  EXPECT_EQ(ValueOf(*cache, "c"), "3");
}

TEST_F(ExpiryTest, DelayedFlush) {
  Set(*cache_, "old", "1");
  cache_->FlushAll(10);
  clock_.Advance(absl::Seconds(8));
  EXPECT_EQ(ValueOf(*cache_, "old"), "1");
  Set(*cache_, "mid", "2");  // Accessed before the flush time: flushed too.
  // memcached sets oldest_live to the flush time - 1, so the flush lands a
  // second early.
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ValueOf(*cache_, "old"), "<miss>");
  EXPECT_EQ(ValueOf(*cache_, "mid"), "<miss>");
  clock_.Advance(absl::Seconds(1));
  Set(*cache_, "new", "3");
  EXPECT_EQ(ValueOf(*cache_, "new"), "3");
  clock_.Advance(absl::Seconds(100));
  EXPECT_EQ(ValueOf(*cache_, "new"), "3");
}

TEST_F(ExpiryTest, FlushWithAbsoluteAndNegativeDelays) {
  Set(*cache_, "a", "1");
  cache_->FlushAll(kStart + 5);  // An absolute time 5 s ahead.
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(ValueOf(*cache_, "a"), "1");
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(ValueOf(*cache_, "a"), "<miss>");
  Set(*cache_, "b", "1");
  cache_->FlushAll(-1);  // memcached: like no delay.
  EXPECT_EQ(ValueOf(*cache_, "b"), "<miss>");
}

TEST_F(ExpiryTest, SweepReclaimsExpiredItemsNobodyReads) {
  for (int i = 0; i < 100; ++i) Set(*cache_, "short" + std::to_string(i), "v", 10);
  for (int i = 0; i < 50; ++i) Set(*cache_, "long" + std::to_string(i), "v", 1000);
  cache_->Get("short0");  // Fetched before expiring: not "unfetched".
  clock_.Advance(absl::Seconds(11));
  size_t removed = 0;
  for (int i = 0; i < 10; ++i) removed += cache_->ReclaimExpired(1 << 16);
  EXPECT_EQ(removed, 100u);
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.curr_items, 50u);
  EXPECT_EQ(st.crawler_reclaimed, 100u);
  EXPECT_EQ(st.expired_unfetched, 99u);
  // long0..long9 have 5-byte keys, long10..long49 6-byte ones.
  EXPECT_EQ(st.bytes, 10 * cache_->ItemSize(5, 0, 1) + 40 * cache_->ItemSize(6, 0, 1));
  EXPECT_GT(st.crawler_items_checked, 0u);
}

TEST_F(ExpiryTest, SweepAlsoReclaimsFlushedItems) {
  for (int i = 0; i < 20; ++i) Set(*cache_, "k" + std::to_string(i), "v");
  cache_->FlushAll();
  size_t removed = 0;
  for (int i = 0; i < 10; ++i) removed += cache_->ReclaimExpired(1 << 16);
  EXPECT_EQ(removed, 20u);
  EXPECT_EQ(cache_->GetStats().expired_unfetched, 0u);  // Flushed is not expired.
}

TEST_F(ExpiryTest, StoresReclaimExpiredItemsAtTheLruTail) {
  for (int i = 0; i < 3; ++i) Set(*cache_, "old" + std::to_string(i), "v", 1);
  clock_.Advance(absl::Seconds(2));
  // Every shard's next store looks at its own tail; keep storing until all
  // three were reclaimed that way.
  for (int i = 0; i < 200 && cache_->GetStats().reclaimed < 3; ++i) {
    Set(*cache_, "new" + std::to_string(i), "v");
  }
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.reclaimed, 3u);
  EXPECT_EQ(st.expired_unfetched, 3u);
}

TEST(ExpiryBackgroundTest, TheSweeperThreadFreesExpiredItems) {
  net::ManualClock clock;
  CacheOptions options = TestOptions(&clock);
  options.reclaim_interval = absl::Milliseconds(5);
  options.reclaim_buckets_per_run = 1 << 12;
  auto cache = MakeCache(options);
  for (int i = 0; i < 500; ++i) Set(*cache, "k" + std::to_string(i), "v", 2);
  clock.Advance(absl::Seconds(3));
  test_support::Eventually([&] { return cache->GetStats().curr_items == 0; }, absl::Seconds(20));
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.curr_items, 0u);
  EXPECT_EQ(st.crawler_reclaimed, 500u);
  EXPECT_EQ(st.bytes, 0u);
}

}  // namespace
}  // namespace server
}  // namespace memkit
