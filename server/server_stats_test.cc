// Stats replies: memcached's key names, their meanings after known traffic,
// "stats reset", settings mirroring the options, items/slabs/sizes/conns,
// cachedump, and the errors for bad subcommands.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "server/server.h"
#include "server/server_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::StartServer;
using testing::StatValue;
using testing::TestConnection;

std::vector<std::string> StatNames(const std::string& reply) {
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(reply, "\r\n", absl::SkipEmpty())) {
    if (line == "END") break;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    EXPECT_EQ(parts.size(), 3u) << line;
    EXPECT_EQ(parts[0], "STAT") << line;
    if (parts.size() > 1) names.emplace_back(parts[1]);
  }
  return names;
}

class StatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o = testing::TestServerOptions();
    o.num_threads = 3;
    o.memory_limit = 32 * 1024 * 1024;
    o.max_connections = 77;
    o.track_sizes = true;
    server_ = StartServer(o);
    ASSERT_NE(server_, nullptr);
    auto conn = TestConnection::Connect(server_->address());
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
  }
  std::string Call(absl::string_view request, absl::string_view suffix = "END\r\n") {
    return conn_->Call(request, suffix);
  }

  std::unique_ptr<Server> server_;
  std::unique_ptr<TestConnection> conn_;
};

TEST_F(StatsTest, GeneralStatsHaveMemcachedNamesAndMeanings) {
  Call("set a 0 0 3\r\nabc\r\n", "\r\n");
  Call("get a b\r\n");
  Call("incr a 1\r\n", "\r\n");
  Call("delete b\r\n", "\r\n");
  Call("touch a 100\r\n", "\r\n");
  const std::string stats = Call("stats\r\n");
  const std::vector<std::string> names = StatNames(stats);
  const std::set<std::string> have(names.begin(), names.end());
  for (const char* name :
       {"pid", "uptime", "time", "version", "pointer_size", "rusage_user", "rusage_system",
        "max_connections", "curr_connections", "total_connections", "rejected_connections",
        "connection_structures", "cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "cmd_meta",
        "get_hits", "get_misses", "get_expired", "get_flushed", "delete_misses", "delete_hits",
        "incr_misses", "incr_hits", "decr_misses", "decr_hits", "cas_misses", "cas_hits",
        "cas_badval", "touch_hits", "touch_misses", "store_too_large", "store_no_memory",
        "bytes_read", "bytes_written", "limit_maxbytes", "accepting_conns", "threads",
        "conn_yields", "hash_power_level", "hash_bytes", "bytes", "curr_items", "total_items",
        "evictions", "reclaimed"}) {
    EXPECT_TRUE(have.count(name)) << name;
  }
  EXPECT_EQ(names.front(), "pid");
  EXPECT_EQ(StatValue(stats, "pid"), std::to_string(getpid()));
  EXPECT_EQ(StatValue(stats, "version"), "1.6.18");
  EXPECT_EQ(StatValue(stats, "threads"), "3");
  EXPECT_EQ(StatValue(stats, "max_connections"), "77");
  EXPECT_EQ(StatValue(stats, "limit_maxbytes"), "33554432");
  EXPECT_EQ(StatValue(stats, "curr_connections"), "1");
  EXPECT_EQ(StatValue(stats, "cmd_get"), "2");
  EXPECT_EQ(StatValue(stats, "get_hits"), "1");
  EXPECT_EQ(StatValue(stats, "get_misses"), "1");
  EXPECT_EQ(StatValue(stats, "cmd_set"), "1");
  EXPECT_EQ(StatValue(stats, "incr_misses"), "0");
  EXPECT_EQ(StatValue(stats, "delete_misses"), "1");
  EXPECT_EQ(StatValue(stats, "touch_hits"), "1");
  EXPECT_EQ(StatValue(stats, "cmd_touch"), "1");
  EXPECT_EQ(StatValue(stats, "curr_items"), "1");
  // 48 + key 1 + 1 + value 3 + 2 + cas 8.
  EXPECT_EQ(StatValue(stats, "bytes"), "63");
  uint64_t read = 0;
  ASSERT_TRUE(absl::SimpleAtoi(StatValue(stats, "bytes_read"), &read));
  EXPECT_GT(read, 40u);
  int64_t uptime = -1;
  ASSERT_TRUE(absl::SimpleAtoi(StatValue(stats, "uptime"), &uptime));
  EXPECT_GE(uptime, 0);
  EXPECT_LT(uptime, 100);
}

TEST_F(StatsTest, ResetZeroesCounters) {
  Call("get a\r\n");
  EXPECT_EQ(Call("stats reset\r\n", "\r\n"), "RESET\r\n");
  const std::string stats = Call("stats\r\n");
  EXPECT_EQ(StatValue(stats, "cmd_get"), "0");
  EXPECT_EQ(StatValue(stats, "get_misses"), "0");
  EXPECT_EQ(StatValue(stats, "curr_connections"), "1");
}

TEST_F(StatsTest, Settings) {
  const std::string s = Call("stats settings\r\n");
  EXPECT_EQ(StatValue(s, "maxbytes"), "33554432");
  EXPECT_EQ(StatValue(s, "maxconns"), "77");
  EXPECT_EQ(StatValue(s, "tcpport"), std::to_string(server_->port()));
  EXPECT_EQ(StatValue(s, "num_threads"), "3");
  EXPECT_EQ(StatValue(s, "item_size_max"), "1048576");
  EXPECT_EQ(StatValue(s, "binding_protocol"), "auto-negotiate");
  EXPECT_EQ(StatValue(s, "evictions"), "on");
  EXPECT_EQ(StatValue(s, "cas_enabled"), "yes");
  EXPECT_EQ(StatValue(s, "shutdown_command"), "no");
  EXPECT_EQ(StatValue(s, "growth_factor"), "1.25");
  EXPECT_EQ(StatValue(s, "track_sizes"), "yes");
  EXPECT_EQ(StatValue(s, "inter"), "127.0.0.1");
}

TEST_F(StatsTest, ItemsSlabsSizes) {
  Call("set a 0 0 3\r\nabc\r\n", "\r\n");
  const std::string items = Call("stats items\r\n");
  EXPECT_EQ(StatValue(items, "items:1:number"), "1") << items;
  const std::string slabs = Call("stats slabs\r\n");
  EXPECT_EQ(StatValue(slabs, "1:chunk_size"), "96") << slabs;
  EXPECT_EQ(StatValue(slabs, "1:used_chunks"), "1");
  EXPECT_EQ(StatValue(slabs, "active_slabs"), "1");
  const std::string sizes = Call("stats sizes\r\n");
  EXPECT_EQ(StatValue(sizes, "64"), "1") << sizes;
}

TEST_F(StatsTest, Conns) {
  auto other = TestConnection::Connect(server_->address());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->Call("version\r\n"), "VERSION 1.6.18\r\n");
  const std::string conns = Call("stats conns\r\n");
  EXPECT_TRUE(absl::StrContains(conns, ":state conn_listening\r\n")) << conns;
  EXPECT_TRUE(absl::StrContains(conns, ":state conn_parse_cmd\r\n")) << conns;
  EXPECT_TRUE(absl::StrContains(conns, ":state conn_read\r\n")) << conns;
  EXPECT_TRUE(absl::StrContains(
      conns, absl::StrCat(":listen_addr tcp:127.0.0.1:", server_->port(), "\r\n")))
      << conns;
}

TEST_F(StatsTest, CachedumpAndErrors) {
  Call("set a 0 0 3\r\nabc\r\n", "\r\n");
  EXPECT_EQ(Call("stats cachedump 1 0\r\n"), "ITEM a [3 b; 0 s]\r\nEND\r\n");
  EXPECT_EQ(Call("stats cachedump 1\r\n", "\r\n"), "CLIENT_ERROR bad command line\r\n");
  EXPECT_EQ(Call("stats cachedump 99 0\r\n", "\r\n"), "CLIENT_ERROR Illegal slab id\r\n");
  EXPECT_EQ(Call("stats bogus\r\n", "\r\n"), "ERROR\r\n");
  EXPECT_EQ(Call("stats detail\r\n", "\r\n"), "CLIENT_ERROR usage: stats detail on|off|dump\r\n");
  EXPECT_EQ(Call("stats detail on\r\n", "\r\n"), "OK\r\n");
}

}  // namespace
}  // namespace server
}  // namespace memkit
