// memkit bench against the in-process fake server: counts, hits and misses
// per protocol, open-loop pacing, injected latency showing in the
// percentiles, errors, and the key generators.

#include <map>
#include <memory>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/fake_server.h"
#include "tools/bench/load_generator.h"
#include "tools/bench/report.h"
#include "tools/bench/workload.h"

namespace memkit {
namespace bench {
namespace {

class BenchTest : public ::testing::TestWithParam<WireProtocol> {
 protected:
  void SetUp() override {
    auto fake = server::FakeServer::Create();
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = *std::move(fake);
  }

  BenchOptions Options() const {
    BenchOptions o;
    o.server = fake_->address_string();
    o.protocol = GetParam();
    o.threads = 2;
    o.connections_per_thread = 2;
    o.duration = absl::ZeroDuration();
    return o;
  }

  std::unique_ptr<server::FakeServer> fake_;
};

TEST_P(BenchTest, CountsEveryRequestAndEveryHitAfterPrefill) {
  BenchOptions o = Options();
  o.requests = 2000;
  o.pipeline = 4;
  o.get_weight = 2;
  o.set_weight = 1;
  o.multiget_weight = 1;
  o.multiget_width = 5;
  o.key_count = 200;
  o.prefill = true;
  absl::StatusOr<BenchResult> r = RunBench(o, ProgressFn());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total.requests, 2000u);
  EXPECT_EQ(r->total.completed, 2000u);
  EXPECT_EQ(r->connection_errors, 0u);
  EXPECT_EQ(r->total.errors, 0u);
  const OpResult& get = r->ops[static_cast<int>(OpType::kGet)];
  const OpResult& mget = r->ops[static_cast<int>(OpType::kMultiGet)];
  const OpResult& set = r->ops[static_cast<int>(OpType::kSet)];
  EXPECT_GT(get.requests, 0u);
  EXPECT_GT(mget.requests, 0u);
  EXPECT_GT(set.requests, 0u);
  // Every key was set by the prefill, so every key looked up hits.
  EXPECT_EQ(get.hits, get.completed);
  EXPECT_EQ(mget.hits, mget.completed * 5);
  EXPECT_EQ(r->total.misses, 0u);
  EXPECT_DOUBLE_EQ(r->HitRate(), 1.0);
}

TEST_P(BenchTest, CountsMissesOnAnEmptyServer) {
  BenchOptions o = Options();
  o.requests = 300;
  o.get_weight = 1;
  o.set_weight = 0;
  o.multiget_weight = 1;
  o.multiget_width = 3;
  absl::StatusOr<BenchResult> r = RunBench(o, ProgressFn());
  ASSERT_TRUE(r.ok()) << r.status();
  const OpResult& get = r->ops[static_cast<int>(OpType::kGet)];
  const OpResult& mget = r->ops[static_cast<int>(OpType::kMultiGet)];
  EXPECT_EQ(r->total.hits, 0u);
  EXPECT_EQ(r->total.misses, get.completed + 3 * mget.completed);
  EXPECT_EQ(r->total.completed, 300u);
}

TEST_P(BenchTest, InjectedLatencyShowsInThePercentiles) {
  fake_->SetLatency(absl::Milliseconds(50));
  BenchOptions o = Options();
  o.threads = 1;
  o.connections_per_thread = 2;
  o.requests = 20;
  absl::StatusOr<BenchResult> r = RunBench(o, ProgressFn());
  ASSERT_TRUE(r.ok()) << r.status();
  const stats::HistogramSnapshot& h = r->total.latency_ns;
  ASSERT_EQ(h.count(), 20u);
  // Never faster than the injected delay (less the histogram's 1%) ...
  EXPECT_GE(h.min(), absl::ToInt64Nanoseconds(absl::Milliseconds(50)) * 99 / 100);
  EXPECT_GE(h.Percentile(50), 49500000u);
  // ... and not far above it on a loaded machine either.
  EXPECT_LT(h.Percentile(50), 150000000u);
}

TEST_P(BenchTest, ServerErrorsAreCounted) {
  fake_->FailNextCommands(5, "injected");
  BenchOptions o = Options();
  o.threads = 1;
  o.connections_per_thread = 1;
  o.requests = 50;
  absl::StatusOr<BenchResult> r = RunBench(o, ProgressFn());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total.errors, 5u);
  EXPECT_EQ(r->total.completed, 50u);
  EXPECT_EQ(r->connection_errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(Protocols, BenchTest,
                         ::testing::Values(WireProtocol::kText, WireProtocol::kMeta,
                                           WireProtocol::kBinary),
                         [](const ::testing::TestParamInfo<WireProtocol>& info) {
                           switch (info.param) {
                             case WireProtocol::kText: return std::string("text");
                             case WireProtocol::kMeta: return std::string("meta");
                             case WireProtocol::kBinary: return std::string("binary");
                           }
                           return std::string("unknown");
                         });

TEST(BenchOpenLoopTest, SendsAtTheRequestedRate) {
  auto fake = server::FakeServer::Create();
  ASSERT_TRUE(fake.ok()) << fake.status();
  BenchOptions o;
  o.server = (*fake)->address_string();
  o.threads = 1;
  o.connections_per_thread = 2;
  o.rate = 400;
  o.duration = absl::Milliseconds(500);
  absl::StatusOr<BenchResult> r = RunBench(o, ProgressFn());
  ASSERT_TRUE(r.ok()) << r.status();
  // 400 req/s for half a second: 200 requests, whatever the server's speed.
  EXPECT_NEAR(static_cast<double>(r->total.requests), 200.0, 4.0);
  EXPECT_EQ(r->total.completed, r->total.requests);
}

TEST(BenchOpenLoopTest, LatencyCountsFromTheDueTimeWhenTheServerStalls) {
  // One connection, one request in flight, 100 req/s due, replies held 50 ms:
  // the server can answer only 20 a second, so requests wait for their turn
  // and that wait is part of their latency (no coordinated omission).
  auto fake = server::FakeServer::Create();
  ASSERT_TRUE(fake.ok()) << fake.status();
  (*fake)->SetLatency(absl::Milliseconds(50));
  BenchOptions o;
  o.server = (*fake)->address_string();
  o.threads = 1;
  o.connections_per_thread = 1;
  o.rate = 100;
  o.duration = absl::Milliseconds(500);
  absl::StatusOr<BenchResult> r = RunBench(o, ProgressFn());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GT(r->total.completed, 5u);
  // A closed-loop measurement would say 50 ms for every request; the last
  // ones sent waited far longer than that.
  EXPECT_GT(r->total.latency_ns.max(), 150000000u);
}

TEST(BenchErrorsTest, UnreachableServerIsUnavailable) {
  BenchOptions o;
  o.server = "127.0.0.1:1";
  o.requests = 10;
  absl::StatusOr<BenchResult> r = RunBench(o, ProgressFn());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

TEST(BenchErrorsTest, BadOptionsAreInvalidArgument) {
  BenchOptions o;
  o.threads = 0;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = BenchOptions();
  o.value_min = 10;
  o.value_max = 5;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = BenchOptions();
  o.key_prefix = "has space";
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = BenchOptions();
  o.get_weight = o.set_weight = o.multiget_weight = 0;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(BenchOptions().Validate().ok());
}

TEST(WorkloadTest, SequentialKeysWalkTheKeySpace) {
  BenchOptions o;
  o.key_pattern = KeyPattern::kSequential;
  o.key_count = 5;
  Workload w(o);
  WorkloadRandom rng(1);
  uint64_t cursor = 3;
  std::vector<uint64_t> seen;
  for (int i = 0; i < 6; ++i) seen.push_back(w.NextKeyIndex(&rng, &cursor));
  EXPECT_EQ(seen, (std::vector<uint64_t>{3, 4, 0, 1, 2, 3}));
  std::string key;
  w.AppendKey(42, &key);
  EXPECT_EQ(key, "memkit:42");
}

TEST(WorkloadTest, ZipfianFavoursLowKeysUniformDoesNot) {
  BenchOptions o;
  o.key_count = 1000;
  o.key_pattern = KeyPattern::kZipfian;
  Workload zipf(o);
  o.key_pattern = KeyPattern::kUniform;
  Workload uniform(o);
  WorkloadRandom rng(7);
  uint64_t cursor = 0;
  int zipf_low = 0, uniform_low = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t z = zipf.NextKeyIndex(&rng, &cursor);
    const uint64_t u = uniform.NextKeyIndex(&rng, &cursor);
    ASSERT_LT(z, 1000u);
    ASSERT_LT(u, 1000u);
    zipf_low += z < 10;
    uniform_low += u < 10;
  }
  // Uniform: 1% of draws land in the first 10 keys; zipfian(0.99): ~38%.
  EXPECT_NEAR(uniform_low, 1000, 300);
  EXPECT_GT(zipf_low, 30000);
}

TEST(WorkloadTest, OpMixAndValueSizesFollowTheOptions) {
  BenchOptions o;
  o.get_weight = 3;
  o.set_weight = 1;
  o.multiget_weight = 0;
  o.value_min = 10;
  o.value_max = 20;
  Workload w(o);
  WorkloadRandom rng(3);
  std::map<OpType, int> ops;
  for (int i = 0; i < 40000; ++i) {
    ++ops[w.NextOp(&rng)];
    const size_t size = w.NextValueSize(&rng);
    ASSERT_GE(size, 10u);
    ASSERT_LE(size, 20u);
    ASSERT_EQ(w.Value(size).size(), size);
  }
  EXPECT_EQ(ops[OpType::kMultiGet], 0);
  EXPECT_NEAR(ops[OpType::kGet], 30000, 600);
  EXPECT_NEAR(ops[OpType::kSet], 10000, 600);
}

TEST(ReportTest, JsonAndTableCarryTheNumbers) {
  BenchOptions o;
  o.server = "127.0.0.1:1";
  BenchResult r;
  r.server = o.server;
  r.elapsed = absl::Seconds(2);
  r.ops[0].requests = r.ops[0].completed = 10;
  r.ops[0].hits = 7;
  r.ops[0].misses = 3;
  r.total = r.ops[0];
  const std::string json = FormatJson(o, r);
  EXPECT_NE(json.find("\"ops_per_sec\": 5.0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"hit_rate\": 0.7000"), std::string::npos) << json;
  const std::string table = FormatReport(o, r);
  EXPECT_NE(table.find("hit rate 70.0%"), std::string::npos) << table;
}

}  // namespace
}  // namespace bench
}  // namespace memkit
