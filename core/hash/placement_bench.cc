// Speed of key hashing and server lookup, with libmemcached's own lookup
// (memcached_generate_hash) on the same servers and keys for comparison.
//
//   bazel --output_base=... run --config=opt //core/hash:placement_bench
//
// Compare BM_ServerFor/<distribution>/<servers> with BM_LibmemcachedServerFor
// at the same arguments; the ratio is what matters on a shared machine.

#include <libmemcached-1.0/memcached.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/hash/hash.h"
#include "core/hash/placement.h"

namespace memkit {
namespace hash {
namespace {

// 4096 keys of `length` bytes, in the style of real cache keys.
std::vector<std::string> Keys(size_t length) {
  std::mt19937_64 rng(42);
  std::vector<std::string> keys;
  for (int i = 0; i < 4096; ++i) {
    std::string key = absl::StrCat("user:", rng(), ":profile:");
    while (key.size() < length) key += static_cast<char>('a' + rng() % 26);
    key.resize(length);
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<ServerSpec> Servers(int n) {
  std::vector<ServerSpec> servers;
  for (int i = 0; i < n; ++i) {
    ServerSpec spec;
    spec.host = absl::StrCat("10.0.", i / 250, ".", i % 250 + 1);
    spec.port = i % 3 == 0 ? 11211 : static_cast<uint16_t>(11212 + i);
    servers.push_back(spec);
  }
  return servers;
}

void BM_Hash(benchmark::State& state) {
  const auto algorithm = static_cast<HashAlgorithm>(state.range(0));
  const std::vector<std::string> keys = Keys(static_cast<size_t>(state.range(1)));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Hash(algorithm, keys[i++ & 4095]));
  }
  state.SetLabel(std::string(HashAlgorithmName(algorithm)));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(1));
}

void BM_LibmemcachedHash(benchmark::State& state) {
  const auto algorithm = static_cast<memcached_hash_t>(state.range(0));
  const std::vector<std::string> keys = Keys(static_cast<size_t>(state.range(1)));
  size_t i = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ & 4095];
    benchmark::DoNotOptimize(memcached_generate_hash_value(key.data(), key.size(), algorithm));
  }
  state.SetLabel(std::string(HashAlgorithmName(static_cast<HashAlgorithm>(state.range(0)))));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(1));
}

void HashArgs(benchmark::internal::Benchmark* b) {
  for (HashAlgorithm h : kAllHashAlgorithms) {
    if (h == HashAlgorithm::kHsieh) continue;
    for (int length : {16, 64, 250}) b->Args({static_cast<int>(h), length});
  }
}

// range(0): 0 = ketama (one-at-a-time), 1 = ketama_weighted (MD5), 2 = modula.
PlacementOptions OptionsFor(int64_t kind) {
  PlacementOptions options;
  options.distribution = kind == 0   ? Distribution::kKetama
                         : kind == 1 ? Distribution::kKetamaWeighted
                                     : Distribution::kModula;
  return options;
}

void BM_ServerFor(benchmark::State& state) {
  auto placement = Placement::Create(Servers(static_cast<int>(state.range(1))),
                                     OptionsFor(state.range(0)));
  if (!placement.ok()) {
    state.SkipWithError(placement.status().ToString().c_str());
    return;
  }
  const std::vector<std::string> keys = Keys(40);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize((*placement)->ServerFor(keys[i++ & 4095]));
  }
  state.SetLabel(std::string(DistributionName((*placement)->distribution())));
}

void BM_LibmemcachedServerFor(benchmark::State& state) {
  memcached_st* memc = memcached_create(nullptr);
  for (const ServerSpec& s : Servers(static_cast<int>(state.range(1)))) {
    memcached_server_add(memc, s.host.c_str(), s.port);
  }
  if (state.range(0) == 0) {
    memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
                           MEMCACHED_DISTRIBUTION_CONSISTENT);
  } else if (state.range(0) == 1) {
    memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
  }
  const std::vector<std::string> keys = Keys(40);
  size_t i = 0;
  for (auto _ : state) {
    const std::string& key = keys[i++ & 4095];
    benchmark::DoNotOptimize(memcached_generate_hash(memc, key.data(), key.size()));
  }
  state.SetLabel(std::string(DistributionName(OptionsFor(state.range(0)).distribution)));
  memcached_free(memc);
}

// Building a placement: what an ejection or a config reload costs.
void BM_Create(benchmark::State& state) {
  const std::vector<ServerSpec> servers = Servers(static_cast<int>(state.range(1)));
  const PlacementOptions options = OptionsFor(state.range(0));
  for (auto _ : state) {
    auto placement = Placement::Create(servers, options);
    benchmark::DoNotOptimize(placement);
  }
  state.SetLabel(std::string(DistributionName(options.distribution)));
}

// Debian's libmemcached asserts (and aborts) when a consistent distribution
// has more than 100 servers (MEMCACHED_CONTINUUM_SIZE), so 100 is the top.
void PlacementArgs(benchmark::internal::Benchmark* b) {
  for (int kind : {0, 1, 2}) {
    for (int servers : {3, 20, 100}) b->Args({kind, servers});
  }
}

BENCHMARK(BM_Hash)->Apply(HashArgs);
BENCHMARK(BM_LibmemcachedHash)->Apply(HashArgs);
BENCHMARK(BM_ServerFor)->Apply(PlacementArgs);
BENCHMARK(BM_LibmemcachedServerFor)->Apply(PlacementArgs);
BENCHMARK(BM_Create)->Apply(PlacementArgs);

}  // namespace
}  // namespace hash
}  // namespace memkit
