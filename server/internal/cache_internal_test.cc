// The engine's private pieces: the slab class table, the
// shard's hash table and LRU list.

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/cache_stats.h"
#include "server/internal/item.h"
#include "server/internal/shard.h"
#include "server/internal/slab_classes.h"
#include "server/internal/slab_pages.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

TEST(SlabClassCountersTest, SumsCountsAndKeepsTheLatestEviction) {
  SlabClassCounters a;
  a.number = 2;
  a.get_hits = 5;
  a.evicted = 1;
  a.evicted_at = 100;
  a.evicted_time = 7;
  SlabClassCounters b;
  b.number = 3;
  b.touch_hits = 1;
  b.evicted = 2;
  b.evicted_at = 200;
  b.evicted_time = 9;
  SlabClassCounters sum;
  EXPECT_FALSE(sum.active());
  sum += a;
  sum += b;
  EXPECT_EQ(sum.number, 5u);
  EXPECT_EQ(sum.get_hits, 5u);
  EXPECT_EQ(sum.touch_hits, 1u);
  EXPECT_EQ(sum.evicted, 3u);
  EXPECT_EQ(sum.evicted_time, 9u);  // b's eviction is the later one
  sum += a;                         // an earlier eviction does not replace it
  EXPECT_EQ(sum.evicted_time, 9u);
  EXPECT_TRUE(sum.active());
}

TEST(SlabClassesTest, MatchesMemcachedDefaults) {
  // memcached 1.6.18 -vv with -n 48 -f 1.25 and slab_chunk_max 512 KiB.
  const std::vector<size_t> expected = {
      96,    120,   152,   192,   240,   304,    384,    480,    600,    752,
      944,   1184,  1480,  1856,  2320,  2904,   3632,   4544,   5680,   7104,
      8880,  11104, 13880, 17352, 21696, 27120,  33904,  42384,  52984,  66232,
      82792, 103496, 129376, 161720, 202152, 252696, 315872, 394840, 524288};
  SlabClasses classes(48, 1.25, 512 * 1024);
  ASSERT_EQ(classes.largest(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(classes.chunk_size(static_cast<int>(i) + 1), expected[i]) << i;
  }
  EXPECT_EQ(classes.chunks_per_page(1), 10922u);
  EXPECT_EQ(classes.chunks_per_page(39), 2u);
  EXPECT_EQ(classes.ClassFor(1), 1);
  EXPECT_EQ(classes.ClassFor(96), 1);
  EXPECT_EQ(classes.ClassFor(97), 2);
  EXPECT_EQ(classes.ClassFor(524288), 39);
  EXPECT_EQ(classes.ClassFor(1 << 20), 39);  // Chunked items: the largest class.
}

TEST(SlabClassesTest, SmallFactorsStopAtTheClassLimit) {
  SlabClasses classes(48, 1.01, 512 * 1024);
  EXPECT_EQ(classes.largest(), kMaxSlabClasses - 1);
  EXPECT_EQ(classes.chunk_size(classes.largest()), 512u * 1024);
}

TEST(SlabClassesTest, ChunksForMatchesMemcachedStatsSlabs) {
  SlabClasses classes(48, 1.25, 512 * 1024);
  std::vector<uint8_t> chunks;
  // Up to slab_chunk_max: one chunk of the item's class.
  classes.ChunksFor(MemcachedItemSize(4, 0, 100, true), 4, 0, 100, true, &chunks);
  EXPECT_EQ(chunks, std::vector<uint8_t>({4}));  // 163 bytes: class 4 (192)
  // memcached 1.6.18, "set big0 0 0 600000" then stats slabs: one chunk in
  // each of classes 2 (the header), 39 (524288) and 31 (the rest).
  classes.ChunksFor(MemcachedItemSize(4, 0, 600000, true), 4, 0, 600000, true, &chunks);
  EXPECT_EQ(chunks, std::vector<uint8_t>({2, 39, 31}));
  // 1000000 bytes: two full chunks (2 x 524240 > 1000002).
  classes.ChunksFor(MemcachedItemSize(4, 0, 1000000, true), 4, 0, 1000000, true, &chunks);
  EXPECT_EQ(chunks, std::vector<uint8_t>({2, 39, 39}));
}

TEST(SlabPagesTest, FirstPagePerClassAlwaysThenTheLimit) {
  SlabClasses classes(48, 1.25, 512 * 1024);
  SlabPages pages(&classes, 2 * kSlabPageSize);
  // Class 4 (192 bytes): 5461 per page, two pages fit -m 2.
  for (int i = 0; i < 2 * 5461; ++i) ASSERT_TRUE(pages.TakeChunk(4)) << i;
  EXPECT_FALSE(pages.TakeChunk(4));
  EXPECT_EQ(pages.pages(4), 2u);
  EXPECT_EQ(pages.total_malloced(), 2 * kSlabPageSize);
  // A class without a page gets one past the limit (do_slabs_newslab).
  EXPECT_TRUE(pages.TakeChunk(17));
  EXPECT_EQ(pages.total_malloced(), 3 * kSlabPageSize);
  // Returned chunks are reused; no page is added.
  pages.ReturnChunk(4);
  EXPECT_TRUE(pages.TakeChunk(4));
  EXPECT_EQ(pages.used_chunks(4), 2u * 5461);
  EXPECT_EQ(pages.total_malloced(), 3 * kSlabPageSize);
  pages.set_limit(8 * kSlabPageSize);
  EXPECT_TRUE(pages.TakeChunk(4));
  EXPECT_EQ(pages.pages(4), 3u);
}

class ShardTest : public ::testing::Test {
 protected:
  ~ShardTest() override {
    for (Item* it : loose_) UnrefItem(it);
  }
  Item* Make(const std::string& key) {
    Item* it = AllocateItem(key, 0, 0);
    loose_.push_back(it);
    return it;
  }
  std::vector<Item*> loose_;  // Our own references; the shard holds none.
};

TEST_F(ShardTest, FindInsertRemoveAndGrow) {
  Shard shard(2);
  MutexLock lock(&shard.mu);
  std::vector<Item*> items;
  for (int i = 0; i < 100; ++i) {
    Item* it = Make("key" + std::to_string(i));
    shard.Insert(it, KeyHash(it->key()));
    items.push_back(it);
  }
  EXPECT_EQ(shard.item_count(), 100u);
  EXPECT_GE(shard.bucket_count(), 64u);  // Doubled at 1.5 items per bucket.
  for (int i = 0; i < 100; ++i) {
    const std::string key = "key" + std::to_string(i);
    EXPECT_EQ(shard.Find(key, KeyHash(key)), items[static_cast<size_t>(i)]);
  }
  EXPECT_EQ(shard.Find("nope", KeyHash("nope")), nullptr);
  // LRU: newest at the head, oldest at the tail.
  EXPECT_EQ(shard.lru_head(0), items[99]);
  EXPECT_EQ(shard.lru_tail(0), items[0]);
  shard.MoveToHead(items[0]);
  EXPECT_EQ(shard.lru_head(0), items[0]);
  EXPECT_EQ(shard.lru_tail(0), items[1]);
  for (int i = 0; i < 100; i += 2) shard.Remove(items[static_cast<size_t>(i)], KeyHash(items[static_cast<size_t>(i)]->key()));
  EXPECT_EQ(shard.item_count(), 50u);
  EXPECT_EQ(shard.lru_tail(0), items[1]);
  EXPECT_EQ(shard.lru_head(0), items[99]);
  EXPECT_EQ(shard.Find("key2", KeyHash("key2")), nullptr);
  EXPECT_EQ(shard.Find("key3", KeyHash("key3")), items[3]);
  size_t walked = 0;
  for (Item* it = shard.lru_head(0); it != nullptr; it = it->next) ++walked;
  EXPECT_EQ(walked, 50u);
  for (int i = 1; i < 100; i += 2) shard.Remove(items[static_cast<size_t>(i)], KeyHash(items[static_cast<size_t>(i)]->key()));
  EXPECT_EQ(shard.lru_head(0), nullptr);
  EXPECT_EQ(shard.lru_tail(0), nullptr);
}

TEST_F(ShardTest, OneLruPerSlabClass) {
  Shard shard(16);
  MutexLock lock(&shard.mu);
  Item* a = Make("a");
  Item* b = Make("b");
  Item* c = Make("c");
  a->slab_class = 1;
  b->slab_class = 2;
  c->slab_class = 1;
  for (Item* it : {a, b, c}) shard.Insert(it, KeyHash(it->key()));
  EXPECT_EQ(shard.lru_head(1), c);
  EXPECT_EQ(shard.lru_tail(1), a);
  EXPECT_EQ(shard.lru_head(2), b);
  EXPECT_EQ(shard.lru_tail(2), b);
  EXPECT_EQ(a->prev, c);  // b is not in class 1's list
  shard.Remove(b, KeyHash(b->key()));
  EXPECT_EQ(shard.lru_head(2), nullptr);
  EXPECT_EQ(shard.lru_tail(2), nullptr);
  shard.Remove(a, KeyHash(a->key()));
  shard.Remove(c, KeyHash(c->key()));
}

TEST(ItemTest, LayoutAndSizes) {
  Item* it = AllocateItem("key", 9, 5);
  ASSERT_NE(it, nullptr);
  std::memcpy(it->value_data(), "hello", 5);
  EXPECT_EQ(it->key(), "key");
  EXPECT_EQ(it->value(), "hello");
  EXPECT_EQ(it->client_flags, 9u);
  EXPECT_EQ(it->refcount.load(), 1u);
  EXPECT_EQ(ItemAllocationSize(3, 5), 64u);
  EXPECT_EQ(MemcachedItemSize(3, 9, 5, true), 48u + 4 + 4 + 7 + 8);
  EXPECT_EQ(MemcachedItemSize(3, 0, 5, false), 48u + 4 + 7);
  RefItem(it);
  UnrefItem(it);
  EXPECT_EQ(it->refcount.load(), 1u);
  UnrefItem(it);
}

}  // namespace
}  // namespace internal
}  // namespace server
}  // namespace memkit
