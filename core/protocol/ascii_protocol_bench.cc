// Throughput of the text and meta codecs (Google Benchmark):
//   bazel run --config=opt //core/protocol:ascii_protocol_bench
// Parse: server-side request parsing and client-side reply parsing of
// pipelined buffers (typical get/set traffic, 100-key multigets, text and
// meta). Serialize: server replies and client requests through a
// scatter/gather sink that copies small pieces and references values, as a
// writev() connection does. items/s counts requests or replies; bytes/s the
// wire bytes.

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/ascii_response_parser.h"
#include "core/protocol/ascii_sink.h"
#include "core/protocol/meta_reply_writer.h"
#include "core/protocol/meta_request_writer.h"
#include "core/protocol/text_reply_writer.h"
#include "core/protocol/text_request_writer.h"

namespace memkit {
namespace protocol {
namespace {

constexpr int kBatch = 1000;  // requests per pipelined buffer

std::string Key(int i) { return absl::StrCat("user:profile:", 100000 + i); }

// Copies small pieces into a scratch area and records iovecs; references
// values. Reset between batches.
class IovSink final : public AsciiSink {
 public:
  IovSink() : scratch_(1 << 20), iov_(1 << 14) {}
  void Append(absl::string_view bytes) override {
    std::memcpy(scratch_.data() + used_, bytes.data(), bytes.size());
    Add(scratch_.data() + used_, bytes.size());
    used_ += bytes.size();
  }
  void AppendRef(absl::string_view bytes) override { Add(bytes.data(), bytes.size()); }
  void Reset() {
    used_ = 0;
    n_ = 0;
    bytes_ = 0;
  }
  size_t bytes() const { return bytes_; }

 private:
  void Add(const char* p, size_t n) {
    iov_[n_].iov_base = const_cast<char*>(p);
    iov_[n_].iov_len = n;
    ++n_;
    bytes_ += n;
  }
  std::vector<char> scratch_;
  std::vector<struct iovec> iov_;
  size_t used_ = 0;
  size_t n_ = 0;
  size_t bytes_ = 0;
};

void ParseRequests(benchmark::State& state, const std::string& buffer, int requests) {
  AsciiParserOptions options;
  AsciiRequest req;
  for (auto _ : state) {
    absl::string_view rest = buffer;
    while (!rest.empty()) {
      ParseResult r = ParseAsciiRequest(rest, options, &req);
      if (!r.ok()) state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(req.key.data());
      rest.remove_prefix(r.consumed);
    }
  }
  state.SetItemsProcessed(state.iterations() * requests);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buffer.size()));
}

void ParseReplies(benchmark::State& state, const std::string& buffer, int replies) {
  AsciiResponseParserOptions options;
  AsciiResponse resp;
  for (auto _ : state) {
    absl::string_view rest = buffer;
    while (!rest.empty()) {
      ParseResult r = ParseAsciiResponse(rest, options, &resp);
      if (!r.ok()) state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(resp.value.data());
      rest.remove_prefix(r.consumed);
    }
  }
  state.SetItemsProcessed(state.iterations() * replies);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buffer.size()));
}

// ---- server side: parsing requests

void BM_ParseTextGet(benchmark::State& state) {
  std::string buf;
  for (int i = 0; i < kBatch; ++i) absl::StrAppend(&buf, "get ", Key(i), "\r\n");
  ParseRequests(state, buf, kBatch);
}
BENCHMARK(BM_ParseTextGet);

void BM_ParseTextSet(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::string buf;
  for (int i = 0; i < kBatch; ++i) {
    absl::StrAppend(&buf, "set ", Key(i), " 0 3600 ", value.size(), "\r\n", value, "\r\n");
  }
  ParseRequests(state, buf, kBatch);
}
BENCHMARK(BM_ParseTextSet)->Arg(100)->Arg(4096);

void BM_ParseTextMultiget100(benchmark::State& state) {
  std::string buf;
  for (int n = 0; n < 100; ++n) {
    buf += "get";
    for (int i = 0; i < 100; ++i) absl::StrAppend(&buf, " ", Key(n * 100 + i));
    buf += "\r\n";
  }
  ParseRequests(state, buf, 100);
}
BENCHMARK(BM_ParseTextMultiget100);

void BM_ParseMetaGet(benchmark::State& state) {
  std::string buf;
  for (int i = 0; i < kBatch; ++i) absl::StrAppend(&buf, "mg ", Key(i), " v f c t\r\n");
  ParseRequests(state, buf, kBatch);
}
BENCHMARK(BM_ParseMetaGet);

void BM_ParseMetaSet(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::string buf;
  for (int i = 0; i < kBatch; ++i) {
    absl::StrAppend(&buf, "ms ", Key(i), " ", value.size(), " T3600 F0\r\n", value, "\r\n");
  }
  ParseRequests(state, buf, kBatch);
}
BENCHMARK(BM_ParseMetaSet)->Arg(100)->Arg(4096);

// A meta multiget: 100 quiet mg and an mn.
void BM_ParseMetaMultiget100(benchmark::State& state) {
  std::string buf;
  for (int n = 0; n < 10; ++n) {
    for (int i = 0; i < 100; ++i) absl::StrAppend(&buf, "mg ", Key(n * 100 + i), " v f q k\r\n");
    buf += "mn\r\n";
  }
  ParseRequests(state, buf, 1010);
}
BENCHMARK(BM_ParseMetaMultiget100);

// ---- server side: writing replies

void BM_WriteGetHit(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) keys.push_back(Key(i));
  IovSink sink;
  for (auto _ : state) {
    sink.Reset();
    for (const std::string& k : keys) {
      WriteValue(&sink, k, 0, value, false, 0);
      sink.AppendRef(kTextEnd);
    }
    benchmark::DoNotOptimize(sink.bytes());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sink.bytes()));
}
BENCHMARK(BM_WriteGetHit)->Arg(100)->Arg(4096);

void BM_WriteMultiget100Hits(benchmark::State& state) {
  const std::string value(100, 'v');
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(Key(i));
  IovSink sink;
  for (auto _ : state) {
    sink.Reset();
    for (const std::string& k : keys) {
      // The hot-path form: the VALUE line formatted on the stack.
      char line[kMaxValueLineSize];
      sink.Append(FormatValueLine(line, k, 0, value.size(), true, 123456789));
      sink.AppendRef(value);
      sink.AppendRef(kTextCrlf);
    }
    sink.AppendRef(kTextEnd);
    benchmark::DoNotOptimize(sink.bytes());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sink.bytes()));
}
BENCHMARK(BM_WriteMultiget100Hits);

void BM_WriteMetaGetHit(benchmark::State& state) {
  const std::string value(100, 'v');
  AsciiRequest req;
  AsciiParserOptions options;
  ParseAsciiRequest("mg user:profile:100001 v f c t\r\n", options, &req);
  MetaItemInfo item;
  item.size = value.size();
  item.cas = 123456789;
  item.ttl = 3600;
  IovSink sink;
  for (auto _ : state) {
    sink.Reset();
    for (int i = 0; i < kBatch; ++i) {
      MetaReplyLine line;
      line.StartValue(value.size());
      AddMetaReturnFlags(req, "stcflhOk", item, &line);
      WriteMetaValue(&sink, &line, value);
    }
    benchmark::DoNotOptimize(sink.bytes());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sink.bytes()));
}
BENCHMARK(BM_WriteMetaGetHit);

// ---- client side: writing requests

void BM_WriteGetRequest(benchmark::State& state) {
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) keys.push_back(Key(i));
  IovSink sink;
  for (auto _ : state) {
    sink.Reset();
    for (const std::string& k : keys) {
      absl::string_view key = k;
      WriteGetRequest(&sink, AsciiCommand::kGet, {&key, 1}).IgnoreError();
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sink.bytes()));
}
BENCHMARK(BM_WriteGetRequest);

void BM_WriteSetRequest(benchmark::State& state) {
  const std::string value(100, 'v');
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) keys.push_back(Key(i));
  IovSink sink;
  for (auto _ : state) {
    sink.Reset();
    for (const std::string& k : keys) {
      WriteStorageRequest(&sink, AsciiCommand::kSet, k, 0, 3600, value, 0, false).IgnoreError();
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sink.bytes()));
}
BENCHMARK(BM_WriteSetRequest);

void BM_WriteMultiget100Request(benchmark::State& state) {
  std::vector<std::string> owned;
  for (int i = 0; i < 100; ++i) owned.push_back(Key(i));
  std::vector<absl::string_view> keys(owned.begin(), owned.end());
  IovSink sink;
  for (auto _ : state) {
    sink.Reset();
    WriteGetRequest(&sink, AsciiCommand::kGet, keys).IgnoreError();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sink.bytes()));
}
BENCHMARK(BM_WriteMultiget100Request);

void BM_WriteMetaGetRequest(benchmark::State& state) {
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) keys.push_back(Key(i));
  MetaFlags flags;
  flags.Add('v').Add('f').Add('c').Add('t');
  IovSink sink;
  for (auto _ : state) {
    sink.Reset();
    for (const std::string& k : keys) WriteMetaGetRequest(&sink, k, flags).IgnoreError();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sink.bytes()));
}
BENCHMARK(BM_WriteMetaGetRequest);

// ---- client side: parsing replies

void BM_ParseGetHitReply(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::string buf;
  for (int i = 0; i < kBatch; ++i) {
    absl::StrAppend(&buf, "VALUE ", Key(i), " 0 ", value.size(), "\r\n", value, "\r\nEND\r\n");
  }
  ParseReplies(state, buf, 2 * kBatch);
}
BENCHMARK(BM_ParseGetHitReply)->Arg(100)->Arg(4096);

void BM_ParseMultiget100Reply(benchmark::State& state) {
  const std::string value(100, 'v');
  std::string buf;
  for (int i = 0; i < 100; ++i) {
    absl::StrAppend(&buf, "VALUE ", Key(i), " 0 ", value.size(), " ", 1000 + i, "\r\n", value,
                    "\r\n");
  }
  buf += "END\r\n";
  ParseReplies(state, buf, 101);
}
BENCHMARK(BM_ParseMultiget100Reply);

void BM_ParseMetaValueReply(benchmark::State& state) {
  const std::string value(100, 'v');
  std::string buf;
  for (int i = 0; i < kBatch; ++i) {
    absl::StrAppend(&buf, "VA ", value.size(), " f0 c", 1000 + i, " t3600\r\n", value, "\r\n");
  }
  ParseReplies(state, buf, kBatch);
}
BENCHMARK(BM_ParseMetaValueReply);

void BM_ParseStoredReply(benchmark::State& state) {
  std::string buf;
  for (int i = 0; i < kBatch; ++i) buf += (i % 2 == 0) ? "STORED\r\n" : "HD\r\n";
  ParseReplies(state, buf, kBatch);
}
BENCHMARK(BM_ParseStoredReply);

}  // namespace
}  // namespace protocol
}  // namespace memkit

BENCHMARK_MAIN();
