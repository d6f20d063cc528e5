// Stats replies: memcached's key names, their meanings after known traffic,
// "stats reset", settings mirroring the options, items/slabs/sizes/conns,
// cachedump, and the errors for bad subcommands.

#include <algorithm>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
    o.cache.memory_limit = 32 * 1024 * 1024;
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

// memcached 1.6.18's "stats" and "stats settings" keys, in its order (Debian's
// build: extstore and TLS compiled in, not used).
constexpr const char* kGeneralKeys[] = {
    "pid", "uptime", "time", "version", "libevent", "pointer_size", "rusage_user",
    "rusage_system", "max_connections", "curr_connections", "total_connections",
    "rejected_connections", "connection_structures", "response_obj_oom", "response_obj_count",
    "response_obj_bytes", "read_buf_count", "read_buf_bytes", "read_buf_bytes_free",
    "read_buf_oom", "reserved_fds", "cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "cmd_meta",
    "get_hits", "get_misses", "get_expired", "get_flushed", "delete_misses", "delete_hits",
    "incr_misses", "incr_hits", "decr_misses", "decr_hits", "cas_misses", "cas_hits",
    "cas_badval", "touch_hits", "touch_misses", "store_too_large", "store_no_memory",
    "auth_cmds", "auth_errors", "bytes_read", "bytes_written", "limit_maxbytes",
    "accepting_conns", "listen_disabled_num", "time_in_listen_disabled_us", "threads",
    "conn_yields", "hash_power_level", "hash_bytes", "hash_is_expanding",
    "slab_reassign_rescues", "slab_reassign_chunk_rescues", "slab_reassign_evictions_nomem",
    "slab_reassign_inline_reclaim", "slab_reassign_busy_items", "slab_reassign_busy_deletes",
    "slab_reassign_running", "slabs_moved", "lru_crawler_running", "lru_crawler_starts",
    "lru_maintainer_juggles", "malloc_fails", "log_worker_dropped", "log_worker_written",
    "log_watcher_skipped", "log_watcher_sent", "log_watchers", "unexpected_napi_ids",
    "round_robin_fallback", "bytes", "curr_items", "total_items", "slab_global_page_pool",
    "expired_unfetched", "evicted_unfetched", "evicted_active", "evictions", "reclaimed",
    "crawler_reclaimed", "crawler_items_checked", "lrutail_reflocked", "moves_to_cold",
    "moves_to_warm", "moves_within_lru", "direct_reclaims", "lru_bumps_dropped"};
constexpr const char* kSettingsKeys[] = {
    "maxbytes", "maxconns", "tcpport", "udpport", "inter", "verbosity", "oldest", "evictions",
    "domain_socket", "umask", "shutdown_command", "growth_factor", "chunk_size", "num_threads",
    "num_threads_per_udp", "stat_key_prefix", "detail_enabled", "reqs_per_event",
    "cas_enabled", "tcp_backlog", "binding_protocol", "auth_enabled_sasl", "auth_enabled_ascii",
    "item_size_max", "maxconns_fast", "hashpower_init", "slab_reassign", "slab_automove",
    "slab_automove_ratio", "slab_automove_window", "slab_chunk_max", "lru_crawler",
    "lru_crawler_sleep", "lru_crawler_tocrawl", "tail_repair_time", "flush_enabled",
    "dump_enabled", "hash_algorithm", "lru_maintainer_thread", "lru_segmented", "hot_lru_pct",
    "warm_lru_pct", "hot_max_factor", "warm_max_factor", "temp_lru", "temporary_ttl",
    "idle_timeout", "watcher_logbuf_size", "worker_logbuf_size", "read_buf_mem_limit",
    "track_sizes", "inline_ascii_response", "ext_item_size", "ext_item_age", "ext_low_ttl",
    "ext_recache_rate", "ext_wbuf_size", "ext_compact_under", "ext_drop_under",
    "ext_max_sleep", "ext_max_frag", "slab_automove_freeratio", "ext_drop_unread",
    "ssl_enabled", "ssl_chain_cert", "ssl_key", "ssl_verify_mode", "ssl_keyformat",
    "ssl_ciphers", "ssl_ca_cert", "ssl_wbuf_size", "ssl_session_cache", "ssl_kernel_tls",
    "ssl_min_version", "num_napi_ids", "memory_file"};

TEST_F(StatsTest, KeysAreMemcachedsInItsOrder) {
  EXPECT_EQ(StatNames(Call("stats\r\n")),
            std::vector<std::string>(std::begin(kGeneralKeys), std::end(kGeneralKeys)));
  EXPECT_EQ(StatNames(Call("stats settings\r\n")),
            std::vector<std::string>(std::begin(kSettingsKeys), std::end(kSettingsKeys)));
  // Without the crawler, memcached leaves out its two counters.
  EXPECT_EQ(Call("lru_crawler disable\r\n", "\r\n"), "OK\r\n");
  std::vector<std::string> without(std::begin(kGeneralKeys), std::end(kGeneralKeys));
  without.erase(std::find(without.begin(), without.end(), "lru_crawler_running"));
  without.erase(std::find(without.begin(), without.end(), "lru_crawler_starts"));
  EXPECT_EQ(StatNames(Call("stats\r\n")), without);
  // Five reserved descriptors per worker thread, as memcached counts them.
  EXPECT_EQ(StatValue(Call("stats\r\n"), "reserved_fds"), "15");
}

TEST_F(StatsTest, SizesCanBeSwitchedAtRunTime) {
  Call("set a 0 0 3\r\nabc\r\n", "\r\n");
  EXPECT_EQ(Call("stats sizes\r\n"), "STAT 64 1\r\nEND\r\n");
  // No END after these two, as in memcached.
  EXPECT_EQ(Call("stats sizes_disable\r\n", "\r\n"), "STAT sizes_status disabled\r\n");
  EXPECT_EQ(Call("stats sizes\r\n"), "STAT sizes_status disabled\r\nEND\r\n");
  EXPECT_EQ(StatValue(Call("stats settings\r\n"), "track_sizes"), "no");
  EXPECT_EQ(Call("stats sizes_enable\r\n", "\r\n"), "STAT sizes_status enabled\r\n");
  // Counting starts afresh: only items stored from now on.
  EXPECT_EQ(Call("stats sizes\r\n"), "END\r\n");
  Call("set b 0 0 3\r\nabc\r\n", "\r\n");
  EXPECT_EQ(Call("stats sizes\r\n"), "STAT 64 1\r\nEND\r\n");
  // Enabling takes a CAS value, as memcached's get_cas_id() does: a is 1, b is 3.
  const std::string gets = Call("gets a b\r\n");
  EXPECT_NE(gets.find("VALUE a 0 3 1\r\n"), std::string::npos) << gets;
  EXPECT_NE(gets.find("VALUE b 0 3 3\r\n"), std::string::npos) << gets;
}

TEST_F(StatsTest, DetailCountsByPrefixInMemcachedsOrder) {
  EXPECT_EQ(Call("stats detail dump\r\n"), "END\r\n");
  EXPECT_EQ(Call("stats detail on\r\n", "\r\n"), "OK\r\n");
  for (const char* prefix : {"s", "h", "k", "n", "p", "o", "m", "l", "i", "x", "g", "y", ""}) {
    Call(absl::StrCat("set ", prefix, ":1 0 0 1\r\nv\r\n"), "\r\n");
  }
  Call("set foo:1 0 0 1\r\nv\r\n", "\r\n");
  Call("get foo:1 foo:2 nocolon\r\n");
  Call("delete foo:1\r\n", "\r\n");
  Call("mg foo:1 v\r\nmn\r\n", "MN\r\n");  // meta commands are not counted
  // memcached's table order: MurmurHash3 of the prefix, modulo 256.
  EXPECT_EQ(Call("stats detail dump\r\n"),
            "PREFIX  get 0 hit 0 set 1 del 0\r\n"
            "PREFIX y get 0 hit 0 set 1 del 0\r\n"
            "PREFIX g get 0 hit 0 set 1 del 0\r\n"
            "PREFIX x get 0 hit 0 set 1 del 0\r\n"
            "PREFIX foo get 2 hit 1 set 1 del 1\r\n"
            "PREFIX i get 0 hit 0 set 1 del 0\r\n"
            "PREFIX l get 0 hit 0 set 1 del 0\r\n"
            "PREFIX m get 0 hit 0 set 1 del 0\r\n"
            "PREFIX o get 0 hit 0 set 1 del 0\r\n"
            "PREFIX p get 0 hit 0 set 1 del 0\r\n"
            "PREFIX n get 0 hit 0 set 1 del 0\r\n"
            "PREFIX k get 0 hit 0 set 1 del 0\r\n"
            "PREFIX h get 0 hit 0 set 1 del 0\r\n"
            "PREFIX s get 0 hit 0 set 1 del 0\r\n"
            "END\r\n");
  // Off stops counting but keeps what was counted; reset forgets it.
  EXPECT_EQ(Call("stats detail off\r\n", "\r\n"), "OK\r\n");
  Call("get foo:1\r\n");
  EXPECT_NE(Call("stats detail dump\r\n").find("PREFIX foo get 2 hit 1"), std::string::npos);
  EXPECT_EQ(Call("stats reset\r\n", "\r\n"), "RESET\r\n");
  EXPECT_EQ(Call("stats detail dump\r\n"), "END\r\n");
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
  // memcached 1.6.18's names, in its order (number_temp only with "lru temp_ttl").
  std::vector<std::string> names;
  for (const char* name :
       {"number", "number_hot", "number_warm", "number_cold", "age_hot", "age_warm", "age",
        "mem_requested", "evicted", "evicted_nonzero", "evicted_time", "outofmemory",
        "tailrepairs", "reclaimed", "expired_unfetched", "evicted_unfetched", "evicted_active",
        "crawler_reclaimed", "crawler_items_checked", "lrutail_reflocked", "moves_to_cold",
        "moves_to_warm", "moves_within_lru", "direct_reclaims", "hits_to_hot", "hits_to_warm",
        "hits_to_cold", "hits_to_temp"}) {
    names.push_back(absl::StrCat("items:1:", name));
  }
  EXPECT_EQ(StatNames(items), names);
  EXPECT_EQ(Call("lru temp_ttl 10\r\n", "\r\n"), "OK\r\n");
  names.insert(names.begin() + 4, "items:1:number_temp");
  EXPECT_EQ(StatNames(Call("stats items\r\n")), names);
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

// memcached -D /: "/" ends a prefix, and detail counting is on from the start
// (checked against memcached 1.6.18 -D /). flags.cc maps -D to these fields.
TEST(DetailDelimiterTest, DashDSetsTheDelimiterAndTurnsDetailOn) {
  ServerOptions o = testing::TestServerOptions();
  o.tunables.prefix_delimiter = '/';
  o.tunables.detail_enabled = true;
  std::unique_ptr<Server> server = StartServer(o);
  ASSERT_NE(server, nullptr);
  auto conn = TestConnection::Connect(server->address());
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(
      (*conn)->Call("set foo/a 0 0 1\r\nx\r\nset bar:b 0 0 1\r\nx\r\n", "STORED\r\nSTORED\r\n"),
      "STORED\r\nSTORED\r\n");
  EXPECT_EQ((*conn)->Call("get foo/a bar:b\r\n", "END\r\n"),
            "VALUE foo/a 0 1\r\nx\r\nVALUE bar:b 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ((*conn)->Call("stats detail dump\r\n", "END\r\n"),
            "PREFIX foo get 1 hit 1 set 1 del 0\r\nEND\r\n");
  const std::string settings = (*conn)->Call("stats settings\r\n", "END\r\n");
  EXPECT_EQ(StatValue(settings, "stat_key_prefix"), "/");
  EXPECT_EQ(StatValue(settings, "detail_enabled"), "yes");
}

}  // namespace
}  // namespace server
}  // namespace memkit
