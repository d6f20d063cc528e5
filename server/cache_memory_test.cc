// Memory accounting (memcached's slab pages and chunks), the item size limit,
// per-class eviction and -M refusal.

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
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

std::string Key(int i) { return absl::StrFormat("k%03d", i); }

class MemoryTest : public ::testing::Test {
 protected:
  // Four 16 KiB slab pages, 1 KiB items at most, one shard so each class has
  // one LRU. A 100-byte value under a 3- or 4-byte key is 162-163 bytes:
  // class 4 (192-byte chunks), 85 to a page, 340 in all.
  static constexpr size_t kFit = 4 * (16 * 1024 / 192);
  CacheOptions SmallOptions(bool evict = true, int shards = 1) {
    CacheOptions options = TestOptions(&clock_);
    options.memory_limit = 64 * 1024;
    options.slab_page_size = 16 * 1024;
    options.item_size_max = 1024;
    options.evict = evict;
    options.num_shards = shards;
    return options;
  }

  net::ManualClock clock_;
};

TEST_F(MemoryTest, BytesAddUpMemcachedItemSizes) {
  auto cache = MakeCache(TestOptions(&clock_));
  Set(*cache, "a", "", 0, 0);           // 48 + 2 + 0 + 2 + 8 = 60
  Set(*cache, "bb", "hello", 0, 7);     // 48 + 3 + 4 + 7 + 8 = 70
  Set(*cache, "ccc", std::string(100, 'x'));  // 48 + 4 + 102 + 8 = 162
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.bytes, 60u + 70u + 162u);
  EXPECT_EQ(st.heap_bytes, (56u + 1) + (56u + 2 + 5) + (56u + 3 + 100));
  Set(*cache, "bb", "hi", 0, 0);
  EXPECT_EQ(cache->GetStats().bytes, 60u + 63u + 162u);
  cache->Delete("a");
  cache->Delete("bb");
  cache->Delete("ccc");
  st = cache->GetStats();
  EXPECT_EQ(st.bytes, 0u);
  EXPECT_EQ(st.heap_bytes, 0u);
}

TEST_F(MemoryTest, ItemSizeBoundaryMatchesMemcached) {
  // Checked against memcached 1.6.18 -I 1m: the limit covers 48 + key + 1 +
  // (flags ? 4 : 0) + value + 2 + 8.
  auto cache = MakeCache(TestOptions(&clock_));
  EXPECT_EQ(Set(*cache, "k", std::string(1048516, 'x')).code, McCode::kOk);
  EXPECT_EQ(Set(*cache, "k", std::string(1048517, 'x')).code, McCode::kTooLarge);
  EXPECT_EQ(Set(*cache, "k", std::string(1048512, 'x'), 0, 1).code, McCode::kOk);
  EXPECT_EQ(Set(*cache, "k", std::string(1048513, 'x'), 0, 1).code, McCode::kTooLarge);
  EXPECT_EQ(Set(*cache, "kk", std::string(1048515, 'x')).code, McCode::kOk);
  EXPECT_EQ(Set(*cache, "kk", std::string(1048516, 'x')).code, McCode::kTooLarge);
  absl::StatusOr<NewItem> item = cache->Allocate("k", 1048517, StoreRequest());
  EXPECT_EQ(item.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(GetMcCode(item.status()), McCode::kTooLarge);
  EXPECT_EQ(cache->Allocate("k", size_t{1} << 40, StoreRequest()).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_F(MemoryTest, ItemSizeBoundaryWithASmallLimitAndWithoutCas) {
  // memcached -I 1k: 963 and 964 stored, 965 too large (key "k").
  CacheOptions options = TestOptions(&clock_);
  options.item_size_max = 1024;
  auto cache = MakeCache(options);
  EXPECT_EQ(Set(*cache, "k", std::string(964, 'x')).code, McCode::kOk);
  EXPECT_EQ(Set(*cache, "k", std::string(965, 'x')).code, McCode::kTooLarge);
  options.use_cas = false;  // -C: 8 bytes more room.
  auto no_cas = MakeCache(options);
  EXPECT_EQ(Set(*no_cas, "k", std::string(972, 'x')).code, McCode::kOk);
  EXPECT_EQ(Set(*no_cas, "k", std::string(973, 'x')).code, McCode::kTooLarge);
}

TEST_F(MemoryTest, AppendBeyondTheItemLimitIsNotStored) {
  CacheOptions options = TestOptions(&clock_);
  options.item_size_max = 1024;
  auto cache = MakeCache(options);
  Set(*cache, "k", std::string(900, 'x'));
  EXPECT_EQ(StoreAs(*cache, StoreMode::kAppend, "k", std::string(100, 'y')).code,
            McCode::kNotStored);
  EXPECT_EQ(StoreAs(*cache, StoreMode::kAppend, "k", std::string(64, 'y')).code, McCode::kOk);
}

TEST_F(MemoryTest, EvictsTheLeastRecentlyUsed) {
  auto cache = MakeCache(SmallOptions());
  const size_t fit = kFit;
  Set(*cache, "hot", std::string(100, 'h'));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(Set(*cache, Key(i), std::string(100, 'x'), i % 2 == 0 ? 0 : 1000).code, McCode::kOk);
    if (i % 50 == 0) {
      ASSERT_EQ(ValueOf(*cache, "hot"), std::string(100, 'h'));
    }
  }
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.total_malloced, 64u * 1024);
  EXPECT_EQ(st.curr_items, fit);
  EXPECT_EQ(st.evictions, 1001 - fit);
  EXPECT_EQ(st.evicted_unfetched, 1001 - fit);
  EXPECT_EQ(st.evicted_nonzero, (1001 - fit) / 2);
  EXPECT_EQ(ValueOf(*cache, "hot"), std::string(100, 'h'));
  EXPECT_EQ(ValueOf(*cache, Key(999)), std::string(100, 'x'));
  EXPECT_EQ(ValueOf(*cache, Key(0)), "<miss>");
  EXPECT_EQ(ValueOf(*cache, Key(1000 - static_cast<int>(fit))), "<miss>");
  EXPECT_TRUE(testing::Present(*cache, Key(1001 - static_cast<int>(fit))));
}

TEST_F(MemoryTest, EvictedTimeReportsTheVictimsIdleSeconds) {
  auto cache = MakeCache(SmallOptions());
  for (int i = 0; i < static_cast<int>(kFit); ++i) Set(*cache, Key(i), std::string(100, 'x'));
  clock_.Advance(absl::Seconds(7));
  EXPECT_EQ(cache->GetStats().lru_tail_age, 7u);
  Set(*cache, "new", std::string(100, 'x'));
  CacheStats st = cache->GetStats();
  ASSERT_EQ(st.evictions, 1u);
  ASSERT_FALSE(st.slab_classes.empty());
  bool found = false;
  for (const SlabClassStats& c : st.slab_classes) {
    if (c.evicted == 0) continue;
    found = true;
    EXPECT_EQ(c.evicted_time, 7u);
  }
  EXPECT_TRUE(found);
}

TEST_F(MemoryTest, HeldItemsSurviveTheirEviction) {
  auto cache = MakeCache(SmallOptions());
  Set(*cache, "first", std::string(100, 'f'));
  ItemRef held = cache->Get("first").item;
  for (int i = 0; i < 1000; ++i) Set(*cache, Key(i), std::string(100, 'x'));
  EXPECT_EQ(ValueOf(*cache, "first"), "<miss>");
  EXPECT_EQ(held.value(), std::string(100, 'f'));
}

TEST_F(MemoryTest, EvictionReachesIntoOtherShards) {
  // Many shards and large items: a store whose own shard has nothing left to
  // evict must take memory from the others.
  auto cache = MakeCache(SmallOptions(/*evict=*/true, /*shards=*/16));
  for (int i = 0; i < 2000; ++i) {
    const std::string value(i % 3 == 0 ? 900 : 50, 'x');
    ASSERT_EQ(Set(*cache, Key(i), value).code, McCode::kOk) << i;
  }
  // Two classes (964-byte items in the 1024 class, 114-byte ones in 120)
  // share the four pages and evict within themselves.
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.total_malloced, 64u * 1024);
  EXPECT_GT(st.evictions, 0u);
  EXPECT_EQ(st.outofmemory, 0u);
  uint64_t used = 0;
  for (const SlabClassStats& c : st.slab_classes) {
    used += c.used_chunks;
    EXPECT_EQ(c.used_chunks, c.total_pages * c.chunks_per_page) << c.id;  // full
    EXPECT_EQ(c.used_chunks, c.number) << c.id;
  }
  EXPECT_EQ(used, st.curr_items);
}

TEST_F(MemoryTest, WithoutEvictionStoresFailWhenFull) {
  auto cache = MakeCache(SmallOptions(/*evict=*/false));
  int stored = 0;
  McCode last = McCode::kOk;
  for (int i = 0; i < 1000 && last == McCode::kOk; ++i) {
    last = Set(*cache, Key(i), std::string(100, 'x')).code;
    if (last == McCode::kOk) ++stored;
  }
  EXPECT_EQ(last, McCode::kOutOfMemory);
  EXPECT_EQ(stored, static_cast<int>(kFit));
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.evictions, 0u);
  EXPECT_EQ(st.store_no_memory, 1u);
  EXPECT_EQ(st.outofmemory, 1u);
  // memcached allocates before it looks at the key: add on an existing key
  // fails with out of memory (and keeps it), set drops the old value.
  EXPECT_EQ(StoreAs(*cache, StoreMode::kAdd, Key(0), std::string(100, 'y')).code,
            McCode::kOutOfMemory);
  EXPECT_TRUE(testing::Present(*cache, Key(0)));
  EXPECT_EQ(Set(*cache, Key(0), std::string(100, 'y')).code, McCode::kOutOfMemory);
  EXPECT_FALSE(testing::Present(*cache, Key(0)));
  // Room was made by the drop, so the next store fits.
  EXPECT_EQ(Set(*cache, Key(0), std::string(100, 'z')).code, McCode::kOk);
  // A new key of the same class does not fit either...
  EXPECT_EQ(Set(*cache, "n", std::string(100, 'x')).code, McCode::kOutOfMemory);
  // ...but one of a class without a page gets its first page, past -m, as in
  // memcached.
  EXPECT_EQ(Set(*cache, "n", "99").code, McCode::kOk);
  EXPECT_EQ(cache->GetStats().total_malloced, 80u * 1024);
}

TEST_F(MemoryTest, WithoutEvictionExpiredItemsStillMakeRoom) {
  auto cache = MakeCache(SmallOptions(/*evict=*/false));
  for (int i = 0; i < static_cast<int>(kFit); ++i) {
    ASSERT_EQ(Set(*cache, Key(i), std::string(100, 'x'), 5).code, McCode::kOk);
  }
  EXPECT_EQ(Set(*cache, "more", std::string(100, 'x')).code, McCode::kOutOfMemory);
  clock_.Advance(absl::Seconds(6));
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Set(*cache, "new" + std::to_string(i), std::string(100, 'x')).code, McCode::kOk);
  }
  EXPECT_GE(cache->GetStats().reclaimed, 100u);
}

TEST_F(MemoryTest, LoweringTheLimitStopsNewPages) {
  // cache_memlimit frees no page (memcached neither): the classes keep what
  // they have and evict once that is full.
  auto cache = MakeCache(SmallOptions());
  for (int i = 0; i < 170; ++i) Set(*cache, Key(i), std::string(100, 'x'));  // two pages
  cache->SetMemoryLimit(32 * 1024);
  EXPECT_EQ(cache->GetStats().limit_maxbytes, 32u * 1024);
  for (int i = 170; i < 270; ++i) Set(*cache, Key(i), std::string(100, 'x'));
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.total_malloced, 32u * 1024);
  EXPECT_EQ(st.curr_items, 170u);
  EXPECT_EQ(st.evictions, 100u);
}

TEST_F(MemoryTest, TinyLimitEvictsPerClassAsMemcached) {
  // memcached 1.6.18 -m 2: 20000 sets of 100 bytes under "a%05d" (class 4)
  // then 1000 of 3000 bytes under "b%05d" (class 17) give these stats.
  CacheOptions options = TestOptions(&clock_);
  options.memory_limit = 2 * 1024 * 1024;
  options.num_shards = 1;
  auto cache = MakeCache(options);
  for (int i = 0; i < 20000; ++i) {
    ASSERT_EQ(Set(*cache, absl::StrFormat("a%05d", i), std::string(100, 'x')).code, McCode::kOk);
  }
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(Set(*cache, absl::StrFormat("b%05d", i), std::string(3000, 'x')).code, McCode::kOk);
  }
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.total_malloced, 3u * 1024 * 1024);
  ASSERT_EQ(st.slab_classes.size(), 2u);
  const SlabClassStats& small = st.slab_classes[0];
  EXPECT_EQ(small.id, 4);
  EXPECT_EQ(small.total_pages, 2u);
  EXPECT_EQ(small.used_chunks, 10922u);
  EXPECT_EQ(small.number, 10922u);
  EXPECT_EQ(small.evicted, 9078u);
  const SlabClassStats& big = st.slab_classes[1];
  EXPECT_EQ(big.id, 17);
  EXPECT_EQ(big.total_pages, 1u);  // its first page, past -m
  EXPECT_EQ(big.used_chunks, 288u);
  EXPECT_EQ(big.evicted, 712u);
  EXPECT_EQ(st.evictions, 9790u);
}

TEST_F(MemoryTest, ReplacingExpiredItemsTakesNoNewPage) {
  auto cache = MakeCache(TestOptions(&clock_));
  for (int i = 0; i < 3000; ++i) Set(*cache, Key(i), std::string(1000, 'x'), 10);
  const uint64_t malloced = cache->GetStats().total_malloced;
  EXPECT_EQ(malloced, 4u * 1024 * 1024);  // 1063-byte items: 1184-byte chunks, 885 a page
  clock_.Advance(absl::Seconds(11));
  // The same keys again, then as many new keys of the same size: the expired
  // items' chunks are reused.
  for (int i = 0; i < 3000; ++i) Set(*cache, Key(i), std::string(1000, 'y'), 10);
  EXPECT_EQ(cache->GetStats().total_malloced, malloced);
  clock_.Advance(absl::Seconds(11));
  for (int i = 0; i < 3000; ++i) Set(*cache, "n" + Key(i).substr(1), std::string(1000, 'z'));
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.total_malloced, malloced);
  EXPECT_EQ(st.curr_items, 3000u);
}

TEST_F(MemoryTest, ItemsAboveTheChunkMaxAreCountedInChunks) {
  // memcached 1.6.18 -m 64, after 100 sets of 100 bytes and 3 of 600000:
  // classes 2 (headers, 3 used), 4 (100 used), 31 (the tails, 3 used) and
  // 39 (2 pages, 3 used); total_malloced 5 MiB; items:39:number 3.
  auto cache = MakeCache(TestOptions(&clock_));
  for (int i = 0; i < 100; ++i) Set(*cache, "k" + std::to_string(i), std::string(100, 'x'));
  for (int i = 0; i < 3; ++i) Set(*cache, "big" + std::to_string(i), std::string(600000, 'x'));
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.total_malloced, 5u * 1024 * 1024);
  std::vector<std::vector<uint64_t>> got;
  for (const SlabClassStats& c : st.slab_classes) {
    got.push_back({static_cast<uint64_t>(c.id), c.total_pages, c.used_chunks, c.number});
  }
  EXPECT_EQ(got, (std::vector<std::vector<uint64_t>>{
                     {2, 1, 3, 0}, {4, 1, 100, 100}, {31, 1, 3, 0}, {39, 2, 3, 3}}));
  EXPECT_EQ(st.slab_classes[3].mem_requested, 3 * 600063u);  // items:39:mem_requested
  cache->Delete("big0");
  st = cache->GetStats();
  EXPECT_EQ(st.slab_classes[0].used_chunks, 2u);
  EXPECT_EQ(st.slab_classes[3].used_chunks, 2u);
}

TEST_F(MemoryTest, LimitsAbove4GiB) {
  CacheOptions options = TestOptions(&clock_);
  options.memory_limit = size_t{8} << 30;  // -m 8192
  auto cache = MakeCache(options);
  EXPECT_EQ(cache->GetStats().limit_maxbytes, uint64_t{8} << 30);
  Set(*cache, "k", "v");
  EXPECT_EQ(cache->GetStats().total_malloced, 1024u * 1024);
}

TEST_F(MemoryTest, StatsArePerMemcachedSlabClass) {
  auto cache = MakeCache(TestOptions(&clock_));
  Set(*cache, "a", "xyz");                     // 63 bytes: class 1 (96)
  Set(*cache, "b", std::string(100, 'x'));    // 160: class 4 (192)
  Set(*cache, "c", std::string(100, 'x'));
  cache->Get("b");
  cache->Get("c");
  CacheStats st = cache->GetStats();
  ASSERT_EQ(st.slab_classes.size(), 2u);
  const SlabClassStats& small = st.slab_classes[0];
  EXPECT_EQ(small.id, 1);
  EXPECT_EQ(small.chunk_size, 96u);
  EXPECT_EQ(small.chunks_per_page, 10922u);
  EXPECT_EQ(small.number, 1u);
  EXPECT_EQ(small.mem_requested, 63u);
  EXPECT_EQ(small.cmd_set, 1u);
  const SlabClassStats& big = st.slab_classes[1];
  EXPECT_EQ(big.id, 4);
  EXPECT_EQ(big.chunk_size, 192u);
  EXPECT_EQ(big.number, 2u);
  EXPECT_EQ(big.mem_requested, 320u);
  EXPECT_EQ(big.get_hits, 2u);
  EXPECT_EQ(small.total_pages, 1u);
  EXPECT_EQ(small.used_chunks, 1u);
  EXPECT_EQ(big.total_pages, 1u);
  EXPECT_EQ(big.used_chunks, 2u);
  EXPECT_EQ(st.total_malloced, 2u * 1024 * 1024);
  EXPECT_EQ(st.hash_bytes, 256u * 8);
  EXPECT_EQ(st.hash_power_level, 8u);
}

TEST_F(MemoryTest, HashTableGrowsWithItsItems) {
  auto cache = MakeCache(TestOptions(&clock_));  // 4 shards x 64 buckets.
  for (int i = 0; i < 5000; ++i) Set(*cache, "key" + std::to_string(i), "v");
  CacheStats st = cache->GetStats();
  EXPECT_GE(st.hash_bytes, 5000u / 2 * 8);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(ValueOf(*cache, "key" + std::to_string(i)), "v");
}

}  // namespace
}  // namespace server
}  // namespace memkit
