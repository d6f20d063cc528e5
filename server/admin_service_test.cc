// The admin API of memkit-server, in-process: every RPC ServerAdmin serves,
// observed through memcached connections to the same Server.

#include "server/admin_service.h"

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/admin_test_util.h"
#include "core/stats/histogram.h"
#include "gtest/gtest.h"
#include "server/fake_server.h"
#include "server/server.h"
#include "server/server_test_util.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace server {
namespace {

namespace v1 = ::memkit::admin::v1;
using ::memkit::admin::testing::MakeContext;
using testing::TestConnection;

int LocalPort(const TestConnection& c) {
  sockaddr_in a = {};
  socklen_t len = sizeof(a);
  getsockname(c.fd(), reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

class ServerAdminTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*test_controls=*/true); }

  void Start(bool test_controls) {
    admin_.reset();
    server_.reset();
    ServerOptions options = testing::TestServerOptions();
    options.adjustable_clock = true;
    options.request_latency = &latency_;
    server_ = testing::StartServer(options);
    ASSERT_NE(server_, nullptr);
    ServerAdminOptions admin_options;
    admin_options.admin.listen = "127.0.0.1:0";
    admin_options.metrics_listen = "127.0.0.1:0";
    admin_options.enable_test_controls = test_controls;
    admin_options.command_line = {"memkit-server", "-p", "0"};
    admin_options.request_latency = &latency_;
    auto admin = ServerAdmin::Create(server_.get(), admin_options);
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = std::move(*admin);
    channel_ = grpc::CreateChannel(admin_->admin_address(), grpc::InsecureChannelCredentials());
    stats_ = v1::Stats::NewStub(channel_);
    pools_ = v1::Pools::NewStub(channel_);
    config_ = v1::Config::NewStub(channel_);
    cache_ = v1::Cache::NewStub(channel_);
    testing_ = v1::Testing::NewStub(channel_);
  }

  void TearDown() override {
    if (admin_ != nullptr) admin_->Shutdown();
  }

  std::unique_ptr<TestConnection> Connect() {
    auto c = TestConnection::Connect(server_->address());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  v1::StatsSnapshot GetStats(bool memcached_stats) {
    v1::GetStatsRequest request;
    request.set_include_memcached_stats(memcached_stats);
    v1::GetStatsResponse response;
    auto context = MakeContext();
    grpc::Status s = stats_->GetStats(context.get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.snapshot();
  }

  v1::FaultState SetFault(const v1::SetFaultRequest& request) {
    v1::SetFaultResponse response;
    auto context = MakeContext();
    grpc::Status s = testing_->SetFault(context.get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.state();
  }

  void ClearFaults() {
    v1::ClearFaultsResponse response;
    auto context = MakeContext();
    ASSERT_TRUE(testing_->ClearFaults(context.get(), v1::ClearFaultsRequest(), &response).ok());
    EXPECT_EQ(response.state().outage(), v1::OUTAGE_KIND_UNSPECIFIED);
    EXPECT_EQ(response.state().failures_pending(), 0);
  }

  stats::Histogram latency_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<ServerAdmin> admin_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Stats::Stub> stats_;
  std::unique_ptr<v1::Pools::Stub> pools_;
  std::unique_ptr<v1::Config::Stub> config_;
  std::unique_ptr<v1::Cache::Stub> cache_;
  std::unique_ptr<v1::Testing::Stub> testing_;
};

const v1::Counter* FindCounter(const v1::StatsScope& scope, const std::string& name) {
  for (const auto& c : scope.counters()) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

std::string MemcachedStat(const v1::StatsScope& scope, const std::string& name) {
  for (const auto& s : scope.memcached_stats()) {
    if (s.name() == name) return s.value();
  }
  return "";
}

TEST_F(ServerAdminTest, GetStatsReportsTheServer) {
  auto c = Connect();
  ASSERT_EQ(c->Call("set k 0 0 1\r\nv\r\n"), "STORED\r\n");
  const v1::StatsSnapshot s = GetStats(/*memcached_stats=*/true);
  EXPECT_EQ(s.component(), "memkit-server");
  ASSERT_EQ(s.scopes_size(), 2);
  const v1::StatsScope& component = s.scopes(0);
  EXPECT_EQ(component.kind(), v1::SCOPE_KIND_COMPONENT);
  ASSERT_EQ(component.histograms_size(), 1);
  EXPECT_EQ(component.histograms(0).name(), "request_latency");
  // The request path recorded the one request served (the set), in
  // microseconds: more than nothing, less than a second.
  EXPECT_EQ(component.histograms(0).count(), 1u);
  EXPECT_GT(component.histograms(0).total().p99(), 0.0);
  EXPECT_LT(component.histograms(0).total().p99(), 1e6);
  EXPECT_EQ(component.gauges(0).name(), "client_connections");
  EXPECT_GE(component.gauges(0).value(), 1.0);

  const v1::StatsScope& server = s.scopes(1);
  EXPECT_EQ(server.kind(), v1::SCOPE_KIND_SERVER);
  EXPECT_EQ(server.name(), absl::StrCat("127.0.0.1:", server_->port()));
  EXPECT_EQ(MemcachedStat(server, "curr_items"), "1");
  EXPECT_EQ(MemcachedStat(server, "version"), "1.6.18");
  const v1::Counter* sets = FindCounter(server, "cmd_set_total");
  ASSERT_NE(sets, nullptr);
  EXPECT_EQ(sets->value(), 1u);

  // Without the option the memcached strings are left out.
  EXPECT_EQ(GetStats(false).scopes(1).memcached_stats_size(), 0);
}

TEST_F(ServerAdminTest, WatchStatsSeesRequestsAsDeltas) {
  v1::WatchStatsRequest request;
  request.set_interval_ms(20);
  auto context = MakeContext();
  auto reader = stats_->WatchStats(context.get(), request);
  v1::StatsSnapshot first;
  ASSERT_TRUE(reader->Read(&first));
  auto c = Connect();
  ASSERT_EQ(c->Call("get nothing\r\n", "END\r\n"), "END\r\n");
  // The get shows up as a delta in one of the next snapshots.
  uint64_t seen = 0;
  v1::StatsSnapshot s;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (seen == 0 && absl::Now() < deadline && reader->Read(&s)) {
    const v1::Counter* gets = FindCounter(s.scopes(1), "cmd_get_total");
    ASSERT_NE(gets, nullptr);
    seen = gets->delta();
  }
  EXPECT_EQ(seen, 1u);
  EXPECT_GT(s.sequence(), 0u);
  context->TryCancel();
  while (reader->Read(&s)) {
  }
  reader->Finish();
}

TEST_F(ServerAdminTest, PoolsAreUnimplementedWithAReason) {
  auto check = [](const grpc::Status& s) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_TRUE(absl::StrContains(s.error_message(), "no pools")) << s.error_message();
  };
  {
    v1::ListPoolsResponse r;
    check(pools_->ListPools(MakeContext().get(), v1::ListPoolsRequest(), &r));
  }
  {
    v1::GetPoolResponse r;
    check(pools_->GetPool(MakeContext().get(), v1::GetPoolRequest(), &r));
  }
  {
    v1::AddServerResponse r;
    check(pools_->AddServer(MakeContext().get(), v1::AddServerRequest(), &r));
  }
  {
    v1::RemoveServerResponse r;
    check(pools_->RemoveServer(MakeContext().get(), v1::RemoveServerRequest(), &r));
  }
  {
    v1::SetServerWeightResponse r;
    check(pools_->SetServerWeight(MakeContext().get(), v1::SetServerWeightRequest(), &r));
  }
  {
    v1::EjectServerResponse r;
    check(pools_->EjectServer(MakeContext().get(), v1::EjectServerRequest(), &r));
  }
  {
    v1::RestoreServerResponse r;
    check(pools_->RestoreServer(MakeContext().get(), v1::RestoreServerRequest(), &r));
  }
  {
    v1::DrainServerResponse r;
    check(pools_->DrainServer(MakeContext().get(), v1::DrainServerRequest(), &r));
  }
}

TEST_F(ServerAdminTest, ConfigReportsSettingsAndRefusesReloads) {
  v1::GetConfigResponse config;
  ASSERT_TRUE(config_->GetConfig(MakeContext().get(), v1::GetConfigRequest(), &config).ok());
  EXPECT_EQ(config.component(), "memkit-server");
  std::string tcpport;
  for (const auto& s : config.settings()) {
    if (s.name() == "tcpport") tcpport = s.value();
  }
  EXPECT_EQ(tcpport, absl::StrCat(server_->port()));
  ASSERT_EQ(config.command_line_size(), 3);
  EXPECT_EQ(config.command_line(1), "-p");

  v1::ValidateConfigResponse validate;
  grpc::Status s =
      config_->ValidateConfig(MakeContext().get(), v1::ValidateConfigRequest(), &validate);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "flags")) << s.error_message();
  v1::ReloadConfigResponse reload;
  s = config_->ReloadConfig(MakeContext().get(), v1::ReloadConfigRequest(), &reload);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(ServerAdminTest, FlushAllNowAndWithADelayOnTheMovedClock) {
  auto c = Connect();
  ASSERT_EQ(c->Call("set a 0 0 1\r\n1\r\n"), "STORED\r\n");
  v1::FlushAllResponse flushed;
  ASSERT_TRUE(cache_->FlushAll(MakeContext().get(), v1::FlushAllRequest(), &flushed).ok());
  EXPECT_EQ(c->Call("get a\r\n", "END\r\n"), "END\r\n");

  ASSERT_EQ(c->Call("set b 0 0 1\r\n2\r\n"), "STORED\r\n");
  v1::FlushAllRequest delayed;
  delayed.set_delay_seconds(10);
  ASSERT_TRUE(cache_->FlushAll(MakeContext().get(), delayed, &flushed).ok());
  EXPECT_GT(flushed.effective_unix_nanos(), absl::ToUnixNanos(server_->clock()->Now()));
  EXPECT_EQ(c->Call("get b\r\n", "END\r\n"), "VALUE b 0 1\r\n2\r\nEND\r\n");
  v1::AdvanceClockRequest advance;
  advance.set_delta_ms(11000);
  v1::AdvanceClockResponse moved;
  ASSERT_TRUE(testing_->AdvanceClock(MakeContext().get(), advance, &moved).ok());
  EXPECT_EQ(c->Call("get b\r\n", "END\r\n"), "END\r\n");

  v1::FlushAllRequest pool;
  pool.set_pool("main");
  EXPECT_EQ(cache_->FlushAll(MakeContext().get(), pool, &flushed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerAdminTest, ListAndCloseConnections) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_EQ(a->Call("version\r\n"), "VERSION 1.6.18\r\n");
  ASSERT_EQ(b->Call("version\r\n"), "VERSION 1.6.18\r\n");
  v1::ListConnectionsResponse list;
  ASSERT_TRUE(
      cache_->ListConnections(MakeContext().get(), v1::ListConnectionsRequest(), &list).ok());
  ASSERT_EQ(list.connections_size(), 2);
  std::vector<std::string> peers;
  for (const auto& conn : list.connections()) {
    peers.push_back(conn.peer_address());
    EXPECT_GT(conn.id(), 0u);
    EXPECT_FALSE(conn.state().empty());
  }
  {
    // Protocol and request counts, as the sessions know them.
    auto m = Connect();
    // (mn is answered by the front end itself: it does not count.)
    ASSERT_EQ(m->Call("mg nokey v\r\n"), "EN\r\n");
    ASSERT_EQ(m->Call("mg nokey v\r\n"), "EN\r\n");
    ASSERT_EQ(m->Call("md nokey\r\n"), "NF\r\n");
    auto idle = Connect();
    v1::ListConnectionsResponse more;
    ASSERT_TRUE(
        cache_->ListConnections(MakeContext().get(), v1::ListConnectionsRequest(), &more).ok());
    std::map<std::string, std::pair<std::string, uint64_t>> by_peer;
    for (const auto& conn : more.connections()) {
      by_peer[conn.peer_address()] = {conn.protocol(), conn.requests()};
    }
    const auto a_row = by_peer[absl::StrCat("127.0.0.1:", LocalPort(*a))];
    EXPECT_EQ(a_row.first, "ascii");
    EXPECT_EQ(a_row.second, 1u);
    const auto m_row = by_peer[absl::StrCat("127.0.0.1:", LocalPort(*m))];
    EXPECT_EQ(m_row.first, "meta");
    EXPECT_EQ(m_row.second, 3u);
    const auto idle_row = by_peer[absl::StrCat("127.0.0.1:", LocalPort(*idle))];
    EXPECT_EQ(idle_row.first, "");
    EXPECT_EQ(idle_row.second, 0u);
  }
  for (const auto* c : {a.get(), b.get()}) {
    const std::string want = absl::StrCat("127.0.0.1:", LocalPort(*c));
    EXPECT_TRUE(std::find(peers.begin(), peers.end(), want) != peers.end()) << want;
  }

  // By id: only that connection closes (the other still answers); an id
  // that is not a connection closes nothing.
  const auto& first = list.connections(0);
  TestConnection* victim =
      first.peer_address() == absl::StrCat("127.0.0.1:", LocalPort(*a)) ? a.get() : b.get();
  TestConnection* survivor = victim == a.get() ? b.get() : a.get();
  v1::CloseConnectionsRequest by_id;
  by_id.add_ids(first.id());
  by_id.add_ids(999999);
  v1::CloseConnectionsResponse closed;
  ASSERT_TRUE(cache_->CloseConnections(MakeContext().get(), by_id, &closed).ok());
  EXPECT_EQ(closed.closed(), 1);
  EXPECT_TRUE(victim->WaitForClose());
  EXPECT_EQ(survivor->Call("version\r\n"), "VERSION 1.6.18\r\n");
  auto c = Connect();
  ASSERT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");

  v1::CloseConnectionsRequest all;
  all.set_all(true);
  ASSERT_TRUE(cache_->CloseConnections(MakeContext().get(), all, &closed).ok());
  EXPECT_EQ(closed.closed(), 2);
  EXPECT_TRUE(survivor->WaitForClose());
  EXPECT_TRUE(c->WaitForClose());
}

// Reads a Watch stream on a thread until it ends (max_events, or cancel).
struct WatchReader {
  std::unique_ptr<grpc::ClientContext> context = MakeContext();
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader;
  std::vector<v1::WatchEvent> events;
  std::atomic<bool> done{false};
  std::thread thread;

  WatchReader(v1::Cache::Stub* cache, const v1::WatchRequest& request) {
    reader = cache->Watch(context.get(), request);
    thread = std::thread([this] {
      v1::WatchEvent e;
      while (reader->Read(&e)) events.push_back(e);
      done = true;
    });
  }
  grpc::Status Finish() {
    thread.join();
    return reader->Finish();
  }
};

TEST_F(ServerAdminTest, WatchStreamsEveryKindWithMemcachedsLines) {
  v1::WatchRequest request;
  request.add_types(v1::WATCH_EVENT_TYPE_FETCHERS);
  request.add_types(v1::WATCH_EVENT_TYPE_MUTATIONS);
  request.add_types(v1::WATCH_EVENT_TYPE_CONNEVENTS);
  request.set_max_events(6);
  WatchReader watch(cache_.get(), request);
  // The subscription starts on the server's side of the call: wait for it.
  ASSERT_TRUE(test_support::Eventually([&] {
    auto lines = server_->StatsLines("");
    if (!lines.ok()) return false;
    for (const auto& [name, value] : *lines) {
      if (name == "log_watchers") return value == "1";
    }
    return false;
  }));
  auto c = Connect();
  const int port = LocalPort(*c);
  ASSERT_EQ(c->Call("set k 0 0 3\r\nabc\r\n"), "STORED\r\n");
  ASSERT_EQ(c->Call("get k\r\n", "END\r\n"), "VALUE k 0 3\r\nabc\r\nEND\r\n");
  ASSERT_EQ(c->Call("add k 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  ASSERT_TRUE(watch.Finish().ok());
  ASSERT_EQ(watch.events.size(), 6u);
  const auto& ev = watch.events;
  EXPECT_EQ(ev[0].type(), v1::WATCH_EVENT_TYPE_CONNEVENTS);
  EXPECT_EQ(ev[0].command(), "new");
  EXPECT_TRUE(absl::StrContains(
      ev[0].text(), absl::StrCat(" type=conn_new rip=127.0.0.1 rport=", port, " transport=tcp cfd=")))
      << ev[0].text();
  // set: memcached's lookup, then the store.
  EXPECT_EQ(ev[1].type(), v1::WATCH_EVENT_TYPE_FETCHERS);
  EXPECT_EQ(ev[1].status(), "miss");
  EXPECT_EQ(ev[2].type(), v1::WATCH_EVENT_TYPE_MUTATIONS);
  EXPECT_EQ(ev[2].command(), "set");
  EXPECT_EQ(ev[2].status(), "stored");
  EXPECT_EQ(ev[2].key(), "k");
  EXPECT_EQ(ev[2].size(), 3u);
  EXPECT_EQ(ev[2].connection_id(), ev[0].connection_id());
  EXPECT_TRUE(absl::StrContains(ev[2].text(),
                                " type=item_store key=k status=stored cmd=set ttl=0 clsid=1 cfd="))
      << ev[2].text();
  EXPECT_TRUE(absl::EndsWith(ev[2].text(), " size=3\n")) << ev[2].text();
  EXPECT_EQ(ev[3].status(), "hit");
  EXPECT_EQ(ev[4].status(), "hit");  // add's lookup
  EXPECT_EQ(ev[5].command(), "add");
  EXPECT_EQ(ev[5].status(), "not_stored");
  // Global ids one by one, wall-clock times.
  auto gid = [](const std::string& text) {
    const size_t at = text.find(" gid=");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + 5));
  };
  for (size_t i = 1; i < ev.size(); ++i) EXPECT_EQ(gid(ev[i].text()), gid(ev[i - 1].text()) + 1);
  EXPECT_GT(ev[0].time_unix_nanos(), absl::ToUnixNanos(absl::Now() - absl::Minutes(1)));
  c.reset();
}

TEST_F(ServerAdminTest, WatchStreamsEvictionsAndConnectionCloses) {
  v1::WatchRequest request;
  request.add_types(v1::WATCH_EVENT_TYPE_EVICTIONS);
  request.add_types(v1::WATCH_EVENT_TYPE_CONNEVENTS);
  auto context = MakeContext();
  auto reader = cache_->Watch(context.get(), request);
  ASSERT_TRUE(test_support::Eventually([&] {
    auto lines = server_->StatsLines("");
    if (!lines.ok()) return false;
    for (const auto& [name, value] : *lines) {
      if (name == "log_watchers") return value == "1";
    }
    return false;
  }));
  auto c = Connect();
  // Fill past the memory limit: the first items go.
  server_->cache()->SetMemoryLimit(2 * 1024 * 1024);
  const std::string value(100000, 'x');
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(c->Call(absl::StrCat("set big", i, " 0 0 ", value.size(), "\r\n", value, "\r\n")),
              "STORED\r\n");
  }
  c.reset();
  // Read until both are seen; a watchdog ends the stream if they never come.
  std::atomic<bool> seen{false};
  std::thread watchdog([&] {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!seen && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    context->TryCancel();
  });
  bool saw_eviction = false;
  bool saw_close = false;
  v1::WatchEvent e;
  while (!(saw_eviction && saw_close) && reader->Read(&e)) {
    if (e.type() == v1::WATCH_EVENT_TYPE_EVICTIONS) {
      saw_eviction = true;
      EXPECT_TRUE(absl::StartsWith(e.key(), "big")) << e.key();
      EXPECT_EQ(e.command(), "evict");
      EXPECT_EQ(e.size(), 100000u);
      EXPECT_TRUE(absl::StrContains(e.text(), absl::StrCat(" type=eviction key=", e.key(),
                                                           " fetch=no ttl=-1 la=")))
          << e.text();
    }
    if (e.type() == v1::WATCH_EVENT_TYPE_CONNEVENTS && e.command() == "close") {
      saw_close = true;
      EXPECT_EQ(e.status(), "normal");
      EXPECT_TRUE(absl::StrContains(e.text(), " type=conn_close rip=127.0.0.1 rport="))
          << e.text();
    }
  }
  seen = true;
  watchdog.join();
  reader->Finish();
  EXPECT_TRUE(saw_eviction);
  EXPECT_TRUE(saw_close);
}

TEST_F(ServerAdminTest, ClockControlsMoveItemExpiry) {
  auto c = Connect();
  ASSERT_EQ(c->Call("set t 0 60 1\r\nx\r\n"), "STORED\r\n");
  const int64_t before = absl::ToUnixNanos(server_->clock()->Now());
  v1::AdvanceClockRequest advance;
  advance.set_delta_ms(61000);
  v1::AdvanceClockResponse moved;
  ASSERT_TRUE(testing_->AdvanceClock(MakeContext().get(), advance, &moved).ok());
  EXPECT_GE(moved.now_unix_nanos() - before, int64_t{61} * 1000000000);
  EXPECT_EQ(c->Call("get t\r\n", "END\r\n"), "END\r\n");

  // Set and freeze: the clock reads the time set and stays there.
  const int64_t target = absl::ToUnixNanos(absl::Now() + absl::Hours(24));
  v1::SetClockRequest set;
  set.set_time_unix_nanos(target);
  set.set_mode(v1::CLOCK_MODE_FROZEN);
  v1::SetClockResponse now;
  ASSERT_TRUE(testing_->SetClock(MakeContext().get(), set, &now).ok());
  EXPECT_NEAR(static_cast<double>(now.now_unix_nanos()), static_cast<double>(target), 1e9);
  const absl::Time frozen = server_->clock()->Now();
  EXPECT_EQ(server_->clock()->Now(), frozen);
  advance.set_delta_ms(1000);
  ASSERT_TRUE(testing_->AdvanceClock(MakeContext().get(), advance, &moved).ok());
  EXPECT_EQ(moved.now_unix_nanos(), absl::ToUnixNanos(frozen + absl::Seconds(1)));
  v1::SetClockRequest run;
  run.set_mode(v1::CLOCK_MODE_RUNNING);
  ASSERT_TRUE(testing_->SetClock(MakeContext().get(), run, &now).ok());
}

// Regression (admin_fuzz): a delta or time far out overflowed the clock's
// offset; it is refused and the clock stays where it was.
TEST_F(ServerAdminTest, ClockMovesOutsideTheRangeAreRefused) {
  const absl::Time before = server_->clock()->Now();
  v1::AdvanceClockRequest advance;
  advance.set_delta_ms(INT64_MIN);
  v1::AdvanceClockResponse moved;
  EXPECT_EQ(testing_->AdvanceClock(MakeContext().get(), advance, &moved).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  advance.set_delta_ms(INT64_MAX);
  EXPECT_EQ(testing_->AdvanceClock(MakeContext().get(), advance, &moved).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::SetClockRequest set;
  set.set_time_unix_nanos(-1);
  v1::SetClockResponse now;
  EXPECT_EQ(testing_->SetClock(MakeContext().get(), set, &now).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(absl::AbsDuration(server_->clock()->Now() - before), absl::Seconds(60));
}

TEST_F(ServerAdminTest, InjectedFailuresAndDroppedReplies) {
  auto c = Connect();
  v1::SetFaultRequest fail;
  fail.mutable_fail_commands()->set_count(1);
  fail.mutable_fail_commands()->set_message("out of memory");
  EXPECT_EQ(SetFault(fail).failures_pending(), 1);
  EXPECT_EQ(c->Call("get k\r\n"), "SERVER_ERROR out of memory\r\n");
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "END\r\n");

  v1::SetFaultRequest drop;
  drop.mutable_drop_replies()->set_count(1);
  EXPECT_EQ(SetFault(drop).drops_pending(), 1);
  ASSERT_TRUE(c->Send("set d 0 0 1\r\nz\r\n").ok());  // runs, reply dropped
  EXPECT_EQ(c->Call("get d\r\n", "END\r\n"), "VALUE d 0 1\r\nz\r\nEND\r\n");

  fail.mutable_fail_commands()->set_count(5);
  fail.mutable_fail_commands()->set_message("");
  EXPECT_EQ(SetFault(fail).failures_pending(), 5);
  ClearFaults();
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "END\r\n");

  v1::SetFaultResponse none;
  EXPECT_EQ(testing_->SetFault(MakeContext().get(), v1::SetFaultRequest(), &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerAdminTest, AddedLatencyHoldsReplies) {
  auto c = Connect();
  v1::SetFaultRequest slow;
  slow.mutable_latency()->set_latency_us(150000);
  EXPECT_EQ(SetFault(slow).latency_us(), 150000);
  const absl::Time start = absl::Now();
  EXPECT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(140));
  ClearFaults();
}

TEST_F(ServerAdminTest, OutagesRefuseOrResetUntilCleared) {
  v1::SetFaultRequest refuse;
  refuse.mutable_outage()->set_kind(v1::OUTAGE_KIND_REFUSE);
  EXPECT_EQ(SetFault(refuse).outage(), v1::OUTAGE_KIND_REFUSE);
  EXPECT_FALSE(TestConnection::Connect(server_->address(), absl::Seconds(1)).ok());
  ClearFaults();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");

  v1::SetFaultRequest reset;
  reset.mutable_outage()->set_kind(v1::OUTAGE_KIND_RESET);
  EXPECT_EQ(SetFault(reset).outage(), v1::OUTAGE_KIND_RESET);
  EXPECT_TRUE(c->WaitForClose());  // current connections are reset
  auto d = TestConnection::Connect(server_->address());
  if (d.ok()) {
    EXPECT_TRUE((*d)->WaitForClose());  // accepted, then reset at once
  }
  ClearFaults();
  auto e = Connect();
  EXPECT_EQ(e->Call("version\r\n"), "VERSION 1.6.18\r\n");
}

TEST_F(ServerAdminTest, CloseAllConnectionsControl) {
  auto c = Connect();
  ASSERT_EQ(c->Call("version\r\n"), "VERSION 1.6.18\r\n");
  v1::CloseAllConnectionsRequest request;
  request.set_reset(true);
  v1::CloseAllConnectionsResponse response;
  ASSERT_TRUE(testing_->CloseAllConnections(MakeContext().get(), request, &response).ok());
  EXPECT_EQ(response.closed(), 1);
  EXPECT_TRUE(c->WaitForClose());
  auto d = Connect();  // still listening
  EXPECT_EQ(d->Call("version\r\n"), "VERSION 1.6.18\r\n");
}

TEST_F(ServerAdminTest, TestingNeedsTestControls) {
  Start(/*test_controls=*/false);
  v1::AdvanceClockResponse moved;
  grpc::Status s = testing_->AdvanceClock(MakeContext().get(), v1::AdvanceClockRequest(), &moved);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "--enable-test-controls")) << s.error_message();
  v1::SetFaultRequest fail;
  fail.mutable_fail_commands()->set_count(1);
  v1::SetFaultResponse r;
  EXPECT_EQ(testing_->SetFault(MakeContext().get(), fail, &r).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  auto c = Connect();
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "END\r\n");  // nothing armed
}

TEST_F(ServerAdminTest, MetricsServesTheSameNumbersAndPassesPromtool) {
  auto c = Connect();
  ASSERT_EQ(c->Call("set m 0 0 1\r\nv\r\n"), "STORED\r\n");
  auto response = admin::testing::HttpGet(admin_->metrics_port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  const std::string body = admin::testing::HttpBody(*response);
  const std::string server = absl::StrCat("127.0.0.1:", server_->port());
  EXPECT_TRUE(
      absl::StrContains(body, absl::StrCat("memkit_cmd_set_total{server=\"", server, "\"} 1\n")))
      << body;
  EXPECT_TRUE(
      absl::StrContains(body, absl::StrCat("memkit_curr_items{server=\"", server, "\"} 1\n")));
  EXPECT_TRUE(absl::StrContains(body, "memkit_request_latency_seconds_count 1\n")) << body;
  auto promtool = admin::testing::RunPromtoolCheckMetrics(body);
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_EQ(promtool->exit_status, 0) << promtool->output;
}

TEST_F(ServerAdminTest, HealthAnswers) {
  int serving = 0;
  ASSERT_TRUE(admin::testing::HealthCheck(channel_, "", &serving).ok());
  EXPECT_EQ(serving, 1);
}

}  // namespace
}  // namespace server
}  // namespace memkit

namespace memkit {
namespace server {
namespace {

// A test can attach the admin API to an in-process FakeServer: its frozen
// clock and faults are the same switches.
TEST(FakeServerAdminTest, ControlsAFakeServer) {
  FakeServerOptions fake_options;
  fake_options.freeze_clock = true;
  auto fake = FakeServer::Create(fake_options);
  ASSERT_TRUE(fake.ok()) << fake.status();
  ServerAdminOptions options;
  options.admin.listen = "127.0.0.1:0";
  options.enable_test_controls = true;
  auto admin = ServerAdmin::Create((*fake)->server(), options);
  ASSERT_TRUE(admin.ok()) << admin.status();
  auto testing_stub = v1::Testing::NewStub(
      grpc::CreateChannel((*admin)->admin_address(), grpc::InsecureChannelCredentials()));

  const absl::Time start = (*fake)->Now();
  v1::AdvanceClockRequest advance;
  advance.set_delta_ms(5000);
  v1::AdvanceClockResponse moved;
  ASSERT_TRUE(testing_stub->AdvanceClock(MakeContext().get(), advance, &moved).ok());
  EXPECT_EQ((*fake)->Now(), start + absl::Seconds(5));  // frozen: exactly
  EXPECT_EQ(moved.now_unix_nanos(), absl::ToUnixNanos(start + absl::Seconds(5)));

  v1::SetFaultRequest fail;
  fail.mutable_fail_commands()->set_count(1);
  v1::SetFaultResponse armed;
  ASSERT_TRUE(testing_stub->SetFault(MakeContext().get(), fail, &armed).ok());
  auto c = TestConnection::Connect((*fake)->address());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Call("get x\r\n"), "SERVER_ERROR injected failure\r\n");
  (*admin)->Shutdown();
}

}  // namespace
}  // namespace server
}  // namespace memkit
