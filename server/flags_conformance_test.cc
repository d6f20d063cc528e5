// memkit-server's command line side by side with real memcached 1.6.18:
//
//  - every option memcached documents starts both servers (a few per run),
//    and "stats settings" then lists the same keys, in the same order, with
//    the same values (only what is inherently per-run, such as the TCP port,
//    and TLS's keys, which another component owns, are left out);
//  - bad values make both exit at once with the same status and the same
//    message (the program's name in getopt's messages aside).
//
// argv[1]: the memkit-server binary.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/server_process.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace server {
namespace {

const char* g_memkit_server = nullptr;

using Settings = std::vector<std::pair<std::string, std::string>>;

// "stats settings" over a TCP connection of the test's own.
Settings StatsSettings(int port) {
  Settings out;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&to), sizeof(to)) != 0) {
    ADD_FAILURE() << "connect to " << port;
    close(fd);
    return out;
  }
  const std::string request = "stats settings\r\n";
  EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string reply;
  char buffer[16384];
  while (!absl::EndsWith(reply, "END\r\n")) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  for (absl::string_view line : absl::StrSplit(reply, "\r\n", absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&line, "STAT ")) continue;
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    out.push_back(std::move(kv));
  }
  return out;
}

// Keys that differ between any two runs, or that authentication/TLS owns.
bool Compared(const std::string& key) {
  return key != "tcpport" && !absl::StartsWith(key, "ssl_") && key != "auth_enabled_sasl" &&
         key != "auth_enabled_ascii";
}

std::string Describe(const Settings& s) {
  std::string out;
  for (const auto& [k, v] : s) {
    if (Compared(k)) absl::StrAppend(&out, k, "=", v, " ");
  }
  return out;
}

TEST(FlagsConformanceTest, EveryDocumentedOptionStartsBothWithTheSameSettings) {
  if (access(test_support::kMemcachedPath, X_OK) != 0) {
    GTEST_SKIP() << test_support::kMemcachedPath << " not installed";
  }
  const std::string memfile = absl::StrCat(test_support::TempRoot(), "/conformance.memfile");
  const std::vector<std::vector<std::string>> runs = {
      {},
      {"-m", "128", "-M", "-c", "500", "-t", "2", "-R", "5", "-C", "-b", "64"},
      {"-f", "1.5", "-n", "96", "-I", "2m", "-A", "-F", "-X", "-W"},
      {"--memory-limit=96", "--conn-limit", "99", "--threads=3", "--disable-cas",
       "--enable-shutdown", "--disable-flush-all", "--disable-dumping", "--disable-watch",
       "--listen-backlog=32", "--max-reqs-per-event=7", "--slab-growth-factor=1.3",
       "--slab-min-size=64", "--max-item-size=512k", "--disable-evictions"},
      {"-B", "ascii"},
      {"--protocol=binary"},
      {"-U", "-1"},
      {"-D", "#"},
      {"-L", "-r", "-k"},
      {"--enable-largepages", "--enable-coredumps", "--lock-memory"},
      {"-N", "2"},
      {"-e", memfile},
      {"-v"},
      {"-o", "idle_timeout=30,hashpower=20,track_sizes,no_lru_crawler"},
      {"-o", "modern"},
      {"-o", "no_modern"},
      {"-o", "slab_reassign,slab_automove=2,slab_automove_ratio=0.5,slab_automove_window=10,"
             "tail_repair_time=20"},
      {"-o", "no_slab_reassign,no_slab_automove,hash_algorithm=jenkins"},
      {"-o", "hash_algorithm=xxh3,lru_crawler,lru_crawler_sleep=50,lru_crawler_tocrawl=7"},
      {"-o", "hot_lru_pct=10,warm_lru_pct=30,hot_max_factor=0.5,warm_max_factor=1.5,"
             "temporary_ttl=30,lru_maintainer"},
      {"-o", "no_lru_maintainer"},
      {"-o", "watcher_logbuf_size=512,worker_logbuf_size=128,read_buf_mem_limit=5"},
      {"-o", "ext_item_size=1024,ext_item_age=60,ext_low_ttl=10,ext_recache_rate=100,"
             "ext_max_sleep=500,ext_max_frag=0.5,ext_drop_unread,ext_wbuf_size=8,"
             "ext_compact_under=4,ext_drop_under=2,slab_automove_freeratio=0.02"},
      {"-o", "maxconns_fast,no_maxconns_fast,no_hashexpand,inline_ascii_resp,sock_cookie_id=5"},
      {"-o", "no_inline_ascii_resp,slab_chunk_max=16384"},
      {"-o", "no_chunked_items"},
      {"-o", "slab_sizes=100-200-300"},
      {"-vv", "-o", "maxconns_fast", "-o", "hashpower=16"},
  };
  test_support::StartOptions quick;
  quick.stop_grace = absl::ZeroDuration();  // memcached sees SIGTERM only on its clock tick
  for (const std::vector<std::string>& args : runs) {
    const std::string joined = absl::StrJoin(args, " ");
    auto memcached = test_support::ServerProcess::Start(
        test_support::CommandFor(test_support::kMemcachedPath, args), quick);
    ASSERT_TRUE(memcached.ok()) << joined << ": " << memcached.status();
    auto memkit =
        test_support::ServerProcess::Start(test_support::CommandFor(g_memkit_server, args), quick);
    ASSERT_TRUE(memkit.ok()) << joined << ": " << memkit.status();
    // A binary-only server has no text "stats settings", and memcached with
    // -N answers nothing on loopback (no NAPI id): starting is the test.
    if (absl::StrContains(joined, "binary") || absl::StartsWith(joined, "-N")) continue;
    Settings want = StatsSettings((*memcached)->port());
    Settings got = StatsSettings((*memkit)->port());
    ASSERT_FALSE(want.empty()) << joined;
    std::vector<std::string> want_keys, got_keys;
    for (const auto& kv : want) want_keys.push_back(kv.first);
    for (const auto& kv : got) got_keys.push_back(kv.first);
    EXPECT_EQ(got_keys, want_keys) << joined;
    for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
      if (!Compared(want[i].first) || want[i].first != got[i].first) continue;
      EXPECT_EQ(got[i].second, want[i].second) << "\"" << joined << "\": " << want[i].first;
    }
    if (HasFailure()) {
      ADD_FAILURE() << "memcached: " << Describe(want) << "\nmemkit-server: " << Describe(got);
      return;
    }
  }
  unlink(memfile.c_str());
}

// A -Y file with `content` in the test's scratch directory.
std::string MalformedAuthFile(const std::string& content) {
  static int count = 0;
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/authfile.", getpid(), ".", ++count);
  std::ofstream(path) << content;
  return path;
}

TEST(FlagsConformanceTest, BadValuesFailAsMemcachedFails) {
  if (access(test_support::kMemcachedPath, X_OK) != 0) {
    GTEST_SKIP() << test_support::kMemcachedPath << " not installed";
  }
  const std::vector<std::vector<std::string>> bad = {
      {"-x"}, {"--bogus"}, {"-p"}, {"--port"}, {"--help=x"}, {"--dis"}, {"-c", "0"},
      {"-c", "abc"}, {"-t", "0"}, {"-R", "0"}, {"-f", "1"}, {"-f", "abc"}, {"-n", "0"},
      {"-m", "abc"}, {"-m", "0"}, {"-m", "1g"}, {"-I", "10"}, {"-I", "2000m"}, {"-I", "4096m"},
      {"-I", "1k"}, {"-B", "foo"}, {"-D", ""}, {"-N", "0"}, {"-t", "2", "-N", "3"},
      {"-p", "70000"}, {"-o", "foo"}, {"-o", "proxy_config=x"}, {"-o", "a,,b"},
      {"-o", "hashpower"}, {"-o", "hashpower=5"}, {"-o", "hashpower=70"}, {"-o", "hashpower=abc"},
      {"-o", "slab_automove=5"}, {"-o", "slab_automove_ratio=2"}, {"-o", "slab_automove_window=1"},
      {"-o", "tail_repair_time=3"}, {"-o", "hash_algorithm=foo"}, {"-o", "hash_algorithm"},
      {"-o", "lru_crawler_sleep=2000000"}, {"-o", "lru_crawler_tocrawl=x"},
      {"-o", "lru_crawler_tocrawl=-1"}, {"-o", "hot_lru_pct=90"}, {"-o", "warm_lru_pct=0"},
      {"-o", "hot_lru_pct=x"}, {"-o", "hot_max_factor=0"}, {"-o", "warm_max_factor=-1"},
      {"-o", "temporary_ttl"}, {"-o", "idle_timeout"}, {"-o", "watcher_logbuf_size=x"},
      {"-o", "worker_logbuf_size=x"}, {"-o", "worker_logbuf_size=0"}, {"-o", "slab_sizes=1-2"},
      {"-o", "slab_sizes=x"}, {"-o", "slab_sizes=48-50"}, {"-o", "slab_sizes=100-90"},
      {"-o", "slab_chunk_max=3"}, {"-o", "read_buf_mem_limit=x"}, {"-o", "ext_path=/tmp/x"},
      {"-o", "ext_page_size=x"}, {"-o", "ext_wbuf_size=x"}, {"-o", "ext_threads=x"},
      {"-o", "ext_item_size=x"}, {"-o", "ext_item_age=x"}, {"-o", "ext_low_ttl=x"},
      {"-o", "ext_recache_rate=x"}, {"-o", "ext_compact_under=x"}, {"-o", "ext_drop_under=x"},
      {"-o", "ext_max_frag=x"}, {"-o", "ext_max_sleep=x"}, {"-o", "slab_automove_freeratio=x"},
      {"-o", "hot_lru_pct=50,warm_lru_pct=40"}, {"-o", "temporary_ttl=5,no_lru_maintainer"},
      {"-o", "hashpower=5", "-I", "10"}, {"--napi_ids=2"}, {"--memory-file"}, {"-N"},
      {"-Y", "/nonexistent/authfile"}, {"-Y", MalformedAuthFile("nocolon\n")},
      {"-Y", MalformedAuthFile("alice:secret\n\n")},
  };
  for (const std::vector<std::string>& args : bad) {
    const std::string joined = absl::StrJoin(args, " ");
    std::vector<std::string> mc = {test_support::kMemcachedPath, "-l", "127.0.0.1", "-p", "-1"};
    if (getuid() == 0) mc.insert(mc.end(), {"-u", "root"});
    std::vector<std::string> mk = {g_memkit_server, "-l", "127.0.0.1", "-p", "-1"};
    mc.insert(mc.end(), args.begin(), args.end());
    mk.insert(mk.end(), args.begin(), args.end());
    auto want = test_support::RunCommand(mc, absl::Seconds(10));
    auto got = test_support::RunCommand(mk, absl::Seconds(10));
    ASSERT_TRUE(want.ok() && got.ok()) << joined;
    ASSERT_FALSE(want->timed_out) << joined << ": memcached started";
    ASSERT_FALSE(got->timed_out) << joined << ": memkit-server started";
    EXPECT_EQ(got->exit_code, want->exit_code) << joined;
    const std::string want_text =
        absl::StrReplaceAll(want->output, {{test_support::kMemcachedPath, "PROGRAM"}});
    const std::string got_text = absl::StrReplaceAll(got->output, {{g_memkit_server, "PROGRAM"}});
    EXPECT_EQ(got_text, want_text) << joined;
  }
}

}  // namespace
}  // namespace server
}  // namespace memkit

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MEMKIT_SERVER\n", argv[0]);
    return 2;
  }
  memkit::server::g_memkit_server = argv[1];
  return RUN_ALL_TESTS();
}
