// What the meta protocol needs from the engine: mg's h/l/t flags, lease
// tokens (N vivify, R recache, W/Z), stale items (md I, ms I) and `me`.

#include <string>

#include "gtest/gtest.h"
#include "server/cache.h"
#include "server/cache_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::MakeCache;
using testing::Set;
using testing::StoreAs;
using testing::TestOptions;
using testing::ValueOf;

class MetaTest : public ::testing::Test {
 protected:
  net::ManualClock clock_;
  std::unique_ptr<Cache> cache_ = MakeCache(TestOptions(&clock_));
};

TEST_F(MetaTest, HitBeforeAndLastAccessAreReportedBeforeTheBump) {
  Set(*cache_, "k", "v");
  clock_.Advance(absl::Seconds(3));
  GetResult first = cache_->Get("k");
  EXPECT_FALSE(first.fetched);
  EXPECT_EQ(first.last_access, 3u);
  // memcached's first fetch only marks the item fetched; its access time
  // moves from the second fetch on.
  GetResult second = cache_->Get("k");
  EXPECT_TRUE(second.fetched);
  EXPECT_EQ(second.last_access, 3u);
  clock_.Advance(absl::Seconds(2));
  GetResult third = cache_->Get("k");
  EXPECT_EQ(third.last_access, 2u);
}

TEST_F(MetaTest, NoBumpLeavesTheItemUnfetched) {
  Set(*cache_, "k", "v");
  GetOptions peek;
  peek.bump = false;
  EXPECT_TRUE(cache_->Get("k", peek).hit());
  EXPECT_FALSE(cache_->Get("k", peek).fetched);
  EXPECT_EQ(cache_->GetStats().get_hits, 2u);  // Still a get.
}

TEST_F(MetaTest, TouchThroughGetReportsTheNewTtl) {
  Set(*cache_, "k", "v", 100);
  GetOptions options;
  options.new_exptime = 30;
  EXPECT_EQ(cache_->Get("k", options).ttl, 30);
  options.new_exptime = 0;
  EXPECT_EQ(cache_->Get("k", options).ttl, -1);
}

TEST_F(MetaTest, VivifyOnMissHandsOutOneWinToken) {
  GetOptions options;
  options.vivify_exptime = 30;
  GetResult first = cache_->Get("k", options);
  ASSERT_TRUE(first.hit());
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(first.win);
  EXPECT_FALSE(first.token_sent);
  EXPECT_EQ(first.item.value(), "");
  EXPECT_EQ(first.ttl, 30);
  GetResult second = cache_->Get("k", options);
  ASSERT_TRUE(second.hit());
  EXPECT_FALSE(second.created);
  EXPECT_FALSE(second.win);
  EXPECT_TRUE(second.token_sent);
  // The winner fills it in; the new item carries no token.
  Set(*cache_, "k", "filled", 100);
  GetResult third = cache_->Get("k", options);
  EXPECT_EQ(third.item.value(), "filled");
  EXPECT_FALSE(third.win);
  EXPECT_FALSE(third.token_sent);
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.get_misses, 0u);  // memcached counts autovivify as a hit.
  EXPECT_EQ(st.get_hits, 3u);
}

TEST_F(MetaTest, RecacheWinsWhenTheTtlDropsBelowTheThreshold) {
  Set(*cache_, "k", "v", 100);
  GetOptions options;
  options.recache_exptime = 30;
  EXPECT_FALSE(cache_->Get("k", options).win);
  clock_.Advance(absl::Seconds(71));  // 29 s left.
  GetResult win = cache_->Get("k", options);
  EXPECT_TRUE(win.win);
  EXPECT_FALSE(win.token_sent);
  GetResult later = cache_->Get("k", options);
  EXPECT_FALSE(later.win);
  EXPECT_TRUE(later.token_sent);
  // Items that never expire are never recached.
  Set(*cache_, "forever", "v", 0);
  EXPECT_FALSE(cache_->Get("forever", options).win);
}

TEST_F(MetaTest, MarkStaleKeepsTheItemAndInvitesOneRefresh) {
  const uint64_t cas = Set(*cache_, "k", "v", 100).cas;
  DeleteOptions invalidate;
  invalidate.mark_stale = true;
  invalidate.new_exptime = 30;
  EXPECT_EQ(cache_->Delete("k", invalidate), McCode::kOk);
  GetResult first = cache_->Get("k");
  ASSERT_TRUE(first.hit());
  EXPECT_EQ(first.item.value(), "v");
  EXPECT_TRUE(first.stale);
  EXPECT_TRUE(first.win);
  EXPECT_FALSE(first.token_sent);
  EXPECT_GT(first.cas, cas);
  EXPECT_EQ(first.ttl, 30);
  GetResult second = cache_->Get("k");
  EXPECT_TRUE(second.stale);
  EXPECT_FALSE(second.win);
  EXPECT_TRUE(second.token_sent);
  EXPECT_EQ(cache_->GetStats().delete_hits, 0u);
  // Marking again lets a new client win.
  EXPECT_EQ(cache_->Delete("k", invalidate), McCode::kOk);
  EXPECT_TRUE(cache_->Get("k").win);
}

TEST_F(MetaTest, SetStaleStoresAnOlderCasAsStale) {
  const uint64_t old_cas = Set(*cache_, "k", "v1", 100).cas;
  const uint64_t new_cas = Set(*cache_, "k", "v2", 50).cas;
  ASSERT_LT(old_cas, new_cas);
  StoreRequest request;
  request.mode = StoreMode::kCas;
  request.cas = old_cas;
  request.exptime = 1000;
  // Without I, an older CAS is a plain conflict.
  EXPECT_EQ(cache_->Store("k", "late", request).code, McCode::kExists);
  request.set_stale = true;
  StoreResult r = cache_->Store("k", "late", request);
  ASSERT_EQ(r.code, McCode::kOk);
  GetResult got = cache_->Get("k");
  EXPECT_EQ(got.item.value(), "late");
  EXPECT_TRUE(got.stale);
  EXPECT_EQ(got.ttl, 50);  // The TTL of the item it replaced.
  EXPECT_TRUE(got.win);
  // A newer (non-matching) CAS is still a conflict, even with I.
  request.cas = r.cas + 100;
  EXPECT_EQ(cache_->Store("k", "x", request).code, McCode::kExists);
}

TEST_F(MetaTest, SetStaleInheritsASentToken) {
  const uint64_t old_cas = Set(*cache_, "k", "v1").cas;
  Set(*cache_, "k", "v2");
  DeleteOptions invalidate;
  invalidate.mark_stale = true;
  cache_->Delete("k", invalidate);
  ASSERT_TRUE(cache_->Get("k").win);  // Token goes out.
  StoreRequest request;
  request.mode = StoreMode::kCas;
  request.cas = old_cas;
  request.set_stale = true;
  ASSERT_EQ(cache_->Store("k", "v3", request).code, McCode::kOk);
  GetResult got = cache_->Get("k");
  EXPECT_TRUE(got.stale);
  EXPECT_TRUE(got.token_sent);
  EXPECT_FALSE(got.win);
}

TEST_F(MetaTest, MetaDeleteWithCas) {
  const uint64_t cas = Set(*cache_, "k", "v").cas;
  DeleteOptions options;
  options.cas = cas + 1;
  options.mark_stale = true;
  EXPECT_EQ(cache_->Delete("k", options), McCode::kExists);
  EXPECT_FALSE(cache_->Get("k").stale);
}

TEST_F(MetaTest, DropOnFailureRemovesTheOldValue) {
  CacheOptions options = TestOptions(&clock_);
  options.item_size_max = 1024;
  auto cache = MakeCache(options);
  const std::string big(2000, 'x');
  Set(*cache, "k", "v");
  // Text `add` keeps the old value when the new one is too large...
  EXPECT_EQ(StoreAs(*cache, StoreMode::kAdd, "k", big).code, McCode::kTooLarge);
  EXPECT_EQ(ValueOf(*cache, "k"), "v");
  // ...an ms in add mode (drop_on_failure) does not...
  StoreRequest ms_add;
  ms_add.mode = StoreMode::kAdd;
  ms_add.drop_on_failure = true;
  EXPECT_EQ(cache->Store("k", big, ms_add).code, McCode::kTooLarge);
  EXPECT_EQ(ValueOf(*cache, "k"), "<miss>");
  // ...and neither does `set`.
  Set(*cache, "k", "v");
  EXPECT_EQ(Set(*cache, "k", big).code, McCode::kTooLarge);
  EXPECT_EQ(ValueOf(*cache, "k"), "<miss>");
  EXPECT_EQ(cache->GetStats().store_too_large, 3u);
}

}  // namespace
}  // namespace server
}  // namespace memkit
