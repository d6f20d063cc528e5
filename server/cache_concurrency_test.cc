// Threads hammering one cache: every operation at once, under a small memory
// limit, with time moving and flushes and sweeps running. Meant to be run
// under --config=tsan and --config=asan as well; afterwards the accounting
// must still add up exactly.

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/cache.h"
#include "server/cache_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::MakeCache;
using testing::TestOptions;

constexpr int kThreads = 4;

// Values are "<key>:<filler>" so a reader can tell a torn or misfiled value.
std::string ValueFor(const std::string& key, size_t filler) {
  return absl::StrCat(key, ":", std::string(filler, 'v'));
}

bool WellFormed(absl::string_view key, absl::string_view value) {
  if (absl::StartsWith(key, "n")) {  // Counters: digits padded with spaces.
    for (char c : value) {
      if (!(c >= '0' && c <= '9') && c != ' ') return false;
    }
    return true;
  }
  // Appends add "+" runs after the filler; vivified items start empty.
  return value.find_first_not_of('+') == absl::string_view::npos ||
         absl::StartsWith(value, absl::StrCat(key, ":"));
}

TEST(CacheConcurrencyTest, EverythingAtOnceKeepsTheBooksStraight) {
  net::ManualClock clock;
  CacheOptions options = TestOptions(&clock);
  options.memory_limit = 256 * 1024;
  options.item_size_max = 4096;
  options.num_shards = 8;
  auto cache = MakeCache(options);
  std::atomic<bool> done{false};
  std::atomic<int> bad_values{0};

  auto worker = [&](int id) {
    std::mt19937 rng(static_cast<uint32_t>(id) * 7919u + 1);
    std::vector<GetResult> results;
    std::vector<ItemRef> held;
    for (int op = 0; op < 15000; ++op) {
      const int k = static_cast<int>(rng() % 300);
      const std::string key = (k < 20 ? "n" : "k") + std::to_string(k);
      const uint32_t dice = rng() % 100;
      if (dice < 30) {
        StoreRequest set;
        set.exptime = static_cast<int64_t>(rng() % 4);
        set.client_flags = rng() % 2;
        const std::string value = k < 20 ? std::to_string(rng() % 1000) : ValueFor(key, rng() % 1500);
        cache->Store(key, value, set);
      } else if (dice < 55) {
        GetResult r = cache->Get(key);
        if (r.hit() && !WellFormed(r.item.key(), r.item.value())) ++bad_values;
        if (r.hit() && held.size() < 64) held.push_back(std::move(r.item));
      } else if (dice < 62) {
        std::vector<std::string> names;
        for (int i = 0; i < 8; ++i) names.push_back("k" + std::to_string(20 + rng() % 280));
        std::vector<absl::string_view> keys(names.begin(), names.end());
        cache->GetMulti(keys, GetOptions(), &results);
        for (const GetResult& r : results) {
          if (r.hit() && !WellFormed(r.item.key(), r.item.value())) ++bad_values;
        }
      } else if (dice < 70) {
        ArithmeticOptions arithmetic;
        arithmetic.incr = rng() % 2 == 0;
        arithmetic.delta = rng() % 5;
        cache->Arithmetic(key, arithmetic);
      } else if (dice < 75) {
        GetResult r = cache->Get(key);
        if (r.hit()) {
          StoreRequest cas;
          cas.mode = StoreMode::kCas;
          cas.cas = r.cas;
          cache->Store(key, k < 20 ? "7" : ValueFor(key, 10), cas);
        }
      } else if (dice < 80) {
        StoreRequest append;
        append.mode = rng() % 2 == 0 ? StoreMode::kAppend : StoreMode::kAdd;
        const bool add = append.mode == StoreMode::kAdd;
        cache->Store(key, k < 20 ? "1" : (add ? ValueFor(key, 3) : "+++"), append);
      } else if (dice < 85) {
        cache->Delete(key);
      } else if (dice < 88) {
        DeleteOptions stale;
        stale.mark_stale = true;
        cache->Delete(key, stale);
      } else if (dice < 92) {
        GetOptions meta;
        meta.vivify_exptime = 2;
        meta.recache_exptime = 1;
        meta.new_exptime = static_cast<int64_t>(rng() % 3);
        GetResult r = cache->Get(key, meta);
        if (r.hit() && !WellFormed(r.item.key(), r.item.value())) ++bad_values;
      } else if (dice < 95) {
        cache->Touch(key, static_cast<int64_t>(rng() % 3));
      } else {
        held.clear();
      }
    }
    for (const ItemRef& ref : held) {
      if (!WellFormed(ref.key(), ref.value())) ++bad_values;
    }
  };

  std::thread maintenance([&] {
    int round = 0;
    while (!done.load()) {
      clock.Advance(absl::Milliseconds(300));
      cache->ReclaimExpired(256);
      if (++round % 50 == 0) cache->FlushAll(round % 100 == 0 ? 0 : 1);
      CacheStats st = cache->GetStats();
      EXPECT_LE(st.bytes, 256u * 1024);
      int seen = 0;
      cache->ForEachItem([&](const ItemInfo&) { return ++seen < 50; });
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> workers;
  for (int i = 0; i < kThreads; ++i) workers.emplace_back(worker, i);
  for (std::thread& t : workers) t.join();
  done = true;
  maintenance.join();

  EXPECT_EQ(bad_values.load(), 0);
  // Let every TTL (at most 3 s) run out, sweep out whatever expired or was
  // flushed, then count by hand.
  clock.Advance(absl::Seconds(10));
  cache->ReclaimExpired(1 << 20);
  uint64_t items = 0;
  uint64_t bytes = 0;
  uint64_t heap = 0;
  cache->ForEachItem([&](const ItemInfo& info) {
    ++items;
    bytes += info.total_size;
    heap += 56 + info.key.size() + info.value_length;
    return true;
  });
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.curr_items, items);
  EXPECT_EQ(st.bytes, bytes);
  EXPECT_EQ(st.heap_bytes, heap);
  EXPECT_LE(st.bytes, 256u * 1024);
  EXPECT_GT(st.cmd_get, 0u);
  EXPECT_GT(st.evictions + st.reclaimed + st.crawler_reclaimed + st.get_expired, 0u);
}

TEST(CacheConcurrencyTest, IncrementsAreNeverLost) {
  auto cache = MakeCache(TestOptions(net::RealClock::Get()));
  testing::Set(*cache, "counter", "0");
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5000; ++j) ASSERT_EQ(cache->Incr("counter", 1).code, McCode::kOk);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(cache->Incr("counter", 0).value, uint64_t{kThreads} * 5000);
}

TEST(CacheConcurrencyTest, CasLoopsLoseNoUpdates) {
  auto cache = MakeCache(TestOptions(net::RealClock::Get()));
  testing::Set(*cache, "n", "0");
  constexpr int kPerThread = 500;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int done = 0; done < kPerThread;) {
        GetResult r = cache->Get("n");
        ASSERT_TRUE(r.hit());
        const uint64_t next = std::stoull(std::string(r.item.value())) + 1;
        StoreRequest cas;
        cas.mode = StoreMode::kCas;
        cas.cas = r.cas;
        McCode code = cache->Store("n", std::to_string(next), cas).code;
        if (code == McCode::kOk) {
          ++done;
        } else {
          ASSERT_EQ(code, McCode::kExists);
          ++conflicts;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(testing::ValueOf(*cache, "n"), std::to_string(kThreads * kPerThread));
  CacheStats st = cache->GetStats();
  EXPECT_EQ(st.cas_hits, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(st.cas_badval, static_cast<uint64_t>(conflicts.load()));
}

}  // namespace
}  // namespace server
}  // namespace memkit
