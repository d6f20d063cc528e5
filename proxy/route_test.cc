// Routes and hot reload, in process: a Proxy (Proxy::Create, so the test
// can call Reload) over real memcached backends started by the test, each
// route type checked by what lands on (or is read from) the backends
// directly, and reloads under load from another thread with zero failed
// requests. Then the memkit-proxy binary itself: SIGHUP reloads --config
// (a bad file keeps the old config serving), SIGTERM drains.

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "proxy/config.h"
#include "proxy/proxy.h"
#include "proxy/proxy_test_util.h"
#include "tests/support/eventually.h"
#include "tests/support/scratch_dir.h"

namespace memkit {
namespace proxy {
namespace {

using test_support::Eventually;
using test_support::ServerProcess;
using testing::Conn;

std::string SetCmd(absl::string_view key, absl::string_view value, int flags = 0, int ttl = 0) {
  return absl::StrCat("set ", key, " ", flags, " ", ttl, " ", value.size(), "\r\n", value,
                      "\r\n");
}

// The value of `key` in a text get reply, or "" for a miss.
std::string ValueOf(const std::string& reply, absl::string_view key) {
  const std::string head = absl::StrCat("VALUE ", key, " ");
  const size_t at = reply.find(head);
  if (at == std::string::npos) return "";
  const size_t eol = reply.find("\r\n", at);
  std::vector<absl::string_view> t = absl::StrSplit(
      absl::string_view(reply).substr(at, eol - at), ' ');
  size_t n = 0;
  if (t.size() < 4 || !absl::SimpleAtoi(t[3], &n)) return "";
  return reply.substr(eol + 2, n);
}

// A TCP port that accepts connections (the kernel's backlog) but never
// answers: requests to it time out.
class Blackhole {
 public:
  Blackhole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 && listen(fd_, 64) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~Blackhole() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class RouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backends = testing::StartMemcached(2);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = std::move(*backends);
  }

  // Pools "a" and "b" (one backend each) and `route` (JSON, may be empty).
  std::string Config(const std::string& route, const std::string& extra_pools = "") {
    std::string json = absl::StrCat(
        R"({"listen": "127.0.0.1:0", "threads": 2, "pools": [)",
        R"({"name": "a", "servers": [")", backends_[0]->address(),
        R"("], "readTimeoutMs": 300, "connectTimeoutMs": 300},)",
        R"({"name": "b", "servers": [")", backends_[1]->address(),
        R"("], "readTimeoutMs": 300, "connectTimeoutMs": 300})", extra_pools, "]");
    if (!route.empty()) absl::StrAppend(&json, R"(, "route": )", route);
    return json + "}";
  }

  static absl::StatusOr<ProxyOptions> Options(const std::string& json) {
    auto config = ParseProxyConfigJson(json);
    if (!config.ok()) return config.status();
    return ProxyOptionsFromConfig(*config);
  }

  void StartProxy(const std::string& route, const std::string& extra_pools = "") {
    auto options = Options(Config(route, extra_pools));
    ASSERT_TRUE(options.ok()) << options.status();
    auto proxy = Proxy::Create(*options);
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    auto conn = Conn::Open(proxy_->address().port());
    ASSERT_TRUE(conn.ok()) << conn.status();
    client_ = std::move(*conn);
  }

  absl::Status Reload(const std::string& route, const std::string& extra_pools = "") {
    auto config = ParseProxyConfigJson(Config(route, extra_pools));
    if (!config.ok()) return config.status();
    return proxy_->Reload(*config);
  }

  // A direct connection to backend `i`.
  std::unique_ptr<Conn> Backend(int i) {
    auto c = Conn::Open(backends_[i]->port());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  std::string DirectGet(int i, absl::string_view key) {
    return ValueOf(Backend(i)->Call(absl::StrCat("get ", key, "\r\n"), "END\r\n"), key);
  }
  void DirectSet(int i, absl::string_view key, absl::string_view value, int flags = 0,
                 int ttl = 0) {
    EXPECT_EQ(Backend(i)->Call(SetCmd(key, value, flags, ttl)), "STORED\r\n");
  }
  std::string Get(absl::string_view key) {
    return ValueOf(client_->Call(absl::StrCat("get ", key, "\r\n"), "END\r\n"), key);
  }

  std::vector<std::unique_ptr<ServerProcess>> backends_;
  std::unique_ptr<Proxy> proxy_;
  std::unique_ptr<Conn> client_;
};

TEST_F(RouteTest, NoRouteUsesTheFirstPool) {
  StartProxy("");
  EXPECT_EQ(client_->Call(SetCmd("k", "v")), "STORED\r\n");
  EXPECT_EQ(DirectGet(0, "k"), "v");
  EXPECT_EQ(DirectGet(1, "k"), "");
}

TEST_F(RouteTest, FailoverOnErrorAndOnMiss) {
  StartProxy(R"({"failover": {"children": [{"pool": "a"}, {"pool": "b"}]}})");
  // Both up: a answers, a miss there is the answer.
  DirectSet(1, "only-b", "from-b");
  EXPECT_EQ(Get("only-b"), "");
  ASSERT_TRUE(Reload(R"({"failover": {"children": [{"pool": "a"}, {"pool": "b"}],
                                      "onMiss": true}})")
                  .ok());
  EXPECT_EQ(Get("only-b"), "from-b");
  // A multi-get asks b only for what a missed, and keeps the key order.
  DirectSet(0, "only-a", "from-a");
  const std::string multi = client_->Call("get only-b only-a nowhere\r\n", "END\r\n");
  EXPECT_EQ(multi, "VALUE only-b 0 6\r\nfrom-b\r\nVALUE only-a 0 6\r\nfrom-a\r\nEND\r\n");

  // a killed: every request fails over to b, none fails.
  backends_[0]->Stop(SIGKILL);
  for (int i = 0; i < 5; ++i) {
    const std::string key = absl::StrCat("fk", i);
    EXPECT_EQ(client_->Call(SetCmd(key, "x")), "STORED\r\n") << i;
    EXPECT_EQ(Get(key), "x") << i;
  }
  EXPECT_EQ(DirectGet(1, "fk0"), "x");
}

TEST_F(RouteTest, FailoverBoundedAttempts) {
  StartProxy(R"({"failover": {"children": [{"pool": "a"}, {"pool": "b"}], "maxAttempts": 1}})");
  backends_[0]->Stop(SIGKILL);
  EXPECT_TRUE(absl::StartsWith(client_->Call(SetCmd("k", "v")), "SERVER_ERROR"));
  EXPECT_EQ(DirectGet(1, "k"), "");
}

TEST_F(RouteTest, ReplicatedAllSyncWritesEveryReplica) {
  StartProxy(R"({"replicated": {"children": [{"pool": "a"}, {"pool": "b"}]}})");
  EXPECT_EQ(client_->Call(SetCmd("r1", "v1")), "STORED\r\n");
  // all_sync: the reply came after both answered, so both hold it now.
  EXPECT_EQ(DirectGet(0, "r1"), "v1");
  EXPECT_EQ(DirectGet(1, "r1"), "v1");
  EXPECT_EQ(client_->Call("delete r1\r\n"), "DELETED\r\n");
  EXPECT_EQ(DirectGet(0, "r1"), "");
  EXPECT_EQ(DirectGet(1, "r1"), "");
  // Worst answer wins: the key only on b, "add" is NOT_STORED there.
  DirectSet(1, "r2", "old");
  EXPECT_EQ(client_->Call(SetCmd("r2", "new").replace(0, 3, "add")), "NOT_STORED\r\n");
  // Reads (policy first) come from a.
  DirectSet(0, "r3", "A");
  DirectSet(1, "r3", "B");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Get("r3"), "A");
}

// A binary set: 24-byte header, flags + exptime extras, key, value.
std::string BinarySet(absl::string_view key, absl::string_view value, uint32_t opaque) {
  std::string p(24, '\0');
  p[0] = static_cast<char>(0x80);
  p[1] = 0x01;  // set
  p[2] = static_cast<char>(key.size() >> 8);
  p[3] = static_cast<char>(key.size());
  p[4] = 8;
  const uint32_t body = 8 + key.size() + value.size();
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<char>(body >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[12 + i] = static_cast<char>(opaque >> (24 - 8 * i));
  p.append(8, '\0');
  p.append(key.data(), key.size());
  p.append(value.data(), value.size());
  return p;
}

TEST_F(RouteTest, ReplicatedBinaryAndQuietMetaWrites) {
  StartProxy(R"({"replicated": {"children": [{"pool": "a"}, {"pool": "b"}]}})");
  ASSERT_TRUE(client_->Send(BinarySet("bk", "bin", 0x11223344)));
  const std::string reply = client_->ReadPacket();
  ASSERT_EQ(reply.size(), 24u);
  EXPECT_EQ(static_cast<uint8_t>(reply[0]), 0x81);
  EXPECT_EQ(reply[6], 0);  // status: success
  EXPECT_EQ(reply[7], 0);
  EXPECT_EQ(reply.substr(12, 4), "\x11\x22\x33\x44");
  EXPECT_EQ(DirectGet(0, "bk"), "bin");
  EXPECT_EQ(DirectGet(1, "bk"), "bin");
  // A quiet meta set says nothing on success, through both replicas.
  auto text = Conn::Open(proxy_->address().port());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ((*text)->Call("ms mk 2 q\r\nhi\r\nmn\r\n"), "MN\r\n");
  EXPECT_EQ(DirectGet(0, "mk"), "hi");
  EXPECT_EQ(DirectGet(1, "mk"), "hi");
}

TEST_F(RouteTest, ReloadKeepsUnchangedPools) {
  StartProxy(R"({"pool": "a"})");
  auto requests = [&](absl::string_view pool) {
    const std::string stats = client_->Call("stats proxy\r\n", "END\r\n");
    const std::string head = absl::StrCat("STAT pool:", pool, ":requests ");
    const size_t at = stats.find(head);
    int n = -1;
    if (at != std::string::npos) {
      (void)absl::SimpleAtoi(
          stats.substr(at + head.size(), stats.find("\r\n", at) - at - head.size()), &n);
    }
    return n;
  };
  EXPECT_EQ(client_->Call(SetCmd("k", "v")), "STORED\r\n");
  EXPECT_EQ(requests("a"), 1);
  // Only the route changes: pool a (its stats, health, connections) stays.
  ASSERT_TRUE(Reload(R"({"failover": {"children": [{"pool": "a"}, {"pool": "b"}]}})").ok());
  EXPECT_EQ(client_->Call(SetCmd("k", "v")), "STORED\r\n");
  EXPECT_EQ(requests("a"), 2);
}

TEST_F(RouteTest, RetiredPoolClosesItsConnections) {
  StartProxy(R"({"pool": "a"})");
  auto connections = [&]() -> int {
    const std::string stats = Backend(0)->Call("stats\r\n", "END\r\n");
    const size_t at = stats.find("STAT curr_connections ");
    int n = -1;
    if (at != std::string::npos) {
      (void)absl::SimpleAtoi(stats.substr(at + 22, stats.find("\r\n", at) - at - 22), &n);
    }
    return n;
  };
  const int before = connections();
  EXPECT_EQ(client_->Call(SetCmd("k", "v")), "STORED\r\n");
  const int in_use = connections();
  ASSERT_GT(in_use, before) << "the proxy's connection to a";
  // Pool "a" with another read timeout is a new pool; the old one retires
  // and, no request using it any more, closes its connections.
  auto config = ParseProxyConfigJson(absl::StrCat(
      R"({"listen": "127.0.0.1:0", "threads": 2, "pools": [)",
      R"({"name": "a", "servers": [")", backends_[0]->address(), R"("], "readTimeoutMs": 900},)",
      R"({"name": "b", "servers": [")", backends_[1]->address(), R"("]}], "route": {"pool": "b"}})"));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(proxy_->Reload(*config).ok());
  EXPECT_TRUE(Eventually([&] { return connections() == before; }))
      << connections() << " connections, " << before << " before the proxy's";
  EXPECT_EQ(client_->Call(SetCmd("k2", "v")), "STORED\r\n");
  EXPECT_EQ(DirectGet(1, "k2"), "v");
}

// A retired pool is freed once its last request is done, even with an
// ejected member whose probe timers are queued on the probe loop; the
// proxy keeps serving through reloads that retire a pool each time.
TEST_F(RouteTest, RetiredPoolsAreFreed) {
  // A member nothing listens on: ejected after its first failure, probed.
  int dead_port = 0;
  {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    dead_port = ntohs(addr.sin_port);
    close(fd);  // never listened: connects are refused
  }
  auto config_with_timeout = [&](int read_timeout_ms) {
    return ParseProxyConfigJson(absl::StrCat(
        R"({"listen": "127.0.0.1:0", "threads": 2, "pools": [)",
        R"({"name": "a", "servers": [")", backends_[0]->address(), R"(", "127.0.0.1:)",
        dead_port, R"("], "readTimeoutMs": )", read_timeout_ms,
        R"(, "connectTimeoutMs": 200, "failureLimit": 1, "probeInitialMs": 1}],)",
        R"("route": {"pool": "a"}})"));
  };
  auto first = config_with_timeout(300);
  ASSERT_TRUE(first.ok()) << first.status();
  auto options = ProxyOptionsFromConfig(*first);
  ASSERT_TRUE(options.ok()) << options.status();
  auto proxy = Proxy::Create(*options);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  proxy_ = std::move(*proxy);
  auto conn = Conn::Open(proxy_->address().port());
  ASSERT_TRUE(conn.ok()) << conn.status();
  client_ = std::move(*conn);
  for (int round = 0; round < 10; ++round) {
    // Keys on both members: the dead one fails, is ejected and probed.
    for (int k = 0; k < 20; ++k) (void)client_->Call(SetCmd(absl::StrCat("k", k), "v"));
    // Another read timeout makes "a" a new pool: the old one retires.
    auto next = config_with_timeout(301 + round);
    ASSERT_TRUE(next.ok()) << next.status();
    ASSERT_TRUE(proxy_->Reload(*next).ok());
  }
  EXPECT_TRUE(Eventually([&] { return proxy_->retired_pools() == 0; }))
      << proxy_->retired_pools() << " retired pools not freed";
  // Served by the live member now that the dead one is out.
  EXPECT_TRUE(Eventually([&] { return client_->Call(SetCmd("after", "v")) == "STORED\r\n"; }));
}

TEST_F(RouteTest, ReplicatedAllAsyncReachesEveryReplica) {
  StartProxy(R"({"replicated": {"children": [{"pool": "a"}, {"pool": "b"}],
                                "mode": "all_async"}})");
  EXPECT_EQ(client_->Call(SetCmd("r1", "v1")), "STORED\r\n");
  EXPECT_TRUE(Eventually([&] { return DirectGet(0, "r1") == "v1" && DirectGet(1, "r1") == "v1"; }));
}

TEST_F(RouteTest, ReplicatedReadPolicies) {
  StartProxy(R"({"replicated": {"children": [{"pool": "a"}, {"pool": "b"}],
                                "readPolicy": "random"}})");
  DirectSet(0, "rk", "A");
  DirectSet(1, "rk", "B");
  int a = 0, b = 0;
  for (int i = 0; i < 60; ++i) {
    const std::string v = Get("rk");
    a += v == "A";
    b += v == "B";
  }
  EXPECT_EQ(a + b, 60);
  EXPECT_GT(a, 5);
  EXPECT_GT(b, 5);

  // fastest: child 1 reaches b only after a blackhole's 300 ms timeout, so
  // after one try each, reads stay on child 0.
  Blackhole hole;
  ASSERT_NE(hole.port(), 0);
  const std::string slow_pool = absl::StrCat(
      R"(, {"name": "hole", "servers": ["127.0.0.1:)", hole.port(),
      R"("], "readTimeoutMs": 300, "failureLimit": 100})");
  ASSERT_TRUE(Reload(R"({"replicated": {"children": [
                           {"pool": "a"},
                           {"failover": {"children": [{"pool": "hole"}, {"pool": "b"}]}}],
                         "readPolicy": "fastest"}})",
                     slow_pool)
                  .ok());
  a = b = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string v = Get("rk");
    a += v == "A";
    b += v == "B";
  }
  EXPECT_EQ(a + b, 20);
  EXPECT_GE(a, 18) << "fastest kept reading from the slow child";
}

TEST_F(RouteTest, PrefixLongestWinsAndMultiGetMerges) {
  StartProxy(R"({"prefix": {"routes": {"user:": {"pool": "a"}, "user:vip:": {"pool": "b"}},
                            "defaultRoute": {"pool": "b"}}})");
  EXPECT_EQ(client_->Call(SetCmd("user:1", "u1")), "STORED\r\n");
  EXPECT_EQ(client_->Call(SetCmd("user:vip:1", "v1")), "STORED\r\n");
  EXPECT_EQ(client_->Call(SetCmd("other", "o")), "STORED\r\n");
  EXPECT_EQ(DirectGet(0, "user:1"), "u1");
  EXPECT_EQ(DirectGet(1, "user:1"), "");
  EXPECT_EQ(DirectGet(1, "user:vip:1"), "v1");
  EXPECT_EQ(DirectGet(0, "user:vip:1"), "");
  EXPECT_EQ(DirectGet(1, "other"), "o");
  EXPECT_EQ(client_->Call("get other user:1 nope user:vip:1\r\n", "END\r\n"),
            "VALUE other 0 1\r\no\r\nVALUE user:1 0 2\r\nu1\r\nVALUE user:vip:1 0 2\r\nv1\r\n"
            "END\r\n");
}

TEST_F(RouteTest, WarmupFillsTheColdPool) {
  StartProxy(R"({"warmup": {"cold": {"pool": "a"}, "warm": {"pool": "b"}, "ttlS": 300}})");
  DirectSet(1, "w1", "warm-value", 7, 100);
  DirectSet(1, "w2", "forever", 3, 0);
  // Single-key and multi-get misses in cold are read from warm...
  EXPECT_EQ(client_->Call("get w1\r\n", "END\r\n"), "VALUE w1 7 10\r\nwarm-value\r\nEND\r\n");
  EXPECT_EQ(client_->Call("get nope w2\r\n", "END\r\n"), "VALUE w2 3 7\r\nforever\r\nEND\r\n");
  // ...and copied into cold with flags and the remaining (or configured) TTL.
  ASSERT_TRUE(Eventually([&] { return DirectGet(0, "w1") == "warm-value"; }));
  ASSERT_TRUE(Eventually([&] { return DirectGet(0, "w2") == "forever"; }));
  auto cold = Backend(0);
  const std::string w1 = cold->Call("mg w1 f t\r\n");
  EXPECT_TRUE(absl::StartsWith(w1, "HD f7 t")) << w1;
  int64_t ttl = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripSuffix(w1.substr(7), "\r\n"), &ttl)) << w1;
  EXPECT_GT(ttl, 90);
  EXPECT_LE(ttl, 100);
  const std::string w2 = cold->Call("mg w2 f t\r\n");
  ASSERT_TRUE(absl::StartsWith(w2, "HD f3 t")) << w2;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripSuffix(w2.substr(7), "\r\n"), &ttl)) << w2;
  EXPECT_GT(ttl, 290);
  // Writes go to cold only; deletes to both.
  EXPECT_EQ(client_->Call(SetCmd("w3", "c")), "STORED\r\n");
  EXPECT_EQ(DirectGet(1, "w3"), "");
  EXPECT_EQ(client_->Call("delete w1\r\n"), "DELETED\r\n");
  EXPECT_TRUE(Eventually([&] { return DirectGet(1, "w1").empty(); }));
  EXPECT_EQ(Get("w1"), "");
}

TEST_F(RouteTest, ShadowCountsDifferingReplies) {
  StartProxy(R"({"shadow": {"main": {"pool": "a"}, "shadow": {"pool": "b"}, "fraction": 1,
                            "name": "s"}})");
  auto stat = [&](absl::string_view name) -> int64_t {
    const std::string stats = client_->Call("stats proxy\r\n", "END\r\n");
    const std::string head = absl::StrCat("STAT shadow:s:", name, " ");
    const size_t at = stats.find(head);
    if (at == std::string::npos) return -1;
    int64_t v = -1;
    (void)absl::SimpleAtoi(
        stats.substr(at + head.size(), stats.find("\r\n", at) - at - head.size()), &v);
    return v;
  };
  EXPECT_EQ(client_->Call(SetCmd("s1", "same")), "STORED\r\n");
  EXPECT_EQ(Get("s1"), "same");
  // The copy went to b too, and the replies agreed.
  EXPECT_TRUE(Eventually([&] { return stat("requests") == 2; }));
  EXPECT_EQ(DirectGet(1, "s1"), "same");
  EXPECT_EQ(stat("differing"), 0);
  DirectSet(0, "s2", "only-main");
  EXPECT_EQ(Get("s2"), "only-main");
  EXPECT_TRUE(Eventually([&] { return stat("differing") == 1; })) << stat("differing");
}

TEST_F(RouteTest, BadReloadKeepsTheOldConfigServing) {
  StartProxy(R"({"pool": "a"})");
  absl::Status s = Reload(R"({"failover": {"children": [{"pool": "a"}, {"pool": "zzz"}]}})");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "route.failover.children[1].pool: no pool named"))
      << s;
  auto options = Options(Config(R"({"pool": "b"})"));
  ASSERT_TRUE(options.ok());
  options->threads = 3;
  s = proxy_->Reload(*options);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "threads: 3 differs")) << s;
  options->threads = 2;
  options->listen = "127.0.0.1:1";
  s = proxy_->Reload(*options);
  EXPECT_TRUE(absl::StrContains(s.message(), "listen: ")) << s;
  // A config without listen/threads keeps the running ones.
  auto no_listen = ParseProxyConfigJson(Config(R"({"pool": "a"})"));
  ASSERT_TRUE(no_listen.ok());
  no_listen->clear_listen();
  no_listen->clear_threads();
  EXPECT_TRUE(proxy_->Reload(*no_listen).ok());
  // Still pool a.
  EXPECT_EQ(client_->Call(SetCmd("k", "v")), "STORED\r\n");
  EXPECT_EQ(DirectGet(0, "k"), "v");
  EXPECT_EQ(proxy_->options().route.pool(), "a");
  // A good one takes effect for the next request on the same connection.
  ASSERT_TRUE(Reload(R"({"pool": "b"})").ok());
  EXPECT_EQ(client_->Call(SetCmd("k2", "v")), "STORED\r\n");
  EXPECT_EQ(DirectGet(1, "k2"), "v");
  const std::string stats = client_->Call("stats proxy\r\n", "END\r\n");
  EXPECT_TRUE(absl::StrContains(stats, "STAT proxy:reloads 2\r\n")) << stats;
  EXPECT_TRUE(absl::StrContains(stats, "STAT proxy:reload_failures 3\r\n")) << stats;
}

TEST_F(RouteTest, ReloadUnderLoadFailsNoRequest) {
  StartProxy(R"({"pool": "a"})");
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, requests{0};
  std::vector<std::string> samples;
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      auto c = Conn::Open(proxy_->address().port());
      if (!c.ok()) {
        errors.fetch_add(1);
        return;
      }
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = absl::StrCat("load", t, "-", i % 50);
        const std::string set = (*c)->Call(SetCmd(key, "v"));
        const std::string get = (*c)->Call(absl::StrCat("get ", key, "\r\n"), "END\r\n");
        // Between a set and its get a reload may move the key to a pool
        // without it: a miss is fine, an error or a wrong reply is not.
        if (set != "STORED\r\n" ||
            (get != "END\r\n" && get != absl::StrCat("VALUE ", key, " 0 1\r\nv\r\nEND\r\n"))) {
          errors.fetch_add(1);
        }
        requests.fetch_add(2);
      }
    });
  }
  const std::vector<std::string> routes = {
      R"({"replicated": {"children": [{"pool": "a"}, {"pool": "b"}]}})",
      R"({"pool": "b"})",
      R"({"prefix": {"routes": {"load1": {"pool": "b"}}, "defaultRoute": {"pool": "a"}}})",
      R"({"failover": {"children": [{"pool": "b"}, {"pool": "a"}], "onMiss": true}})",
      R"({"pool": "a"})",
  };
  for (int round = 0; round < 3; ++round) {
    for (size_t r = 0; r < routes.size(); ++r) {
      const int before = requests.load();
      // A changed pool too (its own read timeout): retired, then rebuilt.
      const std::string pool_c = absl::StrCat(R"(, {"name": "c", "servers": [")",
                                              backends_[1]->address(), R"("], "readTimeoutMs": )",
                                              400 + 100 * ((round + r) % 2), "}");
      ASSERT_TRUE(Reload(routes[r], pool_c).ok()) << routes[r];
      // Let some requests run on each config.
      ASSERT_TRUE(Eventually([&] { return requests.load() >= before + 20; }));
    }
  }
  stop.store(true);
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0) << "of " << requests.load() << " requests";
  EXPECT_GT(requests.load(), 300);
  EXPECT_TRUE(Eventually([&] {
    return proxy_->context().in_flight.load() == 0 &&
           proxy_->context().backend_in_flight.load() == 0;
  }));
}

// The real binary: SIGHUP and SIGTERM.
class ProxySignalsTest : public RouteTest {
 protected:
  void WriteConfig(const std::string& route, const std::string& extra_pools = "") {
    std::ofstream(path_, std::ios::trunc) << Config(route, extra_pools);
  }
  void StartBinary() {
    auto dir = test_support::ScratchDir::Create("proxy-signals");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
    path_ = dir_->path() + "/proxy.json";
  }
  void Launch() {
    auto proxy = testing::StartProxy({"--config", path_});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    binary_ = std::move(*proxy);
    auto conn = Conn::Open(binary_->port());
    ASSERT_TRUE(conn.ok()) << conn.status();
    client_ = std::move(*conn);
  }

  std::unique_ptr<test_support::ScratchDir> dir_;
  std::string path_;
  std::unique_ptr<ServerProcess> binary_;
};

TEST_F(ProxySignalsTest, SighupReloadsAndABadFileKeepsServing) {
  StartBinary();
  WriteConfig("");
  Launch();
  EXPECT_EQ(client_->Call(SetCmd("h1", "v")), "STORED\r\n");
  EXPECT_EQ(DirectGet(0, "h1"), "v");

  WriteConfig(R"({"pool": "b"})");
  ASSERT_EQ(kill(binary_->pid(), SIGHUP), 0);
  int i = 0;
  ASSERT_TRUE(Eventually([&] {
    const std::string key = absl::StrCat("h2-", i++);
    return client_->Call(SetCmd(key, "v")) == "STORED\r\n" && DirectGet(1, key) == "v";
  })) << binary_->LogTail();
  // Workers use the new table before Reload returns and main logs: poll.
  EXPECT_TRUE(
      Eventually([&] { return absl::StrContains(binary_->LogTail(), "SIGHUP: reloaded"); }))
      << binary_->LogTail();

  WriteConfig(R"({"pool": "nowhere"})");
  ASSERT_EQ(kill(binary_->pid(), SIGHUP), 0);
  ASSERT_TRUE(Eventually([&] {
    const std::string log = binary_->LogTail();
    return absl::StrContains(log, "reload failed, the old config keeps serving: ") &&
           absl::StrContains(log, "route.pool: no pool named \"nowhere\"");
  })) << binary_->LogTail();
  EXPECT_EQ(client_->Call(SetCmd("h3", "v")), "STORED\r\n");
  EXPECT_EQ(DirectGet(1, "h3"), "v");
  EXPECT_TRUE(binary_->CheckAlive().ok());
}

TEST_F(ProxySignalsTest, SigtermDrainsRequestsInFlight) {
  Blackhole hole;
  ASSERT_NE(hole.port(), 0);
  StartBinary();
  // Requests to the "hole" pool stay in flight for its 800 ms read timeout.
  WriteConfig(R"({"pool": "hole"})",
              absl::StrCat(R"(, {"name": "hole", "servers": ["127.0.0.1:)", hole.port(),
                           R"("], "readTimeoutMs": 800})"));
  Launch();
  ASSERT_TRUE(client_->Send("get stuck\r\n"));
  auto observer = Conn::Open(binary_->port());
  ASSERT_TRUE(observer.ok());
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains((*observer)->Call("stats proxy\r\n", "END\r\n"),
                             "STAT pool:hole:in_flight 1\r\n");
  }));
  const absl::Time signalled = absl::Now();
  ASSERT_EQ(kill(binary_->pid(), SIGTERM), 0);
  // The request in flight still gets its answer...
  EXPECT_EQ(client_->ReadUntil("\r\n", absl::Seconds(5)), "SERVER_ERROR backend timeout\r\n");
  // ...and then the proxy exits 0, having stopped accepting.
  const std::optional<int> code = binary_->WaitForExit(absl::Seconds(10));
  ASSERT_TRUE(code.has_value()) << binary_->LogTail();
  EXPECT_EQ(*code, 0) << binary_->LogTail();
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(5));
  EXPECT_FALSE(Conn::Open(binary_->port()).ok());
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
