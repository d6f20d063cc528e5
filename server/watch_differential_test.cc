// memkit-server's "watch" against real memcached 1.6.18: the same command
// sequence sent to both with a watcher attached, and the watchers' lines
// compared with what differs by nature masked (ts, gid, cfd, rport). Also
// what memkit-server alone can show: evictions in memcached's format, -W,
// the default kinds, and the stats counters.
//
// argv[1]: the memkit-server binary.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <utility>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace server {
namespace {

using test_support::CommandFor;
using test_support::ServerProcess;

std::string g_memkit_server;

// A blocking client socket with deadline-bound reads.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }
  void Close() {
    close(fd_);
    fd_ = -1;
  }
  void Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = write(fd_, bytes.data(), bytes.size());
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Reads until `marker` is in what was read since the last call (returns
  // all of it), or the deadline passes (returns what came).
  std::string ReadUntil(absl::string_view marker, absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!absl::StrContains(buffer_, marker)) {
      const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (ms <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(ms)) <= 0) continue;
      char buf[65536];
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) break;
      buffer_.append(buf, static_cast<size_t>(n));
    }
    const size_t at = buffer_.find(std::string(marker));
    std::string out;
    if (at == std::string::npos) {
      out.swap(buffer_);
    } else {
      out = buffer_.substr(0, at + marker.size());
      buffer_.erase(0, at + marker.size());
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string buffer_;
};

// What differs by nature between two servers' lines. memcached's logger
// thread collects each worker's lines in turn, so its stream is in gid order
// only per worker: both are put in gid order (what gids are for) first.
std::string Mask(const std::string& lines) {
  static const std::regex ts("ts=[0-9]+\\.[0-9]+ gid=[0-9]+ ");
  static const std::regex fd("cfd=[0-9]+");
  static const std::regex port("rport=[0-9]+");
  std::vector<std::pair<uint64_t, std::string>> ordered;
  for (absl::string_view line : absl::StrSplit(lines, '\n', absl::SkipEmpty())) {
    const size_t at = line.find(" gid=");
    uint64_t gid = 0;
    if (at != absl::string_view::npos) gid = std::strtoull(line.data() + at + 5, nullptr, 10);
    ordered.emplace_back(gid, std::string(line));
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string sorted;
  for (const auto& [gid, line] : ordered) absl::StrAppend(&sorted, line, "\n");
  std::string s = std::regex_replace(sorted, ts, "");
  s = std::regex_replace(s, fd, "cfd=N");
  return std::regex_replace(s, port, "rport=N");
}

// The commands, each followed by "mn" so the client knows its reply is in.
const std::vector<std::string> kCommands = {
    "set k 0 100 3\r\nabc\r\n",
    "get k missing\r\n",
    "gets k\r\n",
    "add k 0 0 1\r\nx\r\n",
    "append k 0 0 2\r\nzz\r\n",
    "prepend k 0 0 2\r\nyy\r\n",
    "incr k 1\r\n",
    "set n 5 0 1\r\n5\r\n",
    "incr n 2\r\n",
    "decr n 1\r\n",
    "decr nope 1\r\n",
    "touch k 10\r\n",
    "gat 0 k\r\n",
    "delete k\r\n",
    "delete k\r\n",
    "replace k 0 0 1\r\nx\r\n",
    "cas n 0 0 1 999999\r\nx\r\n",
    "set noreply 0 0 1 noreply\r\nq\r\n",
    "mg n v\r\n",
    "ms m 2 T50\r\nhi\r\n",
    "ms m 2 MA\r\n!!\r\n",
    "md m\r\n",
    "ma n\r\n",
    "ma cnt N0 J13\r\n",
    "ma cnt2 N100 J7 q\r\n",
    "set a%b/c 0 0 1\r\nx\r\n",
    "mg YWJj b v\r\n",
    "ms AP8= 1 b\r\nx\r\n",
    "set big 0 0 3000\r\n" + std::string(3000, 'v') + "\r\n",
    "get big\r\n",
};

// Runs the command sequence against `server` with a watcher of `kinds`;
// returns the watcher's lines.
std::string WatchSession(ServerProcess& server, absl::string_view kinds) {
  Client watcher(server.port());
  EXPECT_TRUE(watcher.ok());
  watcher.Send(absl::StrCat("watch ", kinds, "\r\n"));
  EXPECT_EQ(watcher.ReadUntil("\r\n"), "OK\r\n");
  {
    Client c(server.port());
    EXPECT_TRUE(c.ok());
    for (const std::string& cmd : kCommands) {
      c.Send(cmd);
      c.Send("mn\r\n");
      c.ReadUntil("MN\r\n");
    }
    c.Send("quit\r\n");
    c.ReadUntil("never", absl::Milliseconds(500));  // until the server closes
  }
  // The server logs the close after the client sees it: wait for the line,
  // so the next connection's conn_new cannot come first.
  std::string lines;
  if (absl::StrContains(kinds, "connevents")) lines = watcher.ReadUntil("type=conn_close ");
  {
    // A last lookup marks the end of the stream.
    Client c(server.port());
    c.Send("get zz_end\r\n");
    c.ReadUntil("END\r\n");
    c.Close();
  }
  lines += watcher.ReadUntil("key=zz_end ");
  lines += watcher.ReadUntil("\n");
  // The other worker's lines may still come (memcached): until quiet.
  lines += watcher.ReadUntil("no such marker", absl::Milliseconds(300));
  return lines;
}

// A binary request (memcached's binary protocol header, then extras, key,
// value).
std::string BinaryRequest(uint8_t opcode, absl::string_view key, absl::string_view extras = "",
                          absl::string_view value = "") {
  std::string p(24, '\0');
  p[0] = static_cast<char>(0x80);
  p[1] = static_cast<char>(opcode);
  p[2] = static_cast<char>(key.size() >> 8);
  p[3] = static_cast<char>(key.size() & 0xff);
  p[4] = static_cast<char>(extras.size());
  const uint32_t body = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  p[8] = static_cast<char>(body >> 24);
  p[9] = static_cast<char>((body >> 16) & 0xff);
  p[10] = static_cast<char>((body >> 8) & 0xff);
  p[11] = static_cast<char>(body & 0xff);
  return absl::StrCat(p, extras, key, value);
}

std::string BigEndian(uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

// Binary commands on one connection, each followed by a noop (0x0a) whose
// reply says the command's reply is in; returns the watcher's lines.
std::string BinaryWatchSession(ServerProcess& server) {
  Client watcher(server.port());
  watcher.Send("watch fetchers mutations\r\n");
  EXPECT_EQ(watcher.ReadUntil("\r\n"), "OK\r\n");
  const std::string flags_exptime = BigEndian(0, 4) + BigEndian(0, 4);
  const std::vector<std::string> requests = {
      BinaryRequest(0x01, "bk", flags_exptime, "hello"),             // set
      BinaryRequest(0x00, "bk"),                                      // get
      BinaryRequest(0x02, "bk", flags_exptime, "x"),                  // add
      BinaryRequest(0x0e, "bk", "", "!!"),                            // append
      BinaryRequest(0x05, "bn", BigEndian(1, 8) + BigEndian(5, 8) + BigEndian(0, 4)),  // incr, creates
      BinaryRequest(0x05, "bn", BigEndian(1, 8) + BigEndian(5, 8) + BigEndian(0, 4)),  // incr
      BinaryRequest(0x04, "bk"),                                      // delete
      BinaryRequest(0x1c, "bn", BigEndian(10, 4)),                    // touch
      BinaryRequest(0x1d, "bn", BigEndian(10, 4)),                    // gat
  };
  Client c(server.port());
  for (const std::string& r : requests) {
    c.Send(r);
    c.Send(BinaryRequest(0x0a, ""));
    // The noop's reply: magic 0x81, opcode 0x0a.
    c.ReadUntil(std::string("\x81\x0a", 2));
  }
  c.Close();
  Client end(server.port());
  end.Send("get zz_end\r\n");
  end.ReadUntil("END\r\n");
  std::string lines = watcher.ReadUntil("key=zz_end ");
  return lines + watcher.ReadUntil("no such marker", absl::Milliseconds(300));
}

class WatchDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto memcached = ServerProcess::Start(CommandFor(test_support::kMemcachedPath, {"-t", "2"}));
    ASSERT_TRUE(memcached.ok()) << memcached.status();
    memcached_ = std::move(*memcached);
    auto memkit = ServerProcess::Start(CommandFor(g_memkit_server, {"-t", "2"}));
    ASSERT_TRUE(memkit.ok()) << memkit.status();
    memkit_ = std::move(*memkit);
  }
  std::unique_ptr<ServerProcess> memcached_;
  std::unique_ptr<ServerProcess> memkit_;
};

TEST_F(WatchDifferentialTest, EveryKindMatchesMemcached) {
  const std::string kinds = "fetchers mutations evictions connevents";
  const std::string want = WatchSession(*memcached_, kinds);
  const std::string got = WatchSession(*memkit_, kinds);
  ASSERT_TRUE(absl::StrContains(want, "type=item_store key=a%25b%2Fc ")) << want;
  ASSERT_TRUE(absl::StrContains(want, "type=conn_close")) << want;
  EXPECT_EQ(Mask(got), Mask(want)) << "memkit-server:\n" << got << "\nmemcached:\n" << want;
}

TEST_F(WatchDifferentialTest, MutationsOnlyMatchesMemcached) {
  const std::string want = WatchSession(*memcached_, "mutations fetchers");
  const std::string got = WatchSession(*memkit_, "mutations fetchers");
  EXPECT_EQ(Mask(got), Mask(want)) << "memkit-server:\n" << got << "\nmemcached:\n" << want;
  // Both number the events from the watcher's own gid on, one by one.
  std::vector<std::string> gids;
  for (absl::string_view line : absl::StrSplit(got, '\n', absl::SkipEmpty())) {
    const size_t at = line.find(" gid=");
    ASSERT_NE(at, absl::string_view::npos) << line;
    gids.emplace_back(line.substr(at + 5, line.find(' ', at + 1) - at - 5));
  }
  ASSERT_GT(gids.size(), 2u);
  EXPECT_EQ(gids.front(), "2");
  EXPECT_EQ(gids[1], "3");
}

TEST_F(WatchDifferentialTest, BinaryCommandsMatchMemcached) {
  const std::string want = BinaryWatchSession(*memcached_);
  const std::string got = BinaryWatchSession(*memkit_);
  ASSERT_TRUE(absl::StrContains(want, "cmd=append")) << want;
  EXPECT_EQ(Mask(got), Mask(want)) << "memkit-server:\n" << got << "\nmemcached:\n" << want;
}

TEST_F(WatchDifferentialTest, NoArgumentWatchesFetchers) {
  for (ServerProcess* server : {memcached_.get(), memkit_.get()}) {
    Client watcher(server->port());
    watcher.Send("watch\r\n");
    ASSERT_EQ(watcher.ReadUntil("\r\n"), "OK\r\n") << server->Describe();
    Client c(server->port());
    c.Send("set k 0 0 1\r\nx\r\nget k\r\n");
    c.ReadUntil("END\r\n");
    const std::string lines = watcher.ReadUntil("status=found clsid=1 cfd=");
    EXPECT_TRUE(absl::StrContains(lines, "type=item_get key=k status=not_found")) << lines;
    EXPECT_FALSE(absl::StrContains(lines, "item_store")) << server->Describe() << lines;
  }
}

// A lookup of an item flush_all has invalidated but not yet removed says
// status=flushed (memcached's was_found 2); one removed meanwhile, not_found.
// (Expired items are compared nowhere: when each server's background sweep
// removes them is timing.)
TEST_F(WatchDifferentialTest, FlushedLookupsSayFlushed) {
  std::string lines[2];
  ServerProcess* servers[2] = {memcached_.get(), memkit_.get()};
  Client watchers[2] = {Client(servers[0]->port()), Client(servers[1]->port())};
  Client clients[2] = {Client(servers[0]->port()), Client(servers[1]->port())};
  for (int i = 0; i < 2; ++i) {
    watchers[i].Send("watch fetchers\r\n");
    ASSERT_EQ(watchers[i].ReadUntil("\r\n"), "OK\r\n");
    clients[i].Send("set f 0 0 1\r\nx\r\nflush_all\r\nget f\r\nget f\r\nget zz_end\r\n");
    clients[i].ReadUntil("OK\r\nEND\r\nEND\r\nEND\r\n");
    lines[i] = watchers[i].ReadUntil("key=zz_end ");
    lines[i] += watchers[i].ReadUntil("no such marker", absl::Milliseconds(300));
  }
  ASSERT_TRUE(absl::StrContains(lines[0], "key=f status=flushed")) << lines[0];
  EXPECT_EQ(Mask(lines[1]), Mask(lines[0])) << "memkit-server:\n" << lines[1] << "\nmemcached:\n"
                                             << lines[0];
}

TEST(WatchTest, DisabledByDashW) {
  for (const std::string& path : {std::string(test_support::kMemcachedPath), g_memkit_server}) {
    auto server = ServerProcess::Start(CommandFor(path, {"-W"}));
    ASSERT_TRUE(server.ok()) << server.status();
    Client c((*server)->port());
    c.Send("watch\r\n");
    EXPECT_EQ(c.ReadUntil("\r\n"), "CLIENT_ERROR watch commands not allowed\r\n") << path;
  }
}

// An idle client is closed with reason=idle_timeout; the watcher, quiet as
// long, is not closed (memcached's idle kicker never sees watchers).
TEST(WatchTest, IdleTimeoutClosesClientsNotWatchers) {
  for (const std::string& path : {std::string(test_support::kMemcachedPath), g_memkit_server}) {
    auto server = ServerProcess::Start(CommandFor(path, {"-o", "idle_timeout=1"}));
    ASSERT_TRUE(server.ok()) << server.status();
    Client watcher((*server)->port());
    watcher.Send("watch connevents\r\n");
    ASSERT_EQ(watcher.ReadUntil("\r\n"), "OK\r\n");
    Client idle((*server)->port());
    idle.Send("version\r\n");
    idle.ReadUntil("\r\n");
    std::string lines = watcher.ReadUntil("type=conn_close ", absl::Seconds(15));
    lines += watcher.ReadUntil("\n");
    EXPECT_TRUE(absl::StrContains(lines, " transport=tcp reason=idle_timeout cfd=")) << path << lines;
    Client next((*server)->port());
    next.Send("version\r\n");
    next.ReadUntil("\r\n");
    EXPECT_TRUE(absl::StrContains(watcher.ReadUntil("type=conn_new "), "type=conn_new ")) << path;
  }
}

TEST(WatchTest, EvictionsInMemcachedsFormat) {
  auto server = ServerProcess::Start(CommandFor(g_memkit_server, {"-m", "2"}));
  ASSERT_TRUE(server.ok()) << server.status();
  Client watcher((*server)->port());
  watcher.Send("watch evictions\r\n");
  ASSERT_EQ(watcher.ReadUntil("\r\n"), "OK\r\n");
  Client c((*server)->port());
  const std::string value(100000, 'x');
  for (int i = 0; i < 40; ++i) {
    c.Send(absl::StrCat("set big", i, " 0 0 100000\r\n", value, "\r\n"));
    c.ReadUntil("\r\n");
  }
  // Which items go first depends on the engine's shards; each line has
  // memcached's fields.
  const std::string lines = watcher.ReadUntil("type=eviction key=big");
  const std::string line = lines + watcher.ReadUntil("\n");
  static const std::regex eviction(
      "ts=[0-9]+\\.[0-9]+ gid=[0-9]+ type=eviction key=big[0-9]+ fetch=no ttl=-1 la=[0-9]+ "
      "clsid=32 size=100000\n");
  std::smatch m;
  EXPECT_TRUE(std::regex_search(line, m, eviction)) << line;
  Client stats((*server)->port());
  stats.Send("stats\r\n");
  const std::string st = stats.ReadUntil("END\r\n");
  EXPECT_TRUE(absl::StrContains(st, "STAT log_watchers 1\r\n")) << st;
  EXPECT_FALSE(absl::StrContains(st, "STAT log_watcher_sent 0\r\n")) << st;
}

// A watcher that never reads: the server keeps answering everyone else,
// skips lines for it, and says so with memcached's "skipped=N" line once it
// reads again.
TEST(WatchTest, ASlowWatcherIsSkippedNotWaitedFor) {
  auto server = ServerProcess::Start(CommandFor(g_memkit_server, {}));
  ASSERT_TRUE(server.ok()) << server.status();
  Client watcher((*server)->port());
  watcher.Send("watch fetchers\r\n");
  ASSERT_EQ(watcher.ReadUntil("\r\n"), "OK\r\n");
  Client c((*server)->port());
  const std::string key(200, 'k');
  std::string batch;
  for (int i = 0; i < 200; ++i) absl::StrAppend(&batch, "get ", key, i, "\r\n");
  for (int round = 0; round < 200; ++round) {
    c.Send(batch);
    for (int i = 0; i < 200; ++i) ASSERT_EQ(c.ReadUntil("END\r\n"), "END\r\n");
  }
  Client stats((*server)->port());
  stats.Send("stats\r\n");
  const std::string st = stats.ReadUntil("END\r\n");
  EXPECT_FALSE(absl::StrContains(st, "STAT log_watcher_skipped 0\r\n")) << st;
  // The watcher reads again: once its backlog is through, the next line
  // that fits comes after "skipped=N".
  std::string lines;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!absl::StrContains(lines, "\nskipped=") && absl::Now() < deadline) {
    c.Send("get tick\r\n");
    c.ReadUntil("END\r\n");
    lines += watcher.ReadUntil("\nskipped=", absl::Milliseconds(20));
  }
  const size_t at = lines.find("\nskipped=");
  ASSERT_NE(at, std::string::npos) << lines.size();
  static const std::regex skipped("^\nskipped=[1-9][0-9]*\nts=[0-9]+\\.[0-9]+ gid=[0-9]+ type=item_get ");
  lines += watcher.ReadUntil("type=item_get ");
  EXPECT_TRUE(std::regex_search(lines.substr(at), skipped)) << lines.substr(at, 200);
}

}  // namespace
}  // namespace server
}  // namespace memkit

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    fprintf(stderr, "usage: %s MEMKIT_SERVER\n", argv[0]);
    return 2;
  }
  memkit::server::g_memkit_server = argv[1];
  return RUN_ALL_TESTS();
}
