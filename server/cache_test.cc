// The storage engine's basic operations and their memcached outcomes.

#include "server/cache.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/cache_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::MakeCache;
using testing::Set;
using testing::StoreAs;
using testing::TestOptions;
using testing::ValueOf;

class CacheTest : public ::testing::Test {
 protected:
  net::ManualClock clock_;
  std::unique_ptr<Cache> cache_ = MakeCache(TestOptions(&clock_));
};

TEST(CacheCreateTest, RejectsOptionsMemcachedRejects) {
  CacheOptions options;
  options.item_size_max = 512;
  EXPECT_EQ(Cache::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = CacheOptions();
  options.memory_limit = 1024 * 1024;  // -m 1 with the default -I 1m
  EXPECT_EQ(Cache::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = CacheOptions();
  options.num_shards = 3;
  EXPECT_EQ(Cache::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = CacheOptions();
  options.growth_factor = 1.0;
  EXPECT_EQ(Cache::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = CacheOptions();
  options.item_size_max = 2048;
  options.slab_chunk_max = 4096;
  EXPECT_EQ(Cache::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = CacheOptions();
  options.reclaim_interval = absl::ZeroDuration();
  EXPECT_TRUE(Cache::Create(options).ok());
}

TEST_F(CacheTest, SetThenGetReturnsValueFlagsAndCas) {
  StoreResult stored = Set(*cache_, "key", "value", 0, 42);
  ASSERT_EQ(stored.code, McCode::kOk);
  EXPECT_NE(stored.cas, 0u);
  GetResult got = cache_->Get("key");
  ASSERT_TRUE(got.hit());
  EXPECT_EQ(got.item.key(), "key");
  EXPECT_EQ(got.item.value(), "value");
  EXPECT_EQ(got.item.client_flags(), 42u);
  EXPECT_EQ(got.cas, stored.cas);
  EXPECT_EQ(got.ttl, -1);
  EXPECT_FALSE(cache_->Get("other").hit());
}

TEST_F(CacheTest, EveryStoreGetsANewLargerCas) {
  const uint64_t a = Set(*cache_, "a", "1").cas;
  const uint64_t b = Set(*cache_, "b", "1").cas;
  const uint64_t a2 = Set(*cache_, "a", "2").cas;
  EXPECT_LT(a, b);
  EXPECT_LT(b, a2);
}

TEST_F(CacheTest, EmptyValueIsStored) {
  ASSERT_EQ(Set(*cache_, "k", "").code, McCode::kOk);
  GetResult got = cache_->Get("k");
  ASSERT_TRUE(got.hit());
  EXPECT_EQ(got.item.value(), "");
}

TEST_F(CacheTest, AddOnlyStoresMissingKeys) {
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kAdd, "k", "first").code, McCode::kOk);
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kAdd, "k", "second").code, McCode::kNotStored);
  EXPECT_EQ(ValueOf(*cache_, "k"), "first");
}

TEST_F(CacheTest, ReplaceOnlyStoresExistingKeys) {
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kReplace, "k", "v").code, McCode::kNotStored);
  EXPECT_EQ(ValueOf(*cache_, "k"), "<miss>");
  Set(*cache_, "k", "old");
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kReplace, "k", "new").code, McCode::kOk);
  EXPECT_EQ(ValueOf(*cache_, "k"), "new");
}

TEST_F(CacheTest, AppendAndPrependKeepOldFlagsAndExpiry) {
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kAppend, "k", "x").code, McCode::kNotStored);
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kPrepend, "k", "x").code, McCode::kNotStored);
  Set(*cache_, "k", "middle", /*exptime=*/100, /*flags=*/7);
  StoreResult appended = StoreAs(*cache_, StoreMode::kAppend, "k", "-end", 0, 99);
  ASSERT_EQ(appended.code, McCode::kOk);
  ASSERT_EQ(StoreAs(*cache_, StoreMode::kPrepend, "k", "start-", 5000, 98).code, McCode::kOk);
  GetResult got = cache_->Get("k");
  ASSERT_TRUE(got.hit());
  EXPECT_EQ(got.item.value(), "start-middle-end");
  EXPECT_EQ(got.item.client_flags(), 7u);
  EXPECT_EQ(got.ttl, 100);
}

TEST_F(CacheTest, AppendHonoursAMetaCas) {
  const uint64_t cas = Set(*cache_, "k", "a").cas;
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kAppend, "k", "b", 0, 0, cas + 100).code, McCode::kExists);
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kAppend, "k", "b", 0, 0, cas).code, McCode::kOk);
  EXPECT_EQ(ValueOf(*cache_, "k"), "ab");
}

TEST_F(CacheTest, CasOutcomesAndCounters) {
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kCas, "k", "v", 0, 0, 1).code, McCode::kNotFound);
  const uint64_t cas = Set(*cache_, "k", "v1").cas;
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kCas, "k", "v2", 0, 0, cas + 1).code, McCode::kExists);
  // memcached treats a zero CAS on the cas command as a mismatch.
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kCas, "k", "v2", 0, 0, 0).code, McCode::kExists);
  StoreResult ok = StoreAs(*cache_, StoreMode::kCas, "k", "v3", 0, 0, cas);
  ASSERT_EQ(ok.code, McCode::kOk);
  EXPECT_GT(ok.cas, cas);
  EXPECT_EQ(ValueOf(*cache_, "k"), "v3");
  // The old CAS no longer matches.
  EXPECT_EQ(StoreAs(*cache_, StoreMode::kCas, "k", "v4", 0, 0, cas).code, McCode::kExists);
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.cas_misses, 1u);
  EXPECT_EQ(st.cas_badval, 3u);
  EXPECT_EQ(st.cas_hits, 1u);
}

TEST_F(CacheTest, DeleteHitMissAndCas) {
  EXPECT_EQ(cache_->Delete("k"), McCode::kNotFound);
  const uint64_t cas = Set(*cache_, "k", "v").cas;
  DeleteOptions wrong;
  wrong.cas = cas + 1;
  EXPECT_EQ(cache_->Delete("k", wrong), McCode::kExists);
  EXPECT_EQ(ValueOf(*cache_, "k"), "v");
  DeleteOptions right;
  right.cas = cas;
  EXPECT_EQ(cache_->Delete("k", right), McCode::kOk);
  EXPECT_EQ(ValueOf(*cache_, "k"), "<miss>");
  Set(*cache_, "k", "v");
  EXPECT_EQ(cache_->Delete("k"), McCode::kOk);
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.delete_hits, 2u);
  EXPECT_EQ(st.delete_misses, 2u);
  EXPECT_EQ(st.curr_items, 0u);
  EXPECT_EQ(st.bytes, 0u);
}

TEST_F(CacheTest, TouchHitAndMiss) {
  EXPECT_EQ(cache_->Touch("k", 10), McCode::kNotFound);
  Set(*cache_, "k", "v");
  EXPECT_EQ(cache_->Touch("k", 10), McCode::kOk);
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.cmd_touch, 2u);
  EXPECT_EQ(st.touch_hits, 1u);
  EXPECT_EQ(st.touch_misses, 1u);
  EXPECT_EQ(st.cmd_get, 0u);
}

TEST_F(CacheTest, GetMultiAnswersInRequestOrder) {
  Set(*cache_, "a", "1");
  Set(*cache_, "c", "3");
  std::vector<absl::string_view> keys = {"a", "b", "c", "a", "zz"};
  std::vector<GetResult> results;
  cache_->GetMulti(keys, GetOptions(), &results);
  ASSERT_EQ(results.size(), keys.size());
  EXPECT_EQ(results[0].item.value(), "1");
  EXPECT_FALSE(results[1].hit());
  EXPECT_EQ(results[2].item.value(), "3");
  EXPECT_EQ(results[3].item.value(), "1");
  EXPECT_FALSE(results[4].hit());
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.cmd_get, 5u);
  EXPECT_EQ(st.get_hits, 3u);
  EXPECT_EQ(st.get_misses, 2u);
  // Reusing the vector replaces the old answers.
  cache_->GetMulti(std::vector<absl::string_view>{"c"}, GetOptions(), &results);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].item.value(), "3");
}

TEST_F(CacheTest, GetMultiWithManyKeysAcrossShards) {
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("key" + std::to_string(i));
  for (int i = 0; i < 300; i += 2) Set(*cache_, names[i], names[i] + "-value");
  std::vector<absl::string_view> keys(names.begin(), names.end());
  std::vector<GetResult> results;
  cache_->GetMulti(keys, GetOptions(), &results);
  for (int i = 0; i < 300; ++i) {
    if (i % 2 == 0) {
      ASSERT_TRUE(results[i].hit()) << i;
      EXPECT_EQ(results[i].item.value(), names[i] + "-value");
    } else {
      EXPECT_FALSE(results[i].hit()) << i;
    }
  }
}

TEST_F(CacheTest, ItemRefOutlivesReplaceDeleteAndFlush) {
  Set(*cache_, "k", "original");
  ItemRef held = cache_->Get("k").item;
  ItemRef copy = held;
  Set(*cache_, "k", "replacement");
  EXPECT_EQ(held.value(), "original");
  cache_->Delete("k");
  cache_->FlushAll();
  EXPECT_EQ(held.value(), "original");
  EXPECT_EQ(copy.key(), "k");
  ItemRef moved = std::move(held);
  EXPECT_FALSE(held);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract.
  EXPECT_EQ(moved.value(), "original");
}

TEST_F(CacheTest, ItemRefOutlivesTheCache) {
  Set(*cache_, "k", "v");
  ItemRef held = cache_->Get("k").item;
  cache_.reset();
  EXPECT_EQ(held.value(), "v");
}

TEST_F(CacheTest, TwoStepStoreFillsTheValueInPlace) {
  StoreRequest request;
  request.client_flags = 3;
  absl::StatusOr<NewItem> item = cache_->Allocate("k", 5, request);
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->key(), "k");
  ASSERT_EQ(item->value_size(), 5u);
  std::memcpy(item->mutable_value(), "hello", 5);
  StoreResult r = cache_->Store(std::move(*item));
  ASSERT_EQ(r.code, McCode::kOk);
  GetResult got = cache_->Get("k");
  EXPECT_EQ(got.item.value(), "hello");
  EXPECT_EQ(got.item.client_flags(), 3u);
  // An item allocated and dropped is simply freed (ASan checks the leak).
  ASSERT_TRUE(cache_->Allocate("other", 10, request).ok());
  EXPECT_EQ(ValueOf(*cache_, "other"), "<miss>");
  EXPECT_EQ(cache_->Store(NewItem()).code, McCode::kNotStored);
}

TEST_F(CacheTest, BadKeysAreRefusedNotCrashed) {
  const std::string long_key(251, 'k');
  EXPECT_EQ(Set(*cache_, "", "v").code, McCode::kClientError);
  EXPECT_EQ(Set(*cache_, long_key, "v").code, McCode::kClientError);
  EXPECT_EQ(Set(*cache_, std::string(250, 'k'), "v").code, McCode::kOk);
  EXPECT_FALSE(cache_->Get(long_key).hit());
  EXPECT_FALSE(cache_->Get("").hit());
  EXPECT_EQ(cache_->Delete(long_key), McCode::kNotFound);
  EXPECT_EQ(cache_->Incr(long_key, 1).code, McCode::kClientError);
  EXPECT_EQ(cache_->Allocate("", 1, StoreRequest()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CacheTest, KeysWithAnyBytesWork) {
  const std::string binary_key("a\0b\xff", 4);
  Set(*cache_, binary_key, "v");
  EXPECT_EQ(ValueOf(*cache_, binary_key), "v");
  EXPECT_EQ(ValueOf(*cache_, "a"), "<miss>");
}

TEST_F(CacheTest, CountersFollowMemcached) {
  Set(*cache_, "a", "1");
  Set(*cache_, "a", "2");
  StoreAs(*cache_, StoreMode::kAdd, "a", "3");
  cache_->Get("a");
  cache_->Get("nope");
  CacheStats st = cache_->GetStats();
  EXPECT_EQ(st.cmd_set, 3u);  // Every store attempt that got memory.
  EXPECT_EQ(st.total_items, 2u);
  EXPECT_EQ(st.curr_items, 1u);
  EXPECT_EQ(st.cmd_get, 2u);
  EXPECT_EQ(st.get_hits, 1u);
  EXPECT_EQ(st.get_misses, 1u);
  EXPECT_EQ(st.limit_maxbytes, 64u * 1024 * 1024);
  cache_->ResetStats();
  st = cache_->GetStats();
  EXPECT_EQ(st.cmd_set, 0u);
  EXPECT_EQ(st.total_items, 0u);
  EXPECT_EQ(st.cmd_get, 0u);
  EXPECT_EQ(st.curr_items, 1u);  // State survives a reset.
  EXPECT_EQ(st.bytes, cache_->ItemSize(1, 0, 1));
}

TEST_F(CacheTest, CasDisabledMeansZeroCasEverywhere) {
  CacheOptions options = TestOptions(&clock_);
  options.use_cas = false;
  auto cache = MakeCache(options);
  StoreResult r = Set(*cache, "k", "v");
  EXPECT_EQ(r.cas, 0u);
  EXPECT_EQ(cache->Get("k").cas, 0u);
  EXPECT_EQ(cache->ItemSize(1, 0, 1), 48u + 2 + 3);
  EXPECT_EQ(cache->GetStats().bytes, 53u);
  EXPECT_EQ(StoreAs(*cache, StoreMode::kCas, "k", "w", 0, 0, 5).code, McCode::kExists);
}

TEST_F(CacheTest, InspectReportsMetadataWithoutCountingAHit) {
  Set(*cache_, "k", "value", /*exptime=*/100, /*flags=*/1);
  clock_.Advance(absl::Seconds(3));
  std::optional<ItemInfo> info = cache_->Inspect("k");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->key, "k");
  EXPECT_EQ(info->value_length, 5u);
  EXPECT_EQ(info->ttl, 97);
  EXPECT_EQ(info->idle, 3u);
  EXPECT_FALSE(info->fetched);
  EXPECT_EQ(info->total_size, 48u + 2 + 4 + 7 + 8);
  EXPECT_EQ(info->slab_class, 1);
  EXPECT_EQ(info->exptime_unix, 1700000000 + 100);
  EXPECT_EQ(cache_->GetStats().cmd_get, 0u);
  EXPECT_FALSE(cache_->Inspect("missing").has_value());
}

TEST_F(CacheTest, ForEachItemSeesLiveItemsSizeHistogramLinkedOnes) {
  Set(*cache_, "a", std::string(10, 'x'));
  Set(*cache_, "b", std::string(100, 'x'));
  Set(*cache_, "gone", "x", /*exptime=*/-1);
  std::vector<std::string> keys;
  cache_->ForEachItem([&](const ItemInfo& info) {
    keys.emplace_back(info.key);
    return true;
  });
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
  // Like memcached's, the histogram counts items until they are unlinked,
  // "gone" (expired, not yet removed) too: 48+5+3+8 = 64.
  auto histogram = cache_->SizeHistogram();
  // a: 48+2+12+8 = 70 -> 96; b: 48+2+102+8 = 160 -> 160.
  ASSERT_EQ(histogram.size(), 3u);
  EXPECT_EQ(histogram[0], (std::pair<size_t, uint64_t>{64, 1}));
  EXPECT_EQ(histogram[1], (std::pair<size_t, uint64_t>{96, 1}));
  EXPECT_EQ(histogram[2], (std::pair<size_t, uint64_t>{160, 1}));
  cache_->ReclaimExpired(1 << 20);
  EXPECT_EQ(cache_->SizeHistogram().size(), 2u);
  int visited = 0;
  cache_->ForEachItem([&](const ItemInfo&) { return ++visited < 1; });
  EXPECT_EQ(visited, 1);
}

TEST_F(CacheTest, StatusMappingUsesMemcachedWording) {
  EXPECT_TRUE(CacheStatus(McCode::kOk).ok());
  absl::Status too_large = CacheStatus(McCode::kTooLarge);
  EXPECT_EQ(too_large.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(too_large.message(), "object too large for cache");
  EXPECT_EQ(GetMcCode(CacheStatus(McCode::kExists)), McCode::kExists);
  EXPECT_EQ(CacheStatus(McCode::kOutOfMemory).code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace server
}  // namespace memkit
