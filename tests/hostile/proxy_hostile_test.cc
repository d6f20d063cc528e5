// Hostile load against memkit-proxy, in front of a real memcached 1.6.18
// started by the test (loopback, port 0, both stopped by the test):
//   - up to 10,000 idle connections held while an active client keeps its
//     latency, at no more memory per idle connection than memcached's own;
//   - slowloris (one byte every 100 ms on hundreds of connections) and a
//     2 MB line without a newline do not starve an active client;
//   - a pipelined flood of mixed valid and invalid commands gets, in order,
//     exactly the replies memcached itself gives to the same bytes;
//   - a client that never reads its replies does not grow the proxy's
//     memory without bound, and others are served meanwhile.
// docs/reliability.md quotes the FIGURE lines of the last run.

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_checks.h"
#include "tests/hostile/hostile_util.h"
#include "tests/support/eventually.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace hostile {
namespace {

constexpr int kMaxIdle = 10000;

struct IdleResult {
  int held = 0;
  double bytes_per_connection = 0;
  LatencySummary before;
  LatencySummary during;
};

// Holds as many idle connections as the fd limit allows (up to 10,000) on
// `server`, measuring an active client before and during, and the RSS the
// idle connections cost.
void HoldIdle(Server& server, const std::string& label, IdleResult* result) {
  const int n = std::min(kMaxIdle, RaiseFdLimit() - 256);
  ASSERT_GE(n, 1000) << "RLIMIT_NOFILE's hard limit is too low to test idle connections";
  const int port = server.port();
  result->before = MeasureActiveClient(port, 400);
  ASSERT_EQ(result->before.failures, 0) << label << ": " << result->before.ToString();
  absl::StatusOr<std::unique_ptr<Socket>> observer = Socket::Connect(port);
  ASSERT_TRUE(observer.ok()) << observer.status();
  const int64_t rss_before = RssKib(server.pid);
  ASSERT_GT(rss_before, 0);
  std::vector<std::unique_ptr<Socket>> idle;
  idle.reserve(n);
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<Socket>> s = Socket::Connect(port);
    ASSERT_TRUE(s.ok()) << label << ": idle connection " << i << ": " << s.status();
    idle.push_back(std::move(*s));
  }
  // Connected is not accepted: wait until the server counts them all.
  int64_t counted = 0;
  ASSERT_TRUE(test_support::Eventually(
      [&] {
        absl::StatusOr<std::map<std::string, std::string>> stats = Stats(**observer);
        return stats.ok() && absl::SimpleAtoi((*stats)["curr_connections"], &counted) &&
               counted >= n + 1;
      },
      absl::Seconds(30)))
      << label << " counts " << counted << " connections of " << n + 1;
  const int64_t rss_after = RssKib(server.pid);
  result->during = MeasureActiveClient(port, 400);
  result->held = n;
  result->bytes_per_connection = static_cast<double>(rss_after - rss_before) * 1024.0 / n;
  // Idle is not forgotten: a sample of them is still served, through the
  // proxy to memcached and back.
  for (int i = 0; i < n; i += std::max(1, n / 50)) {
    absl::StatusOr<absl::Duration> t = RoundTrip(*idle[i], "get idle:none\r\n", "END\r\n",
                                                 absl::Seconds(5));
    EXPECT_TRUE(t.ok()) << label << ": idle connection " << i << ": " << t.status();
  }
  ASSERT_TRUE(server.process->CheckAlive().ok()) << server.process->LogTail();
  Figure(label + ".idle_connections_held", absl::StrCat(n));
  Figure(label + ".rss_kib_before", absl::StrCat(rss_before));
  Figure(label + ".rss_kib_after", absl::StrCat(rss_after));
  Figure(label + ".bytes_per_idle_connection", absl::StrCat(result->bytes_per_connection));
  Figure(label + ".active_before", result->before.ToString());
  Figure(label + ".active_during", result->during.ToString());
}

TEST(ProxyHostileTest, IdleConnectionsKeepActiveLatencyAndCostNoMoreThanMemcached) {
  RaiseFdLimit();
  IdleResult proxy;
  {
    absl::StatusOr<Server> server = StartProxyInFrontOfMemcached();
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_NO_FATAL_FAILURE(HoldIdle(*server, "memkit-proxy", &proxy));
  }
  IdleResult memcached;
  {
    absl::StatusOr<Server> server = StartServer("memcached", test_support::kMemcachedPath,
                                                {"-t", "2", "-m", "64", "-c", "12000"});
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_NO_FATAL_FAILURE(HoldIdle(*server, "memcached", &memcached));
  }
  EXPECT_EQ(proxy.during.failures, 0) << proxy.during.ToString();
  EXPECT_LT(proxy.during.p99, std::max(absl::Milliseconds(50), 10 * proxy.before.p99))
      << "before " << proxy.before.ToString() << "; during " << proxy.during.ToString();
  EXPECT_LT(proxy.during.max, absl::Seconds(1)) << proxy.during.ToString();
  if (SanitizedBuild()) return;  // the shadow memory is not the proxy's
  // Measured: 447 B against memcached's 611 B. A read buffer or decoder
  // kept per connection, or options copied into each, costs hundreds more.
  // The 16 B allow for RSS's page granularity and malloc's noise.
  EXPECT_LE(proxy.bytes_per_connection, memcached.bytes_per_connection + 16)
      << "memkit-proxy " << proxy.bytes_per_connection << " B, memcached "
      << memcached.bytes_per_connection << " B per idle connection";
}

TEST(ProxyHostileTest, SlowlorisDoesNotStarveActiveClient) {
  RaiseFdLimit();
  absl::StatusOr<Server> server = StartProxyInFrontOfMemcached();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_NO_FATAL_FAILURE(ExpectSlowlorisDoesNotStarve(*server, "memkit-proxy", absl::Seconds(3)));
}

// A 2 MB line with no newline: the proxy answers as memcached does (closes
// the connection, writes nothing: SlowClientsTest checks memcached) and
// serves others meanwhile.
TEST(ProxyHostileTest, TwoMegabyteLineIsClosedWithoutStarvingOthers) {
  absl::StatusOr<Server> server = StartProxyInFrontOfMemcached();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::unique_ptr<Socket>> attacker = Socket::Connect(server->port());
  ASSERT_TRUE(attacker.ok()) << attacker.status();
  const std::string line(2 << 20, 'a');
  std::thread writer([&] {
    // Stops at the first error: the proxy closing (or resetting) is an answer.
    (void)(*attacker)->WriteAll(line, absl::Now() + absl::Seconds(5));
  });
  const LatencySummary active = ActiveUntil(server->port(), absl::Now() + absl::Seconds(1));
  writer.join();
  std::string reply;
  const ReadEnd end = (*attacker)->ReadToEof(absl::Now() + absl::Seconds(3), &reply);
  Figure("memkit-proxy.long_line_closed", end == ReadEnd::kEof ? "yes" : "no");
  Figure("memkit-proxy.long_line_active", active.ToString());
  ExpectUnstarved("memkit-proxy beside a 2 MB line", active);
  EXPECT_EQ(end, ReadEnd::kEof);
  EXPECT_EQ(reply, "");
  ASSERT_TRUE(server->process->CheckAlive().ok()) << server->process->LogTail();
}

// One command of the flood: valid and invalid text commands whose replies a
// proxy must reproduce byte for byte (no version, stats or CAS values, and
// no over-long key in a get: PipelineFloodTest explains memcached's quirk).
std::string RandomCommand(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::string key = absl::StrCat("k", pick(20));
  const std::string value(pick(3) == 0 ? 0 : pick(40), 'a' + pick(26));
  const std::string number = absl::StrCat(pick(1000));
  switch (pick(16)) {
    case 0: case 1:
      return absl::StrCat("set ", key, " ", pick(70000), " 0 ", value.size(), "\r\n", value, "\r\n");
    case 2:
      return absl::StrCat("set ", key, " 0 0 ", number.size(), "\r\n", number, "\r\n");
    case 3:
      return absl::StrCat("add ", key, " 0 3600 ", value.size(), "\r\n", value, "\r\n");
    case 4: case 5:
      return absl::StrCat("get ", key, pick(2) ? absl::StrCat(" k", pick(20)) : "", "\r\n");
    case 6:
      return absl::StrCat("delete ", key, pick(4) == 0 ? " noreply" : "", "\r\n");
    case 7:
      return absl::StrCat(pick(2) ? "incr " : "decr ", key, " ", pick(100), "\r\n");
    case 8:
      return absl::StrCat("incr ", key, " ", pick(2) ? "abc" : "-1", "\r\n");  // bad delta
    case 9:
      return absl::StrCat("append ", key, " 0 0 ", value.size(), "\r\n", value, "\r\n");
    case 10:
      return absl::StrCat("frobnicate ", key, "\r\n");  // unknown command
    case 11:
      return absl::StrCat("set ", key, " 0 0 ", value.size(), " noreply\r\n", value, "\r\n");
    case 12:
      return absl::StrCat("touch ", key, " ", pick(2) ? "0" : "3600", "\r\n");
    case 13:
      return absl::StrCat("delete ", std::string(251, 'x'), "\r\n");  // key too long
    case 14:
      return absl::StrCat("set ", key, " abc 0 1\r\nq\r\n");  // non-numeric flags
    default:
      return pick(2) ? "get\r\n" : "\r\n";  // missing key, empty line
  }
}

// Sends `flood` in one burst on one connection, half-closes, and returns
// every reply byte up to the close.
std::string Replies(Server& server, const std::string& flood) {
  absl::StatusOr<std::unique_ptr<Socket>> socket = Socket::Connect(server.port());
  EXPECT_TRUE(socket.ok()) << socket.status();
  if (!socket.ok()) return "";
  std::thread writer([&] {
    EXPECT_TRUE((*socket)->WriteAll(flood, absl::Now() + absl::Seconds(20)).ok());
    (*socket)->ShutdownWrite();
  });
  std::string replies;
  const ReadEnd end = (*socket)->ReadToEof(absl::Now() + absl::Seconds(30), &replies);
  writer.join();
  EXPECT_EQ(end, ReadEnd::kEof) << server.label() << " did not close after the flood's end";
  EXPECT_TRUE(server.process->CheckAlive().ok()) << server.process->LogTail();
  return replies;
}

std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  const size_t from = i > 120 ? i - 120 : 0;
  return absl::StrCat("first difference at byte ", i, "\nmemkit-proxy: ...",
                      absl::CEscape(a.substr(from, 240)), "\nmemcached:    ...",
                      absl::CEscape(b.substr(from, 240)));
}

TEST(ProxyHostileTest, PipelinedFloodGetsMemcachedsRepliesInOrder) {
  for (uint32_t seed : {11u, 12u, 13u}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937 rng(seed);
    std::string flood;
    constexpr int kCommands = 5000;
    for (int i = 0; i < kCommands; ++i) flood += RandomCommand(rng);
    absl::StatusOr<Server> proxy = StartProxyInFrontOfMemcached();
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    const std::string through_proxy = Replies(*proxy, flood);
    absl::StatusOr<Server> memcached =
        StartServer("memcached", test_support::kMemcachedPath, {"-t", "2"});
    ASSERT_TRUE(memcached.ok()) << memcached.status();
    const std::string direct = Replies(*memcached, flood);
    Figure(absl::StrCat("memkit-proxy.flood_seed_", seed, ".commands"), absl::StrCat(kCommands));
    Figure(absl::StrCat("memkit-proxy.flood_seed_", seed, ".reply_bytes"),
           absl::StrCat(through_proxy.size()));
    ASSERT_FALSE(direct.empty());
    EXPECT_TRUE(through_proxy == direct) << FirstDifference(through_proxy, direct);
  }
}

// Requests for a 500 KB value written without ever reading a reply: the
// proxy must stop reading from that client (its replies back up in the
// socket) rather than buffer them, and keep serving others.
TEST(ProxyHostileTest, ClientThatNeverReadsDoesNotGrowProxyMemory) {
  absl::StatusOr<Server> server = StartProxyInFrontOfMemcached();
  ASSERT_TRUE(server.ok()) << server.status();
  ExpectClientThatNeverReadsIsBounded(*server, "memkit-proxy");
}

}  // namespace
}  // namespace hostile
}  // namespace memkit
