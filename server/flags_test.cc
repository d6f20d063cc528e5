#include "server/flags.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace memkit {
namespace server {
namespace {

absl::StatusOr<ServerFlags> Parse(std::vector<std::string> args) {
  return ParseServerFlags(args);
}

TEST(FlagsTest, DefaultsAreMemcacheds) {
  auto f = Parse({});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.port, 11211);
  EXPECT_EQ(f->options.num_threads, 4);
  EXPECT_EQ(f->options.max_connections, 1024);
  EXPECT_EQ(f->options.cache.memory_limit, 64u << 20);
  EXPECT_EQ(f->options.cache.item_size_max, 1u << 20);
  EXPECT_EQ(f->options.reqs_per_event, 20);
  EXPECT_TRUE(f->options.cache.evict);
  EXPECT_TRUE(f->options.cache.use_cas);
  EXPECT_FALSE(f->options.shutdown_command);
  EXPECT_EQ(f->options.protocol, BindingProtocol::kAuto);
}

TEST(FlagsTest, PortMinusOneAsksForAnyFreePortAsMemcached) {
  auto f = Parse({"-p", "-1"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.port, 0);
  EXPECT_FALSE(Parse({"-p", "-2"}).ok());
  // memcached reads -p with atoi: "abc" is 0, any free port.
  f = Parse({"-p", "abc"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.port, 0);
}

TEST(FlagsTest, EverySupportedFlag) {
  auto f = Parse({"-p", "11311", "-U", "0", "-l", "127.0.0.1,::1", "-m", "128", "-M", "-c",
                  "500", "-t", "2", "-R", "5", "-C", "-B", "binary", "-I", "2m", "-F", "-A",
                  "-X", "-vv", "-b", "64", "-f", "1.5", "-n", "96", "-a", "755", "-u", "nobody",
                  "-P", "/tmp/pid", "-o", "idle_timeout=30,hashpower=20,track_sizes,no_lru_crawler"});
  ASSERT_TRUE(f.ok()) << f.status();
  const ServerOptions& o = f->options;
  EXPECT_EQ(o.port, 11311);
  EXPECT_EQ(o.listen, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(o.cache.memory_limit, 128u << 20);
  EXPECT_FALSE(o.cache.evict);
  EXPECT_EQ(o.max_connections, 500);
  EXPECT_EQ(o.num_threads, 2);
  EXPECT_EQ(o.reqs_per_event, 5);
  EXPECT_FALSE(o.cache.use_cas);
  EXPECT_EQ(o.protocol, BindingProtocol::kBinary);
  EXPECT_EQ(o.cache.item_size_max, 2u << 20);
  EXPECT_FALSE(o.flush_enabled);
  EXPECT_TRUE(o.shutdown_command);
  EXPECT_FALSE(o.dump_enabled);
  EXPECT_EQ(o.verbosity, 2);
  EXPECT_EQ(o.backlog, 64);
  EXPECT_DOUBLE_EQ(o.cache.growth_factor, 1.5);
  EXPECT_EQ(o.cache.chunk_size, 96u);
  EXPECT_EQ(o.unix_mask, 0755);
  EXPECT_EQ(f->user, "nobody");
  EXPECT_EQ(f->pidfile, "/tmp/pid");
  EXPECT_EQ(o.idle_timeout, absl::Seconds(30));
  EXPECT_EQ(o.cache.hash_power, 20);
  EXPECT_TRUE(o.track_sizes);
  EXPECT_EQ(o.cache.reclaim_interval, absl::ZeroDuration());
}

TEST(FlagsTest, LongAndAttachedForms) {
  auto f = Parse({"--port=1234", "--threads", "3", "-c99", "--max-item-size=512k",
                  "--enable-shutdown", "-vA"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.port, 1234);
  EXPECT_EQ(f->options.num_threads, 3);
  EXPECT_EQ(f->options.max_connections, 99);
  EXPECT_EQ(f->options.cache.item_size_max, 512u << 10);
  EXPECT_TRUE(f->options.shutdown_command);
  EXPECT_EQ(f->options.verbosity, 1);
}

TEST(FlagsTest, HelpAndVersion) {
  auto h = Parse({"-h"});
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->help);
  auto v = Parse({"--version"});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->version);
  const std::string usage = ServerUsage();
  for (const char* flag : {"-p,", "-U,", "-s,", "-a,", "-A,", "-l,", "-m,", "-M,", "-c,", "-t,",
                           "-R,", "-C,", "-B,", "-I,", "-F,", "-X,", "-o,", "idle_timeout"}) {
    EXPECT_TRUE(absl::StrContains(usage, flag)) << flag;
  }
  // Honoured: listed with their long forms; no-ops only in the closing list.
  EXPECT_TRUE(absl::StrContains(usage, "--daemon"));
  EXPECT_FALSE(absl::StrContains(usage, "--enable-largepages"));
  EXPECT_TRUE(absl::StrContains(usage, "--enable-sasl"));  // -S
}

// Each error is the text memcached 1.6.18 prints, with its exit status
// (checked side by side with the real one by flags_conformance_test).
TEST(FlagsTest, ErrorsAreMemcacheds) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {{"-t", "0"}, "Number of threads must be greater than 0", 1},
      {{"-t", "x"}, "Number of threads must be greater than 0", 1},
      {{"-c", "0"}, "Maximum connections must be greater than 0", 1},
      {{"-R", "0"}, "Number of requests per event must be greater than 0", 1},
      {{"-f", "0.5"}, "Factor must be greater than 1", 1},
      {{"-n", "0"}, "Chunk size must be greater than 0", 1},
      {{"-D", ""}, "No delimiter specified", 1},
      {{"-N", "0"}, "Maximum number of NAPI IDs must be greater than 0", 1},
      {{"-m", "abc"}, "Cannot set item size limit higher than 1/2 of memory max.", 64},
      {{"-I", "512"}, "Item max size cannot be less than 1024 bytes.", 64},
      {{"-I", "2g"}, "Item max size cannot be less than 1024 bytes.", 64},
      {{"-I", "3m", "-m", "4"}, "Cannot set item size limit higher than 1/2 of memory max.", 64},
      {{"-p", "70000"}, "ERROR: Invalid port number 70000.", 64},
      {{"-B", "foo"}, "Invalid value for binding protocol: foo\n -- should be one of auto, binary, or ascii", 64},
      {{"-o", "bogus"}, "Illegal suboption \"bogus\"", 1},
      {{"-o", "proxy_config=x"}, "Illegal suboption \"proxy_config=x\"", 1},
      {{"-o", "hashpower"}, "Missing numeric argument for hashpower", 1},
      {{"-o", "hashpower=5"}, "Initial hashtable multiplier of 5 is too low", 1},
      {{"-o", "slab_automove=5"}, "slab_automove must be between 0 and 2", 1},
      {{"-o", "lru_crawler_tocrawl=-1"}, "lru_crawler_tocrawl takes a numeric 32bit value", 1},
      {{"-o", "watcher_logbuf_size=x"}, "could not parse argument to watcher_logbuf_size", 1},
      {{"-o", "ext_max_frag=x"}, "could not parse argument to ext_max_frag", 1},
      {{"-o", "worker_logbuf_size=0"}, "slab size 0 is out of valid range", 64},
      {{"-o", "slab_sizes=100-104"}, "slab size 104 must be at least 8 bytes larger than previous class", 64},
      {{"-o", "hot_lru_pct=50,warm_lru_pct=40"}, "hot_lru_pct + warm_lru_pct cannot be more than 80% combined", 64},
      {{"-o", "temporary_ttl=5,no_lru_maintainer"}, "temporary_ttl requires lru_maintainer to be enabled", 64},
      {{"-o", "slab_chunk_max=4096", "-I", "1m"}, "", 0},
      {{"-o", "slab_chunk_max=3"}, "-I (item_size_max: 1048576) must be evenly divisible by slab_chunk_max (bytes: 3)", 64},
      {{"-Q"}, "memkit-server: invalid option -- 'Q'\nIllegal argument \"?\"", 1},
      {{"-p"}, "memkit-server: option requires an argument -- 'p'\nIllegal argument \"?\"", 1},
      {{"--port"}, "memkit-server: option '--port' requires an argument\nIllegal argument \"?\"", 1},
      {{"--nope"}, "memkit-server: unrecognized option '--nope'\nIllegal argument \"?\"", 1},
      {{"--help=x"}, "memkit-server: option '--help' doesn't allow an argument\nIllegal argument \"?\"", 1},
      {{"--dis"}, "memkit-server: option '--dis' is ambiguous; possibilities: '--disable-evictions' "
                  "'--disable-cas' '--disable-flush-all' '--disable-dumping' '--disable-watch'\n"
                  "Illegal argument \"?\"", 1},
  };
  for (const Case& c : cases) {
    const std::string joined = absl::StrJoin(c.args, " ");
    auto f = Parse(c.args);
    if (c.exit_code == 0) {
      EXPECT_TRUE(f.ok()) << joined << ": " << f.status();
      continue;
    }
    ASSERT_FALSE(f.ok()) << joined;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << joined;
    EXPECT_EQ(f.status().message(), c.message) << joined;
    EXPECT_EQ(FlagErrorExitCode(f.status()), c.exit_code) << joined;
  }
}

TEST(FlagsTest, EveryMemcachedOptionIsAccepted) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-d"}, {"-r"}, {"-k"}, {"-L"}, {"-e", "/tmp/memfile"}, {"-N", "2"}, {"-D", "#"},
           {"-W"}, {"-U", "11211"}, {"--daemon"}, {"--enable-largepages"}, {"--napi-ids=1"},
           {"--memory-file", "/tmp/f"}, {"--verbose=3"}, {"stray", "-vv"},
           {"-o", "maxconns_fast,no_maxconns_fast,no_hashexpand,slab_reassign,no_slab_reassign,"
                  "slab_automove,slab_automove=2,no_slab_automove,slab_automove_ratio=0.5,"
                  "slab_automove_window=10,tail_repair_time=20,hash_algorithm=xxh3,"
                  "lru_crawler,no_lru_crawler,lru_crawler_sleep=50,lru_crawler_tocrawl=7,"
                  "lru_maintainer,hot_lru_pct=10,warm_lru_pct=30,hot_max_factor=0.5,"
                  "warm_max_factor=1.5,temporary_ttl=30,idle_timeout=5,watcher_logbuf_size=512,"
                  "read_buf_mem_limit=5,slab_sizes=100-200-300,track_sizes,"
                  "no_inline_ascii_resp,inline_ascii_resp,modern,sock_cookie_id=5"},
           {"-o", "ext_path=/tmp/e:64m,ext_page_size=32,ext_wbuf_size=8,ext_threads=2,"
                  "ext_io_depth=2,ext_item_size=1024,ext_item_age=60,ext_low_ttl=10,"
                  "ext_recache_rate=100,ext_compact_under=5,ext_drop_under=3,"
                  "ext_max_sleep=500,ext_max_frag=0.5,ext_drop_unread,"
                  "slab_automove_freeratio=0.02"},
           {"-o", "no_modern"}, {"-o", "no_chunked_items", "-I", "2m"},
           {"-o", "no_lru_maintainer"}}) {
    auto f = Parse(args);
    EXPECT_TRUE(f.ok()) << absl::StrJoin(args, " ") << ": " << f.status();
  }
  auto f = Parse({"-d", "-r", "-k", "-N", "2", "-D", "#", "-U", "11311", "-e", "/m", "-o",
                  "slab_automove_window=10,hash_algorithm=jenkins,hot_lru_pct=10,"
                  "temporary_ttl=30,watcher_logbuf_size=512,ext_wbuf_size=8,ext_path=/e:1g"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->daemonize);
  EXPECT_TRUE(f->enable_coredumps);
  EXPECT_TRUE(f->lock_memory);
  const Tunables& t = f->options.tunables;
  EXPECT_EQ(f->options.udp_port, 11311);
  EXPECT_EQ(t.napi_ids, 2);
  EXPECT_EQ(t.prefix_delimiter, '#');
  EXPECT_TRUE(t.detail_enabled);
  EXPECT_EQ(t.memory_file, "/m");
  EXPECT_EQ(t.slab_automove_window, 10u);
  EXPECT_EQ(t.hash_algorithm, "jenkins");
  EXPECT_EQ(t.live.hot_lru_pct, 10u);
  EXPECT_TRUE(t.live.temp_lru);
  EXPECT_EQ(t.live.temporary_ttl, 30);
  EXPECT_EQ(t.watcher_logbuf_size, 512u * 1024);
  EXPECT_EQ(t.ext_wbuf_size, 8u * 1024 * 1024);
  EXPECT_EQ(t.ext_path, std::vector<std::string>{"/e:1g"});
  // no_modern: memcached 1.4's defaults.
  f = Parse({"-o", "no_modern"});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->options.tunables.slab_reassign);
  EXPECT_EQ(f->options.tunables.hash_algorithm, "jenkins");
  EXPECT_EQ(f->options.cache.slab_chunk_max, 1024u * 1024);
  EXPECT_EQ(f->options.cache.reclaim_interval, absl::ZeroDuration());
  // memcached's atoi megabytes: "64k" is 64 MB; a negative -m is no limit.
  f = Parse({"-m", "64k"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->options.cache.memory_limit, 64u << 20);
  f = Parse({"-m", "-5"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.cache.memory_limit, static_cast<size_t>(INT64_MAX));
  // -t above 64 warns, as memcached.
  f = Parse({"-t", "65"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->warnings.size(), 1u);
  // -h, -i and -V act where they stand: a later bad value is never read.
  EXPECT_TRUE(Parse({"-h", "-t", "0"})->help);
  EXPECT_FALSE(Parse({"-t", "0", "-h"}).ok());
  EXPECT_TRUE(Parse({"-i"})->license);
}

// memcached 1.6.18 takes these with any value or none and shows nothing.
TEST(FlagsTest, SilentlyAcceptedSuboptions) {
  for (const char* o : {"drop_privileges", "no_drop_privileges", "resp_obj_mem_limit",
                        "resp_obj_mem_limit=5", "resp_obj_mem_limit=x"}) {
    auto f = Parse({"-o", o});
    EXPECT_TRUE(f.ok()) << o << ": " << f.status();
  }
}

TEST(FlagsTest, Sizes) {
  EXPECT_EQ(*ParseSizeFlag("64", 1 << 20), 64u << 20);
  EXPECT_EQ(*ParseSizeFlag("64k", 1 << 20), 64u << 10);
  EXPECT_EQ(*ParseSizeFlag("2M", 1), 2u << 20);
  EXPECT_EQ(*ParseSizeFlag("1g", 1), 1u << 30);
  EXPECT_FALSE(ParseSizeFlag("", 1).ok());
  EXPECT_FALSE(ParseSizeFlag("-1", 1).ok());
  EXPECT_FALSE(ParseSizeFlag("k", 1).ok());
  EXPECT_FALSE(ParseSizeFlag("99999999999999999999", 1).ok());
  EXPECT_FALSE(ParseSizeFlag("18446744073709551615k", 1).ok());
}

}  // namespace
}  // namespace server
}  // namespace memkit
