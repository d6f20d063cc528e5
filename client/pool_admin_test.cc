// ClientPoolAdmin through a real gRPC stub in-process, over ClientPools of
// three real memcached servers, with load running while the RPCs steer them.

#include "client/pool_admin.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/testing/memcached_process.h"
#include "core/admin/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace client {
namespace {

namespace v1 = ::memkit::admin::v1;
using testing::MemcachedProcess;

class PoolAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MemcachedProcess::Available()) GTEST_SKIP() << "no /usr/bin/memcached";
    for (int i = 0; i < 4; ++i) {
      auto p = MemcachedProcess::Start();
      ASSERT_TRUE(p.ok()) << p.status();
      servers_.push_back(std::move(*p));
    }
    ClientOptions o;
    for (int i = 0; i < 3; ++i) o.servers.push_back(servers_[i]->address());
    o.distribution = hash::Distribution::kKetama;
    ClientPoolOptions po;
    po.acquire_timeout = absl::Seconds(10);
    main_ = *ClientPool::Create(o, po);
    ClientOptions one;
    one.servers = {servers_[3]->address()};
    other_ = *ClientPool::Create(one);
    admin_ = std::make_unique<ClientPoolAdmin>(
        std::vector<NamedPool>{{"main", main_.get()}, {"other", other_.get()}},
        ClientPoolAdminOptions{"pool-admin-test"});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    admin_->RegisterWith(&builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    pools_ = v1::Pools::NewStub(channel);
    stats_ = v1::Stats::NewStub(channel);
  }
  void TearDown() override {
    stop_ = true;
    for (auto& t : load_) t.join();
    if (server_) server_->Shutdown();
  }

  void StartLoad() {
    for (int t = 0; t < 3; ++t) {
      load_.emplace_back([this, t] {
        for (int i = 0; !stop_.load(); ++i) {
          auto h = main_->Acquire();
          if (!h.ok()) {
            ++failures_;
            continue;
          }
          const std::string key = absl::StrCat("k", t, ":", i % 300);
          if (!(*h)->Set(key, "v").ok()) ++failures_;
          auto got = (*h)->Get(key);
          if (!got.ok() && !absl::IsNotFound(got.status())) ++failures_;
          ++ops_;
        }
      });
    }
  }
  void AwaitOps(int more) {
    const int want = ops_.load() + more;
    test_support::Eventually([&] { return ops_.load() >= want; }, absl::Seconds(20));
    ASSERT_GE(ops_.load(), want);
  }
  // Where a Client lent now places `key`.
  std::string Placed(const std::string& key) {
    auto h = main_->Acquire();
    EXPECT_TRUE(h.ok());
    auto s = (*h)->ServerForKey(key);
    return s.ok() ? *s : s.status().ToString();
  }
  static const v1::PoolServer* Member(const v1::PoolInfo& pool, const std::string& address) {
    for (const auto& s : pool.servers()) {
      if (s.address() == address) return &s;
    }
    return nullptr;
  }

  std::vector<std::unique_ptr<MemcachedProcess>> servers_;
  std::unique_ptr<ClientPool> main_, other_;
  std::unique_ptr<ClientPoolAdmin> admin_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Pools::Stub> pools_;
  std::unique_ptr<v1::Stats::Stub> stats_;
  std::vector<std::thread> load_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ops_{0}, failures_{0};
};

TEST_F(PoolAdminTest, ListsPoolsWithTheirServers) {
  grpc::ClientContext ctx;
  v1::ListPoolsResponse out;
  ASSERT_TRUE(pools_->ListPools(&ctx, v1::ListPoolsRequest(), &out).ok());
  ASSERT_EQ(out.pools_size(), 2);
  const v1::PoolInfo& main = out.pools(0);
  EXPECT_EQ(main.name(), "main");
  EXPECT_EQ(main.distribution(), "ketama");
  ASSERT_EQ(main.servers_size(), 3);
  double share = 0;
  for (const auto& s : main.servers()) {
    EXPECT_EQ(s.state(), v1::SERVER_STATE_UP);
    EXPECT_EQ(s.weight(), 1u);
    share += s.placement_share();
  }
  EXPECT_NEAR(share, 1.0, 1e-9);
  EXPECT_EQ(out.pools(1).servers(0).address(), servers_[3]->address());
}

TEST_F(PoolAdminTest, EveryPoolsRpcSteersLiveTrafficWithoutAFailedRequest) {
  const std::string b = servers_[1]->address(), d = servers_[3]->address();
  // A key that lives on b.
  std::string key;
  for (int i = 0; key.empty(); ++i) {
    if (Placed(absl::StrCat("probe", i)) == b) key = absl::StrCat("probe", i);
  }
  StartLoad();
  AwaitOps(100);
  {
    grpc::ClientContext ctx;
    v1::EjectServerRequest req;
    req.set_pool("main");
    req.set_address(b);
    req.set_reason("disk swap");
    v1::EjectServerResponse out;
    ASSERT_TRUE(pools_->EjectServer(&ctx, req, &out).ok());
    ASSERT_NE(Member(out.pool(), b), nullptr);
    EXPECT_EQ(Member(out.pool(), b)->state(), v1::SERVER_STATE_EJECTED);
    EXPECT_EQ(Member(out.pool(), b)->state_reason(), "ejected by admin: disk swap");
    EXPECT_NE(Placed(key), b);
  }
  AwaitOps(100);
  {
    grpc::ClientContext ctx;
    v1::RestoreServerRequest req;
    req.set_pool("main");
    req.set_address(b);
    v1::RestoreServerResponse out;
    ASSERT_TRUE(pools_->RestoreServer(&ctx, req, &out).ok());
    EXPECT_EQ(Member(out.pool(), b)->state(), v1::SERVER_STATE_UP);
    EXPECT_EQ(Placed(key), b);
  }
  AwaitOps(100);
  {
    grpc::ClientContext ctx;
    v1::DrainServerRequest req;
    req.set_pool("main");
    req.set_address(b);
    req.set_timeout_ms(20000);
    v1::DrainServerResponse out;
    ASSERT_TRUE(pools_->DrainServer(&ctx, req, &out).ok());
    EXPECT_EQ(Member(out.pool(), b)->state(), v1::SERVER_STATE_DRAINED);
    EXPECT_EQ(out.in_flight(), 0);
    EXPECT_NE(Placed(key), b);
    grpc::ClientContext ctx2;
    v1::RestoreServerRequest back;
    back.set_pool("main");
    back.set_address(b);
    v1::RestoreServerResponse restored;
    ASSERT_TRUE(pools_->RestoreServer(&ctx2, back, &restored).ok());
  }
  AwaitOps(100);
  {
    grpc::ClientContext ctx;
    v1::AddServerRequest req;
    req.set_pool("main");
    req.set_address(d);
    req.set_weight(2);
    v1::AddServerResponse out;
    ASSERT_TRUE(pools_->AddServer(&ctx, req, &out).ok());
    ASSERT_EQ(out.pool().servers_size(), 4);
    EXPECT_EQ(Member(out.pool(), d)->weight(), 2u);
    EXPECT_EQ(out.pool().distribution(), "ketama");  // as configured; weights turn it weighted
  }
  AwaitOps(100);
  {
    grpc::ClientContext ctx;
    v1::SetServerWeightRequest req;
    req.set_pool("main");
    req.set_address(d);
    req.set_weight(5);
    v1::SetServerWeightResponse out;
    ASSERT_TRUE(pools_->SetServerWeight(&ctx, req, &out).ok());
    EXPECT_EQ(Member(out.pool(), d)->weight(), 5u);
    EXPECT_GT(Member(out.pool(), d)->placement_share(), 0.4);
  }
  AwaitOps(100);
  {
    grpc::ClientContext ctx;
    v1::RemoveServerRequest req;
    req.set_pool("main");
    req.set_address(d);
    v1::RemoveServerResponse out;
    ASSERT_TRUE(pools_->RemoveServer(&ctx, req, &out).ok());
    EXPECT_EQ(out.pool().servers_size(), 3);
    EXPECT_EQ(Member(out.pool(), d), nullptr);
  }
  AwaitOps(100);
  stop_ = true;
  for (auto& t : load_) t.join();
  load_.clear();
  EXPECT_EQ(failures_.load(), 0);
}

TEST_F(PoolAdminTest, ErrorsKeepTheirCodes) {
  grpc::ClientContext c1;
  v1::GetPoolRequest any;  // "" with two pools
  v1::GetPoolResponse pool;
  EXPECT_EQ(pools_->GetPool(&c1, any, &pool).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext c2;
  v1::GetPoolRequest none;
  none.set_pool("nope");
  EXPECT_EQ(pools_->GetPool(&c2, none, &pool).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c3;
  v1::EjectServerRequest unknown;
  unknown.set_pool("main");
  unknown.set_address("127.0.0.1:1");
  v1::EjectServerResponse ej;
  EXPECT_EQ(pools_->EjectServer(&c3, unknown, &ej).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c4;
  v1::EjectServerRequest last;
  last.set_pool("other");
  last.set_address(servers_[3]->address());
  EXPECT_EQ(pools_->EjectServer(&c4, last, &ej).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  grpc::ClientContext c5;
  v1::AddServerRequest dup;
  dup.set_pool("main");
  dup.set_address(servers_[0]->address());
  v1::AddServerResponse added;
  EXPECT_EQ(pools_->AddServer(&c5, dup, &added).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(PoolAdminTest, StatsHaveAScopePerPoolAndServerAndWatchCarriesDeltas) {
  {
    grpc::ClientContext ctx;
    v1::GetStatsResponse out;
    ASSERT_TRUE(stats_->GetStats(&ctx, v1::GetStatsRequest(), &out).ok());
    const v1::StatsSnapshot& s = out.snapshot();
    EXPECT_EQ(s.component(), "pool-admin-test");
    ASSERT_EQ(s.scopes_size(), 1 + 2 + 4);
    EXPECT_EQ(s.scopes(0).kind(), v1::SCOPE_KIND_COMPONENT);
    EXPECT_EQ(s.scopes(1).kind(), v1::SCOPE_KIND_POOL);
    EXPECT_EQ(s.scopes(1).name(), "main");
    EXPECT_EQ(s.scopes(3).kind(), v1::SCOPE_KIND_SERVER);
    EXPECT_EQ(s.scopes(3).pool(), "main");
  }
  StartLoad();
  grpc::ClientContext ctx;
  v1::WatchStatsRequest req;
  req.set_interval_ms(50);
  req.set_max_snapshots(3);
  auto reader = stats_->WatchStats(&ctx, req);
  v1::StatsSnapshot snap;
  std::vector<v1::StatsSnapshot> got;
  while (reader->Read(&snap)) got.push_back(snap);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].sequence(), 2u);
  EXPECT_GT(got[2].interval_ms(), 0);
  uint64_t acquires_delta = 0;
  for (const auto& c : got[2].scopes(1).counters()) {
    if (c.name() == "acquires_total") acquires_delta = c.delta();
  }
  EXPECT_GT(acquires_delta, 0u);  // load ran during the interval
  // Each server scope: round trips counted, with a latency histogram whose
  // interval part covers the interval's round trips.
  const v1::StatsScope& server = got[2].scopes(3);
  ASSERT_EQ(server.kind(), v1::SCOPE_KIND_SERVER);
  uint64_t requests = 0, requests_delta = 0;
  for (const auto& c : server.counters()) {
    if (c.name() == "requests_total") requests = c.value(), requests_delta = c.delta();
  }
  EXPECT_GT(requests, 0u);
  ASSERT_EQ(server.histograms_size(), 1);
  const v1::Histogram& h = server.histograms(0);
  EXPECT_EQ(h.name(), "request_latency");
  EXPECT_EQ(h.unit(), "microseconds");
  EXPECT_GE(h.count(), requests);  // read after the counter
  EXPECT_GT(h.total().p50(), 0.0);
  EXPECT_GT(h.delta_count(), 0u);
  EXPECT_NEAR(static_cast<double>(h.delta_count()), static_cast<double>(requests_delta),
              static_cast<double>(requests_delta) * 0.5 + 50);
  EXPECT_LE(h.interval().p50(), h.interval().max());
}

TEST_F(PoolAdminTest, StatsBucketsAreCumulative) {
  {
    auto h = main_->Acquire();
    ASSERT_TRUE(h.ok());
    for (int i = 0; i < 50; ++i) ASSERT_TRUE((*h)->Set(absl::StrCat("b", i), "v").ok());
  }
  grpc::ClientContext ctx;
  v1::GetStatsRequest req;
  req.set_include_histogram_buckets(true);
  v1::GetStatsResponse out;
  ASSERT_TRUE(stats_->GetStats(&ctx, req, &out).ok());
  uint64_t total = 0;
  for (const auto& scope : out.snapshot().scopes()) {
    if (scope.kind() != v1::SCOPE_KIND_SERVER || scope.pool() != "main") continue;
    const v1::Histogram& h = scope.histograms(0);
    ASSERT_GT(h.buckets_size(), 5);
    for (int i = 1; i < h.buckets_size(); ++i) {
      EXPECT_GE(h.buckets(i).cumulative_count(), h.buckets(i - 1).cumulative_count());
    }
    EXPECT_EQ(h.buckets(h.buckets_size() - 1).cumulative_count(), h.count());  // all under 10 s
    total += h.count();
  }
  EXPECT_EQ(total, 50u);
}

}  // namespace
}  // namespace client
}  // namespace memkit
