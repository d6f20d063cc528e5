// Throughput of the storage engine under Google Benchmark, single- and
// multi-threaded: get hits, get misses, set, a 90/10 get/set mix, and
// 16-key multi-gets. 100-byte values, 100k keys.
//
//   bazel run --config=opt //server:cache_bench -- --benchmark_min_time=0.5
//
// (The real memcached is compared on memory in cache_memory_bench; its
// request throughput is bounded by its network stack, which an in-process
// engine benchmark cannot meaningfully compare with.)

#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "server/cache.h"

namespace memkit {
namespace server {
namespace {

constexpr int kKeys = 100000;
constexpr size_t kValueSize = 100;

struct Fixture {
  std::unique_ptr<Cache> cache;
  std::vector<std::string> keys;
  std::vector<std::string> missing;
  std::string value;
};

Fixture& Shared() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    CacheOptions options;
    options.memory_limit = size_t{1} << 30;
    options.reclaim_interval = absl::ZeroDuration();
    f->cache = std::move(*Cache::Create(options));
    f->value.assign(kValueSize, 'v');
    StoreRequest set;
    for (int i = 0; i < kKeys; ++i) {
      f->keys.push_back(absl::StrCat("bench:key:", i));
      f->missing.push_back(absl::StrCat("bench:missing:", i));
      f->cache->Store(f->keys.back(), f->value, set);
    }
    return f;
  }();
  return *fixture;
}

void BM_GetHit(benchmark::State& state) {
  Fixture& f = Shared();
  std::minstd_rand rng(static_cast<uint32_t>(state.thread_index()) + 1);
  size_t bytes = 0;
  for (auto _ : state) {
    GetResult r = f.cache->Get(f.keys[rng() % kKeys]);
    bytes += r.item.value().size();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_GetHit)->ThreadRange(1, 4)->UseRealTime();

void BM_GetMiss(benchmark::State& state) {
  Fixture& f = Shared();
  std::minstd_rand rng(static_cast<uint32_t>(state.thread_index()) + 1);
  for (auto _ : state) {
    GetResult r = f.cache->Get(f.missing[rng() % kKeys]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetMiss)->ThreadRange(1, 4)->UseRealTime();

void BM_Set(benchmark::State& state) {
  Fixture& f = Shared();
  std::minstd_rand rng(static_cast<uint32_t>(state.thread_index()) + 1);
  StoreRequest set;
  for (auto _ : state) {
    StoreResult r = f.cache->Store(f.keys[rng() % kKeys], f.value, set);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kValueSize));
}
BENCHMARK(BM_Set)->ThreadRange(1, 4)->UseRealTime();

void BM_Mixed90Get10Set(benchmark::State& state) {
  Fixture& f = Shared();
  std::minstd_rand rng(static_cast<uint32_t>(state.thread_index()) + 1);
  StoreRequest set;
  for (auto _ : state) {
    const uint32_t dice = rng();
    const std::string& key = f.keys[dice % kKeys];
    if (dice % 10 == 0) {
      benchmark::DoNotOptimize(f.cache->Store(key, f.value, set));
    } else {
      benchmark::DoNotOptimize(f.cache->Get(key));
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Mixed90Get10Set)->ThreadRange(1, 4)->UseRealTime();

void BM_GetMulti16(benchmark::State& state) {
  Fixture& f = Shared();
  std::minstd_rand rng(static_cast<uint32_t>(state.thread_index()) + 1);
  std::vector<absl::string_view> batch(16);
  std::vector<GetResult> results;
  for (auto _ : state) {
    for (absl::string_view& key : batch) key = f.keys[rng() % kKeys];
    f.cache->GetMulti(batch, GetOptions(), &results);
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_GetMulti16)->ThreadRange(1, 4)->UseRealTime();

// A full cache: every set evicts.
void BM_SetEvicting(benchmark::State& state) {
  static Cache* cache = [] {
    CacheOptions options;
    options.memory_limit = 8 * 1024 * 1024;
    options.reclaim_interval = absl::ZeroDuration();
    return Cache::Create(options)->release();
  }();
  Fixture& f = Shared();
  std::minstd_rand rng(static_cast<uint32_t>(state.thread_index()) + 1);
  StoreRequest set;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache->Store(f.keys[rng() % kKeys], f.value, set));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetEvicting)->ThreadRange(1, 4)->UseRealTime();

}  // namespace
}  // namespace server
}  // namespace memkit

BENCHMARK_MAIN();
