// Many idle connections (up to 10,000, as many as the fd limit allows) held
// open against memkit-server and, side by side, real memcached 1.6.18: an
// active client's latency must stay bounded while they are held, every idle
// connection must still be served afterwards, and the memory each idle
// connection costs (the server's RSS before and after, from /proc) is
// reported for both servers and compared: memkit's may not exceed
// memcached's by more than RSS's page granularity. Idle means both "never
// sent anything" and "was served a request (a 1 KB value written and read
// back), then went quiet": the second is what shows whether a server hands
// its connections' buffers back.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_util.h"
#include "tests/support/eventually.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace hostile {
namespace {

constexpr int kMaxIdle = 10000;
constexpr int kActiveRequests = 400;

struct IdleResult {
  int held = 0;
  double bytes_per_connection = 0;
  LatencySummary before;
  LatencySummary during;
};

// The number of idle connections this process can hold: the fd limit less
// room for the test's own files.
int IdleCount() { return std::min(kMaxIdle, RaiseFdLimit() - 256); }

// What each idle connection does before it goes quiet.
enum class Warmup { kNone, kSetAndGet };

// Writes a 1 KB value and reads it back on `socket`. One key for every
// connection, so that the figure is the connections' memory, not items'.
absl::Status SetAndGet(Socket& socket) {
  const std::string key = "idle:shared";
  absl::StatusOr<absl::Duration> set = RoundTrip(
      socket, absl::StrCat("set ", key, " 0 0 1024\r\n", std::string(1024, 'v'), "\r\n"),
      "STORED\r\n", absl::Seconds(5));
  if (!set.ok()) return set.status();
  return RoundTrip(socket, absl::StrCat("get ", key, "\r\n"), "END\r\n", absl::Seconds(5))
      .status();
}

void HoldIdleConnections(const std::string& label, const std::string& path, Warmup warmup,
                         IdleResult* result) {
  const int n = IdleCount();
  ASSERT_GE(n, 1000) << "RLIMIT_NOFILE's hard limit is too low to test idle connections";
  absl::StatusOr<Server> server =
      StartServer(label, path, {"-t", "2", "-m", "64", "-c", absl::StrCat(n + 100)});
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = server->port();

  result->before = MeasureActiveClient(port, kActiveRequests);
  ASSERT_EQ(result->before.failures, 0) << label << ": " << result->before.ToString();
  absl::StatusOr<std::unique_ptr<Socket>> observer = Socket::Connect(port);
  ASSERT_TRUE(observer.ok()) << observer.status();
  const int64_t rss_before = RssKib(server->pid);
  ASSERT_GT(rss_before, 0);

  std::vector<std::unique_ptr<Socket>> idle;
  idle.reserve(n);
  const absl::Time connect_start = absl::Now();
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<Socket>> s = Socket::Connect(port);
    ASSERT_TRUE(s.ok()) << label << ": idle connection " << i << ": " << s.status();
    idle.push_back(std::move(*s));
  }
  if (warmup == Warmup::kSetAndGet) {
    for (int i = 0; i < n; ++i) {
      absl::Status st = SetAndGet(*idle[i]);
      ASSERT_TRUE(st.ok()) << label << ": idle connection " << i << ": " << st;
    }
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
  const absl::Duration connect_time = absl::Now() - connect_start;
  const int64_t rss_after = RssKib(server->pid);

  result->during = MeasureActiveClient(port, kActiveRequests);
  result->held = n;
  result->bytes_per_connection = static_cast<double>(rss_after - rss_before) * 1024.0 / n;

  // Idle is not forgotten: a sample of them is still served.
  for (int i = 0; i < n; i += std::max(1, n / 50)) {
    absl::StatusOr<absl::Duration> t =
        RoundTrip(*idle[i], "version\r\n", "\r\n", absl::Seconds(5));
    EXPECT_TRUE(t.ok()) << label << ": idle connection " << i << ": " << t.status();
  }
  ASSERT_TRUE(server->process->CheckAlive().ok()) << server->process->LogTail();

  const std::string suffix = warmup == Warmup::kSetAndGet ? ".after_a_request" : "";
  Figure(label + suffix + ".idle_connections_held", absl::StrCat(n));
  Figure(label + suffix + ".connect_all_seconds", absl::StrCat(absl::ToDoubleSeconds(connect_time)));
  Figure(label + suffix + ".rss_kib_before", absl::StrCat(rss_before));
  Figure(label + suffix + ".rss_kib_after", absl::StrCat(rss_after));
  Figure(label + suffix + ".bytes_per_idle_connection", absl::StrCat(result->bytes_per_connection));
  Figure(label + suffix + ".active_before", result->before.ToString());
  Figure(label + suffix + ".active_during", result->during.ToString());
}

// The active client keeps being served, and quickly, with every idle
// connection held. Bounds are loose for two busy cores: a server that
// scanned or starved its connections would miss them by far.
void ExpectActiveUnharmed(const std::string& label, const IdleResult& r) {
  EXPECT_EQ(r.during.failures, 0) << label << ": " << r.during.ToString();
  EXPECT_LT(r.during.p99, std::max(absl::Milliseconds(50), 10 * r.before.p99))
      << label << ": before " << r.before.ToString() << "; during " << r.during.ToString();
  EXPECT_LT(r.during.max, absl::Seconds(1)) << label << ": " << r.during.ToString();
}

TEST(IdleConnectionsTest, MemkitServerKeepsActiveLatencyUnderIdleConnections) {
  IdleResult memkit;
  ASSERT_NO_FATAL_FAILURE(
      HoldIdleConnections("memkit-server", MemkitServerPath(), Warmup::kNone, &memkit));
  ExpectActiveUnharmed("memkit-server", memkit);
  // A bound on the memory an idle connection costs (the issue measured
  // 3.3 KB by hand): a server that kept a full read buffer per connection
  // would cost 16 KB or more.
  if (!SanitizedBuild()) {
    EXPECT_LT(memkit.bytes_per_connection, 8 * 1024.0);
  }
}

TEST(IdleConnectionsTest, MemcachedKeepsActiveLatencyUnderIdleConnections) {
  IdleResult memcached;
  ASSERT_NO_FATAL_FAILURE(HoldIdleConnections("memcached", test_support::kMemcachedPath,
                                              Warmup::kNone, &memcached));
  ExpectActiveUnharmed("memcached", memcached);
}

// Issue #15: no more memory per idle connection than memcached. memkit
// borrows its decoders' request objects per batch and hands empty buffers
// back to per-thread caches (core/net/buffer_cache.h), as memcached hands
// its read buffers back to its thread cache.
void ExpectNoMoreThanMemcached(Warmup warmup) {
  IdleResult memkit;
  IdleResult memcached;
  ASSERT_NO_FATAL_FAILURE(
      HoldIdleConnections("memkit-server", MemkitServerPath(), warmup, &memkit));
  ASSERT_NO_FATAL_FAILURE(
      HoldIdleConnections("memcached", test_support::kMemcachedPath, warmup, &memcached));
  if (SanitizedBuild()) return;  // the shadow memory is not the server's
  // Measured here: memkit-server 570 B (658 B once served), memcached
  // 600-616 B (707 B). The 16 B allow for RSS's page granularity over
  // 10,000 connections and malloc's noise, which move both by a few bytes
  // between runs; any per-connection buffer, or a pointer field pushing an
  // object into the next malloc size, misses it.
  EXPECT_LE(memkit.bytes_per_connection, memcached.bytes_per_connection + 16)
      << "memkit-server " << memkit.bytes_per_connection << " B, memcached "
      << memcached.bytes_per_connection << " B per idle connection";
}

TEST(IdleConnectionsTest, MemkitIdleConnectionCostsNoMoreThanMemcached) {
  ExpectNoMoreThanMemcached(Warmup::kNone);
}

TEST(IdleConnectionsTest, ServedThenIdleConnectionCostsNoMoreThanMemcached) {
  ExpectNoMoreThanMemcached(Warmup::kSetAndGet);
}

}  // namespace
}  // namespace hostile
}  // namespace memkit
