// memkit-proxy's admin API, black-box: the binary with --admin-listen over
// real memcached servers (OS-chosen ports, stopped by the test). Stats and
// /metrics carry per pool and per server numbers; the Pools service adds,
// removes, reweights, ejects, restores and drains members with only the
// affected keys moving, and drain/eject under load fail no request; a token
// is enforced.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/admin_test_util.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "gtest/gtest.h"
#include "proxy/proxy_test_util.h"
#include "tests/support/eventually.h"
#include "tests/support/scratch_dir.h"

namespace memkit {
namespace proxy {
namespace {

namespace v1 = ::memkit::admin::v1;
using test_support::ServerProcess;
using testing::Conn;
using ::memkit::admin::testing::PortAfter;

constexpr int kKeys = 300;
std::string Key(int i) { return absl::StrCat("key:", i); }

class ProxyAdminTest : public ::testing::Test {
 protected:
  void Start(int n, std::vector<std::string> extra_flags = {}) {
    auto backends = testing::StartMemcached(n);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = std::move(*backends);
    auto dir = test_support::ScratchDir::Create("proxy-admin-test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
    std::vector<std::string> quoted;
    for (const auto& b : backends_) quoted.push_back(absl::StrCat("\"", b->address(), "\""));
    const std::string config_path = dir_->path() + "/proxy.json";
    std::ofstream(config_path) << "{\"threads\": 2, \"pools\": [{\"name\": \"main\", \"servers\": ["
                               << absl::StrJoin(quoted, ",")
                               << "], \"readTimeoutMs\": 1000, \"failureLimit\": 2,"
                                  " \"probeInitialMs\": 50, \"probeMaxMs\": 200}]}";
    std::vector<std::string> args = {"--config", config_path, "--admin-listen=127.0.0.1:0",
                                     "--metrics-listen=127.0.0.1:0"};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    auto proxy = testing::StartProxy(args);
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    admin_port_ = PortAfter(proxy_->LogTail(), "admin-listen: 127.0.0.1:");
    metrics_port_ = PortAfter(proxy_->LogTail(), "metrics-listen: 127.0.0.1:");
    ASSERT_NE(admin_port_, 0) << proxy_->LogTail();
    ASSERT_NE(metrics_port_, 0) << proxy_->LogTail();
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", admin_port_),
                                   grpc::InsecureChannelCredentials());
    pools_ = v1::Pools::NewStub(channel_);
  }

  std::unique_ptr<Conn> Connect(int port) {
    auto c = Conn::Open(port);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  v1::PoolInfo GetPool(const std::string& token = "") {
    v1::GetPoolRequest req;
    v1::GetPoolResponse resp;
    auto ctx = admin::testing::MakeContext(token);
    grpc::Status s = pools_->GetPool(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.pool();
  }

  const v1::PoolServer* Member(const v1::PoolInfo& pool, const std::string& address) {
    for (const auto& s : pool.servers()) {
      if (s.address() == address) return &s;
    }
    return nullptr;
  }

  // Which backend (index into backends_) holds `key` now, asked directly.
  int Holder(const std::string& key) {
    int holder = -1;
    for (size_t b = 0; b < backends_.size(); ++b) {
      auto c = Connect(backends_[b]->port());
      if (c == nullptr) return -2;
      if (absl::StartsWith(c->Call("get " + key + "\r\n", "END\r\n"), "VALUE")) {
        if (holder != -1) return -3;
        holder = static_cast<int>(b);
      }
    }
    return holder;
  }

  // Where a libketama client of `servers` (indices into backends_, with
  // weights) places each key.
  std::map<std::string, int> Expected(const std::vector<std::pair<int, uint32_t>>& servers) {
    std::vector<hash::ServerSpec> specs;
    for (const auto& [b, w] : servers) {
      auto spec = hash::ParseServerSpec(backends_[b]->address());
      spec->weight = w;
      specs.push_back(*spec);
    }
    hash::PlacementOptions options;
    options.distribution = hash::Distribution::kKetamaWeighted;
    auto placement = hash::Placement::Create(specs, options);
    std::map<std::string, int> out;
    for (int i = 0; i < kKeys; ++i) {
      out[Key(i)] = servers[placement.value()->ServerFor(Key(i))].first;
    }
    return out;
  }

  void FlushBackends() {
    for (const auto& b : backends_) {
      auto c = Connect(b->port());
      ASSERT_EQ(c->Call("flush_all\r\n"), "OK\r\n");
    }
  }

  // Sets every key through the proxy; true if all were STORED.
  bool SetAllThroughProxy() {
    auto c = Connect(proxy_->port());
    for (int i = 0; i < kKeys; ++i) {
      if (c->Call(absl::StrCat("set ", Key(i), " 0 0 1\r\nx\r\n")) != "STORED\r\n") return false;
    }
    return true;
  }

  std::vector<std::unique_ptr<ServerProcess>> backends_;
  std::unique_ptr<test_support::ScratchDir> dir_;
  std::unique_ptr<ServerProcess> proxy_;
  int admin_port_ = 0;
  int metrics_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Pools::Stub> pools_;
};

TEST_F(ProxyAdminTest, StatsAndMetricsPerPoolAndServer) {
  Start(2);
  auto c = Connect(proxy_->port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c->Call(absl::StrCat("set ", Key(i), " 0 0 1\r\nv\r\n")), "STORED\r\n");
  }
  for (int i = 0; i < 30; ++i) c->Call(absl::StrCat("get ", Key(i), "\r\n"), "END\r\n");

  auto stats = v1::Stats::NewStub(channel_);
  v1::GetStatsRequest req;
  req.set_include_histogram_buckets(true);
  v1::GetStatsResponse resp;
  auto ctx = admin::testing::MakeContext();
  ASSERT_TRUE(stats->GetStats(ctx.get(), req, &resp).ok());
  const v1::StatsSnapshot& snap = resp.snapshot();
  EXPECT_EQ(snap.component(), "memkit-proxy");
  std::map<std::string, std::map<std::string, double>> by_scope;  // "kind/name" -> metric
  uint64_t latency_count = 0;
  for (const auto& scope : snap.scopes()) {
    const std::string id = absl::StrCat(scope.kind(), "/", scope.name());
    for (const auto& m : scope.counters()) by_scope[id][m.name()] = m.value();
    for (const auto& m : scope.gauges()) by_scope[id][m.name()] = m.value();
    for (const auto& h : scope.histograms()) {
      if (scope.kind() == v1::SCOPE_KIND_SERVER && h.name() == "backend_latency") {
        latency_count += h.count();
        EXPECT_EQ(scope.pool(), "main");
      }
    }
  }
  const std::string pool_id = absl::StrCat(v1::SCOPE_KIND_POOL, "/main");
  ASSERT_TRUE(by_scope.count(pool_id)) << snap.DebugString();
  EXPECT_EQ(by_scope[pool_id]["requests_total"], 50);
  EXPECT_EQ(by_scope[pool_id]["hits_total"], 20);
  EXPECT_EQ(by_scope[pool_id]["misses_total"], 10);
  EXPECT_EQ(by_scope[pool_id]["servers_up"], 2);
  double server_requests = 0;
  for (const auto& b : backends_) {
    const std::string id = absl::StrCat(v1::SCOPE_KIND_SERVER, "/", b->address());
    ASSERT_TRUE(by_scope.count(id)) << snap.DebugString();
    EXPECT_EQ(by_scope[id]["up"], 1);
    EXPECT_EQ(by_scope[id]["errors_total"], 0);
    server_requests += by_scope[id]["requests_total"];
  }
  EXPECT_EQ(server_requests, 50);
  // One text client on a 2-thread proxy: one connection to each server used.
  EXPECT_EQ(by_scope[absl::StrCat(v1::SCOPE_KIND_SERVER, "/", backends_[0]->address())]
                    ["connections"],
            1);
  EXPECT_EQ(latency_count, 50u);

  // The text "stats proxy" has each server's latency percentiles and
  // histogram too (every request answered within a second).
  const std::string text = c->Call("stats proxy\r\n", "END\r\n");
  uint64_t within_a_second = 0;
  for (const auto& b : backends_) {
    const std::string prefix = absl::StrCat("STAT server:", b->address(), ":");
    EXPECT_TRUE(absl::StrContains(text, prefix + "latency_p99_us ")) << text;
    const size_t at = text.find(prefix + "latency_le_1000000us ");
    ASSERT_NE(at, std::string::npos) << text;
    uint64_t n = 0;
    const size_t start = at + prefix.size() + strlen("latency_le_1000000us ");
    ASSERT_TRUE(absl::SimpleAtoi(text.substr(start, text.find('\r', start) - start), &n));
    within_a_second += n;
  }
  EXPECT_EQ(within_a_second, 50u);

  auto scrape = admin::testing::HttpGet(metrics_port_, "/metrics");
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  const std::string body = admin::testing::HttpBody(*scrape);
  EXPECT_TRUE(absl::StrContains(body, "backend_latency")) << body;
  EXPECT_TRUE(absl::StrContains(body, backends_[0]->address())) << body;
  auto promtool = admin::testing::RunPromtoolCheckMetrics(body);
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_EQ(promtool->exit_status, 0) << promtool->output;
}

TEST_F(ProxyAdminTest, HealthReflectionAndUnimplementedReasons) {
  Start(1);
  int serving = 0;
  ASSERT_TRUE(admin::testing::HealthCheck(channel_, "", &serving).ok());
  EXPECT_EQ(serving, 1);
  std::vector<std::string> services;
  ASSERT_TRUE(admin::testing::ReflectionListServices(channel_, "", &services).ok());
  EXPECT_NE(std::find(services.begin(), services.end(), "memkit.admin.v1.Pools"), services.end());
  auto cache = v1::Cache::NewStub(channel_);
  v1::FlushAllResponse resp;
  auto ctx = admin::testing::MakeContext();
  grpc::Status s = cache->FlushAll(ctx.get(), v1::FlushAllRequest(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "memkit-proxy")) << s.error_message();
}

TEST_F(ProxyAdminTest, EjectAndRestoreMoveOnlyTheMembersKeys) {
  Start(3);
  const auto before = Expected({{0, 1}, {1, 1}, {2, 1}});
  ASSERT_TRUE(SetAllThroughProxy());
  for (int i = 0; i < kKeys; i += 7) ASSERT_EQ(Holder(Key(i)), before.at(Key(i))) << Key(i);

  v1::EjectServerRequest req;
  req.set_address(backends_[1]->address());
  req.set_reason("maintenance");
  v1::EjectServerResponse resp;
  auto ctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->EjectServer(ctx.get(), req, &resp).ok());
  const v1::PoolServer* m = Member(resp.pool(), backends_[1]->address());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state(), v1::SERVER_STATE_EJECTED);
  EXPECT_EQ(m->state_reason(), "ejected by admin: maintenance");
  EXPECT_EQ(m->placement_share(), 0);

  // Keys of the other members still hit through the proxy; the ejected
  // member's keys now miss (they go to libketama's next server).
  const auto after = Expected({{0, 1}, {2, 1}});
  auto c = Connect(proxy_->port());
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string reply = c->Call(absl::StrCat("get ", Key(i), "\r\n"), "END\r\n");
    if (before.at(Key(i)) == 1) {
      ++moved;
      EXPECT_EQ(reply, "END\r\n") << Key(i);
    } else {
      EXPECT_EQ(after.at(Key(i)), before.at(Key(i)));
      EXPECT_TRUE(absl::StartsWith(reply, "VALUE")) << Key(i);
    }
  }
  EXPECT_GT(moved, 0);
  // An admin ejection is not undone by the prober (the member answers).
  absl::SleepFor(absl::Milliseconds(300));  // several probe periods: nothing may change
  EXPECT_EQ(Member(GetPool(), backends_[1]->address())->state(), v1::SERVER_STATE_EJECTED);

  v1::RestoreServerRequest rreq;
  rreq.set_address(backends_[1]->address());
  v1::RestoreServerResponse rresp;
  auto rctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->RestoreServer(rctx.get(), rreq, &rresp).ok());
  EXPECT_EQ(Member(rresp.pool(), backends_[1]->address())->state(), v1::SERVER_STATE_UP);
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_TRUE(absl::StartsWith(c->Call(absl::StrCat("get ", Key(i), "\r\n"), "END\r\n"),
                                 "VALUE"))
        << Key(i);
  }
}

TEST_F(ProxyAdminTest, TimedEjectionEndsByItself) {
  Start(2);
  v1::EjectServerRequest req;
  req.set_address(backends_[0]->address());
  req.set_duration_ms(200);
  v1::EjectServerResponse resp;
  auto ctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->EjectServer(ctx.get(), req, &resp).ok());
  EXPECT_GT(Member(resp.pool(), backends_[0]->address())->ejected_until_unix_nanos(), 0);
  EXPECT_TRUE(test_support::Eventually([&] {
    return Member(GetPool(), backends_[0]->address())->state() == v1::SERVER_STATE_UP;
  }));
}

TEST_F(ProxyAdminTest, AddRemoveAndReweightPlaceAsLibketama) {
  auto extra = testing::StartMemcached(1);
  ASSERT_TRUE(extra.ok()) << extra.status();
  Start(2);
  backends_.push_back(std::move((*extra)[0]));  // index 2: not a member yet

  v1::AddServerRequest add;
  add.set_address(backends_[2]->address());
  v1::AddServerResponse add_resp;
  auto ctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->AddServer(ctx.get(), add, &add_resp).ok());
  ASSERT_EQ(add_resp.pool().servers_size(), 3);
  auto again = admin::testing::MakeContext();
  EXPECT_EQ(pools_->AddServer(again.get(), add, &add_resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  // Keys land where a libketama client of the three servers puts them.
  const auto three = Expected({{0, 1}, {1, 1}, {2, 1}});
  const auto two = Expected({{0, 1}, {1, 1}});
  ASSERT_TRUE(SetAllThroughProxy());
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(Holder(Key(i)), three.at(Key(i))) << Key(i);
    if (three.at(Key(i)) != two.at(Key(i))) {
      ++moved;
      EXPECT_EQ(three.at(Key(i)), 2) << "only keys to the new server move";
    }
  }
  EXPECT_GT(moved, 0);

  // Weight 3 of 5: a bigger share of the ring, placed as libketama weights.
  v1::SetServerWeightRequest w;
  w.set_address(backends_[2]->address());
  w.set_weight(3);
  v1::SetServerWeightResponse w_resp;
  auto wctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->SetServerWeight(wctx.get(), w, &w_resp).ok());
  EXPECT_GT(Member(w_resp.pool(), backends_[2]->address())->placement_share(), 0.45);
  FlushBackends();
  ASSERT_TRUE(SetAllThroughProxy());
  const auto weighted = Expected({{0, 1}, {1, 1}, {2, 3}});
  for (int i = 0; i < kKeys; i += 3) ASSERT_EQ(Holder(Key(i)), weighted.at(Key(i))) << Key(i);

  // Remove the first: its keys go elsewhere, the others stay.
  v1::RemoveServerRequest rm;
  rm.set_address(backends_[0]->address());
  v1::RemoveServerResponse rm_resp;
  auto rctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->RemoveServer(rctx.get(), rm, &rm_resp).ok());
  EXPECT_EQ(rm_resp.pool().servers_size(), 2);
  EXPECT_EQ(Member(rm_resp.pool(), backends_[0]->address()), nullptr);
  FlushBackends();
  ASSERT_TRUE(SetAllThroughProxy());
  const auto rest = Expected({{1, 1}, {2, 3}});
  for (int i = 0; i < kKeys; i += 3) ASSERT_EQ(Holder(Key(i)), rest.at(Key(i))) << Key(i);

  // Unknown members and the last member are refused.
  rm.set_address("127.0.0.1:1");
  auto nctx = admin::testing::MakeContext();
  EXPECT_EQ(pools_->RemoveServer(nctx.get(), rm, &rm_resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  rm.set_address(backends_[1]->address());
  auto lctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->RemoveServer(lctx.get(), rm, &rm_resp).ok());
  rm.set_address(backends_[2]->address());
  auto last = admin::testing::MakeContext();
  EXPECT_EQ(pools_->RemoveServer(last.get(), rm, &rm_resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// A client thread keeps setting and getting through the proxy while a member
// is drained (then stopped) and another ejected: no request gets an error.
TEST_F(ProxyAdminTest, DrainAndEjectUnderLoadFailNothing) {
  Start(3);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::string first_failure;
  std::thread load([&] {
    auto c = Connect(proxy_->port());
    if (c == nullptr) return;
    for (int i = 0; !stop.load(); ++i) {
      const std::string key = Key(i % kKeys);
      const std::string set = c->Call(absl::StrCat("set ", key, " 0 0 2\r\nok\r\n"));
      const std::string get = c->Call(absl::StrCat("get ", key, "\r\n"), "END\r\n");
      // A get may miss right after its key moved (as with any client whose
      // server list changed); an error reply is a failure.
      if (set == "STORED\r\n" && (absl::StartsWith(get, "VALUE") || get == "END\r\n")) {
        ok.fetch_add(1);
      } else {
        if (failed.fetch_add(1) == 0) first_failure = set + get;
      }
    }
  });
  ASSERT_TRUE(test_support::Eventually([&] { return ok.load() > 200; }));

  v1::DrainServerRequest drain;
  drain.set_address(backends_[0]->address());
  drain.set_timeout_ms(3000);
  v1::DrainServerResponse drain_resp;
  auto ctx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->DrainServer(ctx.get(), drain, &drain_resp).ok());
  EXPECT_EQ(drain_resp.in_flight(), 0);
  EXPECT_EQ(Member(drain_resp.pool(), backends_[0]->address())->state(),
            v1::SERVER_STATE_DRAINED);
  // Drained: nothing more reaches it.
  const int before = ok.load();
  ASSERT_TRUE(test_support::Eventually([&] { return ok.load() > before + 200; }));
  const uint64_t sent = Member(GetPool(), backends_[0]->address())->requests_total();
  const int mark = ok.load();
  ASSERT_TRUE(test_support::Eventually([&] { return ok.load() > mark + 200; }));
  EXPECT_EQ(Member(GetPool(), backends_[0]->address())->requests_total(), sent);

  // Drained means safe to stop: the load goes on without an error.
  backends_[0]->Stop();
  const int stopped = ok.load();
  ASSERT_TRUE(test_support::Eventually([&] { return ok.load() > stopped + 200; }));

  v1::EjectServerRequest eject;
  eject.set_address(backends_[1]->address());
  v1::EjectServerResponse eject_resp;
  auto ectx = admin::testing::MakeContext();
  ASSERT_TRUE(pools_->EjectServer(ectx.get(), eject, &eject_resp).ok());
  const int after = ok.load();
  ASSERT_TRUE(test_support::Eventually([&] { return ok.load() > after + 200; }));
  stop.store(true);
  load.join();
  EXPECT_EQ(failed.load(), 0) << first_failure;
}

TEST_F(ProxyAdminTest, TokenRequired) {
  auto dir = test_support::ScratchDir::Create("proxy-admin-token");
  ASSERT_TRUE(dir.ok());
  const std::string token_file = (*dir)->path() + "/token";
  ASSERT_TRUE(admin::testing::WriteFile(token_file, "s3cret\n"));
  Start(1, {"--admin-token-file=" + token_file});
  for (const std::string token : {"", "wrong"}) {
    v1::ListPoolsResponse resp;
    auto ctx = admin::testing::MakeContext(token);
    EXPECT_EQ(pools_->ListPools(ctx.get(), v1::ListPoolsRequest(), &resp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << "token \"" << token << "\"";
    int serving = 0;
    EXPECT_EQ(admin::testing::HealthCheck(channel_, token, &serving).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  v1::ListPoolsResponse resp;
  auto ctx = admin::testing::MakeContext("s3cret");
  ASSERT_TRUE(pools_->ListPools(ctx.get(), v1::ListPoolsRequest(), &resp).ok());
  ASSERT_EQ(resp.pools_size(), 1);
  EXPECT_EQ(resp.pools(0).name(), "main");
}

TEST_F(ProxyAdminTest, TlsOnlyWithTlsFlags) {
  auto dir = test_support::ScratchDir::Create("proxy-admin-tls");
  ASSERT_TRUE(dir.ok());
  auto cert = admin::testing::MakeTestCertificate((*dir)->path());
  ASSERT_TRUE(cert.ok()) << cert.status();
  Start(1, {"--admin-tls-cert=" + cert->cert_file, "--admin-tls-key=" + cert->key_file});
  v1::ListPoolsResponse resp;
  auto plain = admin::testing::MakeContext();
  EXPECT_EQ(pools_->ListPools(plain.get(), v1::ListPoolsRequest(), &resp).error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "plaintext refused";
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = cert->cert_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", admin_port_),
                                           grpc::SslCredentials(ssl), args);
  auto ctx = admin::testing::MakeContext();
  grpc::Status s = v1::Pools::NewStub(channel)->ListPools(ctx.get(), v1::ListPoolsRequest(), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.pools(0).servers_size(), 1);
}

TEST_F(ProxyAdminTest, BadAdminFlagsExitWithUsage) {
  auto backends = testing::StartMemcached(1);
  ASSERT_TRUE(backends.ok()) << backends.status();
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--admin-listen=0.0.0.0:0"},
        std::vector<std::string>{"--admin-listen=127.0.0.1:0",
                                 "--admin-token-file=/nonexistent/token"},
        std::vector<std::string>{"--admin_port=x"}}) {
    std::vector<std::string> args = {"--servers=" + (*backends)[0]->address()};
    args.insert(args.end(), bad.begin(), bad.end());
    test_support::ServerCommand command =
        test_support::CommandFor(testing::ProxyBinary(), std::move(args));
    auto exit = test_support::RunServerToExit(command, absl::Seconds(20));
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_EQ(exit->exit_code, 64) << absl::StrJoin(bad, " ") << ": " << exit->output;
  }
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
