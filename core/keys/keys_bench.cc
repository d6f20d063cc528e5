// Key validation speed: the per-request cost every client, server and proxy
// call pays. Run: bazel run --config=opt //core/keys:keys_bench
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "core/keys/base64.h"
#include "core/keys/keys.h"

namespace memkit {
namespace keys {
namespace {

void BM_ValidateText(benchmark::State& state) {
  KeyPolicy policy;
  const std::string key(static_cast<size_t>(state.range(0)), 'k');
  for (auto _ : state) benchmark::DoNotOptimize(policy.Validate(key));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ValidateText)->Arg(16)->Arg(64)->Arg(250);

void BM_WireKeyPrefixed(benchmark::State& state) {
  KeyOptions options;
  options.prefix = "app:";
  auto policy = *KeyPolicy::Create(options);
  const std::string key(static_cast<size_t>(state.range(0)), 'k');
  std::string out;
  for (auto _ : state) benchmark::DoNotOptimize(policy->WireKey(key, &out));
}
BENCHMARK(BM_WireKeyPrefixed)->Arg(16)->Arg(246);

void BM_WireKeyBase64(benchmark::State& state) {
  KeyOptions options;
  options.protocol = Protocol::kMeta;
  options.base64_keys = true;
  auto policy = *KeyPolicy::Create(options);
  const std::string key(static_cast<size_t>(state.range(0)), '\xab');
  std::string out;
  for (auto _ : state) benchmark::DoNotOptimize(policy->WireKey(key, &out));
}
BENCHMARK(BM_WireKeyBase64)->Arg(16)->Arg(186);

void BM_Base64Decode(benchmark::State& state) {
  const std::string encoded = Base64Encode(std::string(186, '\xab'));
  std::string out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(Base64DecodeAppend(encoded, &out));
  }
}
BENCHMARK(BM_Base64Decode);

}  // namespace
}  // namespace keys
}  // namespace memkit

BENCHMARK_MAIN();
