// Value codec speed: encode/decode of common kinds, and zlib at pylibmc's
// level. Run: bazel run --config=opt //core/value:codec_bench
#include <string>

#include "benchmark/benchmark.h"
#include "core/value/codec.h"
#include "core/value/value.h"

namespace memkit {
namespace value {
namespace {

std::string Text(size_t n) {
  std::string s;
  while (s.size() < n) s += "memkit caches values, ";
  s.resize(n);
  return s;
}

void BM_EncodeText(benchmark::State& state) {
  Codec codec;
  const std::string text = Text(static_cast<size_t>(state.range(0)));
  EncodedValue out;
  for (auto _ : state) benchmark::DoNotOptimize(codec.EncodeText(text, &out));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncodeText)->Arg(100)->Arg(10000);

void BM_DecodeText(benchmark::State& state) {
  Codec codec;
  const std::string text = Text(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(codec.Decode(kFlagText, text));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeText)->Arg(100)->Arg(10000);

void BM_DecodeInt(benchmark::State& state) {
  Codec codec;
  for (auto _ : state) benchmark::DoNotOptimize(codec.DecodeInt(kFlagLong, "1234567890"));
}
BENCHMARK(BM_DecodeInt);

void BM_EncodeCompressed(benchmark::State& state) {
  CodecOptions options;
  options.min_compress_len = 1;
  auto codec = *Codec::Create(options);
  const std::string text = Text(static_cast<size_t>(state.range(0)));
  EncodedValue out;
  for (auto _ : state) benchmark::DoNotOptimize(codec->EncodeText(text, &out));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncodeCompressed)->Arg(10000);

void BM_DecodeCompressed(benchmark::State& state) {
  CodecOptions options;
  options.min_compress_len = 1;
  auto codec = *Codec::Create(options);
  EncodedValue encoded;
  (void)codec->EncodeText(Text(static_cast<size_t>(state.range(0))), &encoded);
  for (auto _ : state) benchmark::DoNotOptimize(codec->Decode(encoded.flags, encoded.data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DecodeCompressed)->Arg(10000);

}  // namespace
}  // namespace value
}  // namespace memkit

BENCHMARK_MAIN();
