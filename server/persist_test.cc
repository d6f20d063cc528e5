// Persister in-process: a cache on a ManualClock snapshotted, the clock moved
// on (the downtime), and the snapshot loaded into a new cache. Damaged
// snapshots, disk faults and the directory: persist_recovery_test.cc.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/net/clock.h"
#include "gtest/gtest.h"
#include "server/cache.h"
#include "server/cache_test_util.h"
#include "server/persist.h"
#include "server/persist_test_util.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace server {
namespace {

using testing::Exists;
using testing::kStart;
using testing::MakeCache;
using testing::PersistTest;
using testing::ReadAll;
using testing::Set;
using testing::ValueOf;
using testing::WriteAll;

TEST_F(PersistTest, WarmRestartKeepsValuesFlagsAndCountsTtlsAcrossTheDowntime) {
  auto before = MakeCache(Options());
  const std::string binary("a\0b\r\nEND\r\n", 10);
  const std::string big(700 * 1024, 'z');
  ASSERT_TRUE(Set(*before, "forever", "v0", 0, 0xFFFFFFFFu).stored());
  ASSERT_TRUE(Set(*before, "ttl100", "v1", 100, 1).stored());
  ASSERT_TRUE(Set(*before, "ttl10", "v2", 10, 2).stored());          // gone after 30 s
  ASSERT_TRUE(Set(*before, "absolute", "v3", kStart + 1000, 3).stored());
  ASSERT_TRUE(Set(*before, "binary", binary, 0, 4).stored());
  ASSERT_TRUE(Set(*before, "empty", "", 0, 5).stored());
  ASSERT_TRUE(Set(*before, "big", big, 0, 6).stored());
  ASSERT_TRUE(Set(*before, "deleted", "x").stored());
  ASSERT_EQ(before->Delete("deleted"), McCode::kOk);
  ASSERT_TRUE(Set(*before, "soon", "x", 1).stored());
  clock_.Advance(absl::Seconds(1));  // "soon" expires before the snapshot

  SnapshotReport written = SnapshotOf(before.get());
  EXPECT_EQ(written.items, 7u);
  EXPECT_GT(written.file_bytes, big.size());
  EXPECT_TRUE(Exists(snapshot()));
  before.reset();

  clock_.Advance(absl::Seconds(30));  // the downtime
  auto after = MakeCache(Options());
  LoadReport loaded = LoadInto(after.get());
  EXPECT_TRUE(loaded.found);
  EXPECT_TRUE(loaded.usable);
  EXPECT_TRUE(loaded.complete) << loaded.problem;
  EXPECT_EQ(loaded.loaded, 6u);
  EXPECT_EQ(loaded.expired, 1u);  // ttl10
  EXPECT_EQ(loaded.not_stored, 0u);
  EXPECT_EQ(loaded.malformed, 0u);
  EXPECT_EQ(loaded.snapshot_unix, kStart + 1);
  EXPECT_TRUE(Warnings().empty());

  GetResult g = after->Get("forever");
  ASSERT_TRUE(g.hit());
  EXPECT_EQ(g.item.value(), "v0");
  EXPECT_EQ(g.item.client_flags(), 0xFFFFFFFFu);
  EXPECT_EQ(g.ttl, -1);
  g = after->Get("ttl100");
  ASSERT_TRUE(g.hit());
  EXPECT_EQ(g.item.client_flags(), 1u);
  EXPECT_EQ(g.ttl, 100 - 31);  // the downtime counted
  g = after->Get("absolute");
  ASSERT_TRUE(g.hit());
  EXPECT_EQ(g.ttl, 1000 - 31);
  g = after->Get("binary");
  ASSERT_TRUE(g.hit());
  EXPECT_EQ(g.item.value(), binary);
  EXPECT_EQ(g.item.client_flags(), 4u);
  g = after->Get("empty");
  ASSERT_TRUE(g.hit());
  EXPECT_EQ(g.item.value(), "");
  EXPECT_EQ(g.item.client_flags(), 5u);
  EXPECT_EQ(ValueOf(*after, "big"), big);
  EXPECT_EQ(ValueOf(*after, "ttl10"), "<miss>");
  EXPECT_EQ(ValueOf(*after, "soon"), "<miss>");
  EXPECT_EQ(ValueOf(*after, "deleted"), "<miss>");
  EXPECT_EQ(after->GetStats().curr_items, 6u);

  // The loaded TTL goes on counting: 69 s left, so gone after 69.
  clock_.Advance(absl::Seconds(68));
  EXPECT_EQ(ValueOf(*after, "ttl100"), "v1");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ValueOf(*after, "ttl100"), "<miss>");
}

TEST_F(PersistTest, ExpiryBoundaryIsTheServerClocksSecond) {
  auto before = MakeCache(Options());
  ASSERT_TRUE(Set(*before, "k", "v", 10).stored());
  SnapshotOf(before.get());
  before.reset();

  // 9 s later: one second left.
  PersistOptions keep = PersistOpts();
  keep.interval = absl::Hours(1);  // keeps the snapshot after loading
  clock_.Advance(absl::Seconds(9));
  auto after = MakeCache(Options());
  LoadReport r = LoadInto(after.get(), keep);
  EXPECT_EQ(r.loaded, 1u);
  EXPECT_EQ(after->Get("k").ttl, 1);

  // 10 s later: expired (an item expires when exptime <= now).
  clock_.Advance(absl::Seconds(1));
  auto later = MakeCache(Options());
  r = LoadInto(later.get(), keep);
  EXPECT_EQ(r.loaded, 0u);
  EXPECT_EQ(r.expired, 1u);
  EXPECT_FALSE(later->Inspect("k").has_value());
}

TEST_F(PersistTest, SnapshotDoesNotTouchTheLruOrTheItems) {
  auto cache = MakeCache(Options());
  ASSERT_TRUE(Set(*cache, "k", "v", 100).stored());
  GetOptions peek;
  peek.bump = false;
  const uint64_t cas = cache->Get("k", peek).cas;
  clock_.Advance(absl::Seconds(5));
  SnapshotOf(cache.get());
  std::optional<ItemInfo> info = cache->Inspect("k");
  ASSERT_TRUE(info.has_value());
  EXPECT_FALSE(info->fetched);
  EXPECT_EQ(info->idle, 5u);
  EXPECT_EQ(info->cas, cas);
  EXPECT_EQ(info->ttl, 95);
}

TEST_F(PersistTest, FlushedItemsAreNotSnapshotted) {
  auto cache = MakeCache(Options());
  ASSERT_TRUE(Set(*cache, "old", "v").stored());
  clock_.Advance(absl::Seconds(2));
  cache->FlushAll();
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(Set(*cache, "new", "v").stored());
  EXPECT_EQ(SnapshotOf(cache.get()).items, 1u);
}

TEST_F(PersistTest, Base64KeyedItemsStayBase64Keyed) {
  auto before = MakeCache(Options());
  StoreRequest binary_key;
  binary_key.key_binary = true;
  ASSERT_EQ(before->Store("raw\x01key", "v", binary_key).code, McCode::kOk);
  ASSERT_TRUE(Set(*before, "plain", "v").stored());
  SnapshotOf(before.get());
  auto after = MakeCache(Options());
  ASSERT_EQ(LoadInto(after.get()).loaded, 2u);
  GetResult binary = after->Get("raw\x01key");
  ASSERT_TRUE(binary.hit());
  EXPECT_TRUE(binary.item.key_binary());
  GetResult plain = after->Get("plain");
  ASSERT_TRUE(plain.hit());
  EXPECT_FALSE(plain.item.key_binary());
}

TEST_F(PersistTest, CasUniquesAreRenumberedButWork) {
  auto before = MakeCache(Options());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Set(*before, absl::StrCat("k", i), "v").stored());
  SnapshotOf(before.get());
  auto after = MakeCache(Options());
  ASSERT_EQ(LoadInto(after.get()).loaded, 50u);
  GetResult g = after->Get("k7");
  ASSERT_TRUE(g.hit());
  EXPECT_NE(g.cas, 0u);
  StoreRequest cas;
  cas.mode = StoreMode::kCas;
  cas.cas = g.cas;
  EXPECT_EQ(after->Store("k7", "w", cas).code, McCode::kOk);
  EXPECT_EQ(after->Store("k7", "x", cas).code, McCode::kExists);
}

TEST_F(PersistTest, LoadRemovesTheSnapshotUnlessPeriodic) {
  auto cache = MakeCache(Options());
  ASSERT_TRUE(Set(*cache, "k", "v").stored());
  SnapshotOf(cache.get());

  auto periodic_target = MakeCache(Options());
  PersistOptions periodic = PersistOpts();
  periodic.interval = absl::Seconds(60);
  EXPECT_EQ(LoadInto(periodic_target.get(), periodic).loaded, 1u);
  EXPECT_TRUE(Exists(snapshot()));  // still the crash-recovery point

  auto once = MakeCache(Options());
  EXPECT_EQ(LoadInto(once.get()).loaded, 1u);
  EXPECT_FALSE(Exists(snapshot()));  // consumed: a crash now comes back cold

  auto cold = MakeCache(Options());
  LoadReport r = LoadInto(cold.get());
  EXPECT_FALSE(r.found);
  EXPECT_EQ(r.loaded, 0u);
  EXPECT_TRUE(Warnings().empty());
}

// Fills `cache` with `n` items of 4000 bytes, 10 per clock second, so their
// last-access times rise with the index.
void FillAging(Cache& cache, net::ManualClock& clock, int n) {
  const std::string value(4000, 'v');
  for (int i = 0; i < n; ++i) {
    if (i % 10 == 0) clock.Advance(absl::Seconds(1));
    ASSERT_TRUE(Set(cache, absl::StrCat("key", i), value).stored());
  }
}

TEST_F(PersistTest, SmallerMemoryKeepsTheMostRecentlyUsed) {
  auto before = MakeCache(Options());
  FillAging(*before, clock_, 2000);  // ~8 MB
  SnapshotOf(before.get());

  CacheOptions small = Options();
  small.memory_limit = 2 * 1024 * 1024;
  auto after = MakeCache(small);
  LoadReport r = LoadInto(after.get());
  EXPECT_TRUE(r.complete);
  const uint64_t kept = after->GetStats().curr_items;
  EXPECT_GT(kept, 300u);
  EXPECT_LT(kept, 600u);
  // The newest survive, the oldest were pushed out. (Eviction works per
  // shard, so the boundary is blurred by how keys fall on shards.)
  for (int i = 2000 - static_cast<int>(kept) / 2; i < 2000; ++i) {
    ASSERT_TRUE(after->Inspect(absl::StrCat("key", i)).has_value()) << i;
  }
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(after->Inspect(absl::StrCat("key", i)).has_value()) << i;
  }
}

TEST_F(PersistTest, SmallerMemoryWithoutEvictionLoadsNewestFirst) {
  auto before = MakeCache(Options());
  FillAging(*before, clock_, 2000);
  SnapshotOf(before.get());

  CacheOptions small = Options();
  small.memory_limit = 2 * 1024 * 1024;
  small.evict = false;  // -M
  auto after = MakeCache(small);
  LoadReport r = LoadInto(after.get());
  EXPECT_GT(r.not_stored, 1000u);
  EXPECT_EQ(r.loaded + r.not_stored, 2000u);
  EXPECT_EQ(after->GetStats().curr_items, r.loaded);
  for (int i = 2000 - static_cast<int>(r.loaded) + 10; i < 2000; ++i) {
    ASSERT_TRUE(after->Inspect(absl::StrCat("key", i)).has_value()) << i;
  }
  EXPECT_FALSE(after->Inspect("key0").has_value());
}

TEST_F(PersistTest, ItemsTooLargeForTheNewServerAreSkipped) {
  auto before = MakeCache(Options());
  ASSERT_TRUE(Set(*before, "big", std::string(600 * 1024, 'b')).stored());
  ASSERT_TRUE(Set(*before, "small", "s").stored());
  SnapshotOf(before.get());
  CacheOptions smaller = Options();
  smaller.item_size_max = 512 * 1024;  // -I 512k
  auto after = MakeCache(smaller);
  LoadReport r = LoadInto(after.get());
  EXPECT_EQ(r.loaded, 1u);
  EXPECT_EQ(r.not_stored, 1u);
  EXPECT_EQ(ValueOf(*after, "small"), "s");
}

// ---- background snapshots ---------------------------------------------------

TEST_F(PersistTest, BackgroundSnapshotsWhileWritersRun) {
  auto cache = MakeCache(Options());
  PersistOptions po = PersistOpts();
  po.interval = absl::Seconds(60);
  auto p = MakePersister(cache.get(), po);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      Set(*cache, absl::StrCat("w", i % 500), absl::StrCat("v", i), i % 3 == 0 ? 100 : 0);
      if (i % 7 == 0) cache->Delete(absl::StrCat("w", (i * 13) % 500));
    }
  });
  p->StartBackground();
  p->StartBackground();  // no second thread
  // Each minute on the test's clock brings one snapshot; polled with a
  // real-time deadline.
  for (uint64_t round = 1; round <= 3; ++round) {
    EXPECT_EQ(p->background_snapshots(), round - 1);  // none before its minute
    clock_.Advance(absl::Seconds(60));
    test_support::Eventually([&] { return p->background_snapshots() >= round; }, absl::Seconds(20));
    ASSERT_EQ(p->background_snapshots(), round);
  }
  stop = true;
  writer.join();
  p->StopBackground();
  EXPECT_GE(p->background_snapshots(), 3u);
  EXPECT_TRUE(Warnings().empty());

  // The last word: a final snapshot equals the cache.
  ASSERT_TRUE(p->Snapshot().ok());
  p.reset();
  auto after = MakeCache(Options());
  LoadReport r = LoadInto(after.get());
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.loaded, cache->GetStats().curr_items);
  for (int i = 0; i < 500; ++i) {
    const std::string key = absl::StrCat("w", i);
    EXPECT_EQ(ValueOf(*after, key), ValueOf(*cache, key)) << key;
  }
}

}  // namespace
}  // namespace server
}  // namespace memkit
