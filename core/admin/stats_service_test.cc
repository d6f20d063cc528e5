#include "core/admin/stats_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "core/admin/admin_server.h"
#include "core/admin/stats_collector.h"
#include "core/stats/counter.h"
#include "core/stats/histogram.h"
#include "gtest/gtest.h"

namespace memkit {
namespace admin {
namespace {

// Reports one counter, one gauge, one histogram (nanoseconds) and two
// memcached stats; each Collect() also bumps the counter by 10 and records
// one latency of `next_latency_ns`, so intervals have something to show.
class TestProvider : public StatsProvider {
 public:
  std::string component() const override { return "test"; }
  void Collect(StatsBuilder* b) override {
    requests_.Add(10);
    latency_.Record(next_latency_ns.load());
    b->BeginScope(v1::SCOPE_KIND_COMPONENT, "test");
    b->AddCounter("requests_total", "Requests.", requests_.value());
    b->AddGauge("connections", "Open connections.", 3);
    b->AddHistogram("request_latency", "Latency.", latency_.Snapshot(), kNanosToMicros);
    b->BeginScope(v1::SCOPE_KIND_SERVER, "127.0.0.1:11211", "main");
    b->AddMemcachedStat("curr_items", "5");
    b->AddMemcachedStat("version", "1.6.18");
    b->AddCounter("cmd_get_total", "Gets.", 42, {{"command", "get"}});
  }

  std::atomic<int64_t> next_latency_ns{1000000};  // 1 ms

 private:
  stats::Counter requests_;
  stats::Histogram latency_;
};

const v1::Histogram& LatencyOf(const v1::StatsSnapshot& s) { return s.scopes(0).histograms(0); }

TEST(StatsCollectorTest, BuildsScopesAndOptionalParts) {
  TestProvider provider;
  CollectedStats plain = CollectStats(provider, CollectOptions());
  const v1::StatsSnapshot& s = plain.snapshot;
  EXPECT_EQ(s.component(), "test");
  EXPECT_GT(s.time_unix_nanos(), 0);
  ASSERT_EQ(s.scopes_size(), 2);
  EXPECT_EQ(s.scopes(0).kind(), v1::SCOPE_KIND_COMPONENT);
  EXPECT_EQ(s.scopes(0).counters(0).value(), 10u);
  EXPECT_EQ(s.scopes(0).gauges(0).value(), 3.0);
  const v1::Histogram& h = LatencyOf(s);
  EXPECT_EQ(h.unit(), "microseconds");
  EXPECT_EQ(h.count(), 1u);
  EXPECT_NEAR(h.total().p50(), 1000.0, 10.0);  // 1 ms in microseconds, within 1%
  EXPECT_NEAR(h.total().max(), 1000.0, 0.001);
  EXPECT_EQ(h.buckets_size(), 0);
  EXPECT_EQ(s.scopes(1).kind(), v1::SCOPE_KIND_SERVER);
  EXPECT_EQ(s.scopes(1).pool(), "main");
  EXPECT_EQ(s.scopes(1).memcached_stats_size(), 0);
  EXPECT_EQ(s.scopes(1).counters(0).labels().at("command"), "get");

  CollectOptions full;
  full.include_memcached_stats = true;
  full.include_histogram_buckets = true;
  CollectedStats rich = CollectStats(provider, full);
  ASSERT_EQ(rich.snapshot.scopes(1).memcached_stats_size(), 2);
  EXPECT_EQ(rich.snapshot.scopes(1).memcached_stats(1).value(), "1.6.18");
  const v1::Histogram& hb = LatencyOf(rich.snapshot);
  ASSERT_EQ(static_cast<size_t>(hb.buckets_size()), LatencyBucketBoundsMicros().size());
  for (const v1::HistogramBucket& b : hb.buckets()) {
    // Both values are 1 ms: buckets below 1000 us are empty, the rest hold 2.
    EXPECT_EQ(b.cumulative_count(), b.upper_bound() >= 1000 ? 2u : 0u) << b.upper_bound();
  }
}

TEST(StatsCollectorTest, IntervalHasDeltasRatesAndIntervalPercentiles) {
  TestProvider provider;
  CollectedStats first = CollectStats(provider, CollectOptions());
  provider.next_latency_ns = 50000000;  // 50 ms
  CollectedStats second = CollectStats(provider, CollectOptions());
  // Make the interval exactly 2 s, whatever the machine's speed.
  second.snapshot.set_time_unix_nanos(first.snapshot.time_unix_nanos() + 2000000000);
  ApplyInterval(first, &second);
  EXPECT_EQ(second.snapshot.interval_ms(), 2000);
  const v1::Counter& c = second.snapshot.scopes(0).counters(0);
  EXPECT_EQ(c.value(), 20u);
  EXPECT_EQ(c.delta(), 10u);
  EXPECT_DOUBLE_EQ(c.rate_per_second(), 5.0);
  const v1::Counter& unchanged = second.snapshot.scopes(1).counters(0);
  EXPECT_EQ(unchanged.delta(), 0u);
  const v1::Histogram& h = LatencyOf(second.snapshot);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.delta_count(), 1u);
  EXPECT_DOUBLE_EQ(h.rate_per_second(), 0.5);
  // Only the 50 ms value is in the interval; the total has both.
  EXPECT_NEAR(h.interval().p50(), 50000.0, 500.0);
  EXPECT_NEAR(h.total().p50(), 1000.0, 10.0);
}

class StatsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AdminServerOptions options;
    options.services = {&service_};
    auto server = AdminServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::Stats::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return c;
  }

  TestProvider provider_;
  StatsService service_{&provider_};
  std::unique_ptr<AdminServer> server_;
  std::unique_ptr<v1::Stats::Stub> stub_;
};

TEST_F(StatsServiceTest, GetStatsHonoursItsOptions) {
  v1::GetStatsRequest request;
  request.set_include_memcached_stats(true);
  v1::GetStatsResponse response;
  auto context = Context();
  ASSERT_TRUE(stub_->GetStats(context.get(), request, &response).ok());
  EXPECT_EQ(response.snapshot().scopes(1).memcached_stats(0).name(), "curr_items");
  EXPECT_EQ(response.snapshot().interval_ms(), 0);
}

TEST_F(StatsServiceTest, WatchStatsStreamsSnapshotsWithDeltas) {
  v1::WatchStatsRequest request;
  request.set_interval_ms(20);
  request.set_max_snapshots(3);
  auto context = Context();
  auto reader = stub_->WatchStats(context.get(), request);
  std::vector<v1::StatsSnapshot> got;
  v1::StatsSnapshot s;
  while (reader->Read(&s)) got.push_back(s);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(got.size(), 3u);
  for (uint64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].sequence(), i);
  EXPECT_EQ(got[0].interval_ms(), 0);
  EXPECT_EQ(got[0].scopes(0).counters(0).delta(), 0u);
  EXPECT_GE(got[1].interval_ms(), 15);
  EXPECT_EQ(got[1].scopes(0).counters(0).delta(), 10u);
  EXPECT_GT(got[1].scopes(0).counters(0).rate_per_second(), 0.0);
  EXPECT_EQ(LatencyOf(got[2]).delta_count(), 1u);
}

TEST_F(StatsServiceTest, WatchStatsRefusesTinyIntervals) {
  v1::WatchStatsRequest request;
  request.set_interval_ms(1);
  auto context = Context();
  auto reader = stub_->WatchStats(context.get(), request);
  v1::StatsSnapshot s;
  EXPECT_FALSE(reader->Read(&s));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(StatsServiceTest, StopEndsOpenEndedWatches) {
  v1::WatchStatsRequest request;
  request.set_interval_ms(20);  // no max_snapshots: until cancelled or stopped
  auto context = Context();
  auto reader = stub_->WatchStats(context.get(), request);
  v1::StatsSnapshot s;
  ASSERT_TRUE(reader->Read(&s));
  service_.Stop();
  while (reader->Read(&s)) {
  }
  EXPECT_TRUE(reader->Finish().ok());
}

}  // namespace
}  // namespace admin
}  // namespace memkit
