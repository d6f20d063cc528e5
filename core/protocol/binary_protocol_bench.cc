// Binary protocol codec throughput: parse and serialize get and set, on the
// server side (request parser, response writer) and the client side (request
// writer, response parser). Requests/s are `items_per_second`, GB/s are
// `bytes_per_second` over the wire bytes handled.
//
//   bazel run --config=opt //core/protocol:binary_protocol_bench

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/binary_request_writer.h"
#include "core/protocol/binary_response_parser.h"
#include "core/protocol/binary_response_writer.h"

namespace memkit {
namespace protocol {
namespace {

constexpr int kBatch = 256;  // requests per pipelined buffer

std::string Key(int i) { return absl::StrCat("key:", 100000000 + i); }  // 13 bytes

std::string GetRequests() {
  std::string out;
  BinaryPacket p;
  for (int i = 0; i < kBatch; ++i) {
    std::string key = Key(i);
    BuildBinaryGet(BinaryOpcode::kGetKQ, key, static_cast<uint32_t>(i), &p).IgnoreError();
    p.AppendTo(&out);
  }
  return out;
}

std::string SetRequests(size_t value_size) {
  std::string out;
  std::string value(value_size, 'v');
  BinaryPacket p;
  for (int i = 0; i < kBatch; ++i) {
    std::string key = Key(i);
    BuildBinaryStore(BinaryOpcode::kSetQ, key, value, 0, 0, 0, static_cast<uint32_t>(i), &p)
        .IgnoreError();
    p.AppendTo(&out);
  }
  return out;
}

void ParseAll(benchmark::State& state, const std::string& buffer) {
  BinaryParserOptions options;
  BinaryRequest request;
  for (auto _ : state) {
    absl::string_view rest = buffer;
    uint64_t sum = 0;
    while (!rest.empty()) {
      ParseResult r = ParseBinaryRequest(rest, options, &request);
      sum += request.key.size() + request.value.size();
      rest.remove_prefix(r.consumed);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buffer.size()));
}

// Server: parse pipelined getkq requests.
void BM_ServerParseGet(benchmark::State& state) { ParseAll(state, GetRequests()); }
BENCHMARK(BM_ServerParseGet);

// Server: parse pipelined setq requests with values of state.range(0) bytes.
void BM_ServerParseSet(benchmark::State& state) {
  ParseAll(state, SetRequests(static_cast<size_t>(state.range(0))));
}
BENCHMARK(BM_ServerParseSet)->Arg(32)->Arg(1024)->Arg(16384);

// Server: build get hits as scatter/gather packets (the value is referenced).
void BM_ServerWriteGetHit(benchmark::State& state) {
  std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) keys.push_back(Key(i));
  size_t wire = 0;
  for (auto _ : state) {
    wire = 0;
    for (int i = 0; i < kBatch; ++i) {
      BinaryPacket p = BinaryGetHitResponse(static_cast<uint8_t>(BinaryOpcode::kGetKQ),
                                            static_cast<uint32_t>(i), 0, 42, keys[i], value);
      benchmark::DoNotOptimize(p.head_bytes);
      wire += p.size();
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire));
}
BENCHMARK(BM_ServerWriteGetHit)->Arg(32)->Arg(1024)->Arg(16384);

// Server: get hits copied into one output buffer (no writev).
void BM_ServerWriteGetHitCopied(benchmark::State& state) {
  std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) keys.push_back(Key(i));
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kBatch; ++i) {
      BinaryGetHitResponse(static_cast<uint8_t>(BinaryOpcode::kGetKQ), static_cast<uint32_t>(i), 0,
                           42, keys[i], value)
          .AppendTo(&out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_ServerWriteGetHitCopied)->Arg(32)->Arg(1024);

// Server: store replies (what a set answers).
void BM_ServerWriteSetReply(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kBatch; ++i) {
      BinarySuccessResponse(static_cast<uint8_t>(BinaryOpcode::kSet), static_cast<uint32_t>(i), 7)
          .AppendTo(&out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_ServerWriteSetReply);

// Client: serialize get and set requests into a send buffer.
void BM_ClientWriteGet(benchmark::State& state) {
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) keys.push_back(Key(i));
  std::string out;
  BinaryPacket p;
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kBatch; ++i) {
      BuildBinaryGet(BinaryOpcode::kGetKQ, keys[i], static_cast<uint32_t>(i), &p).IgnoreError();
      p.AppendTo(&out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_ClientWriteGet);

void BM_ClientWriteSet(benchmark::State& state) {
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) keys.push_back(Key(i));
  std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::string out;
  BinaryPacket p;
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kBatch; ++i) {
      BuildBinaryStore(BinaryOpcode::kSetQ, keys[i], value, 0, 0, 0, static_cast<uint32_t>(i), &p)
          .IgnoreError();
      p.AppendTo(&out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_ClientWriteSet)->Arg(32)->Arg(1024);

// Client: parse pipelined get hits with values of state.range(0) bytes.
void BM_ClientParseGetHit(benchmark::State& state) {
  std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::string buffer;
  for (int i = 0; i < kBatch; ++i) {
    std::string key = Key(i);
    BinaryGetHitResponse(static_cast<uint8_t>(BinaryOpcode::kGetKQ), static_cast<uint32_t>(i), 0,
                         42, key, value)
        .AppendTo(&buffer);
  }
  BinaryResponse response;
  for (auto _ : state) {
    absl::string_view rest = buffer;
    uint64_t sum = 0;
    while (!rest.empty()) {
      ParseResult r = ParseBinaryResponse(rest, {}, &response);
      sum += response.value.size() + response.flags;
      rest.remove_prefix(r.consumed);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buffer.size()));
}
BENCHMARK(BM_ClientParseGetHit)->Arg(32)->Arg(1024)->Arg(16384);

}  // namespace
}  // namespace protocol
}  // namespace memkit

BENCHMARK_MAIN();
