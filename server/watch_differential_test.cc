// memkit-server's "watch" against real memcached 1.6.18: the same command
// sequence sent to both with a watcher attached, and the watchers' lines
// compared with what differs by nature masked (ts, gid, cfd, rport). Also
// what memkit-server alone can show: evictions in memcached's format, -W,
// the default kinds, and the stats counters.
//
// argv[1]: the memkit-server binary.

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <regex>
#include <utility>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/server_test_util.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace server {
namespace {

using test_support::CommandFor;
using test_support::ServerProcess;
using testing::ConnectToLoopback;
using testing::TestConnection;

std::string g_memkit_server;

// Sends `bytes` without waiting for a reply.
void Send(TestConnection& conn, absl::string_view bytes) {
  const absl::Status sent = conn.Send(bytes);
  EXPECT_TRUE(sent.ok()) << sent;
}

// Reads from `conn`, appending to *got, until *got holds `marker` at or after
// `from` (clamped to what *got held); returns the offset just past it, or npos
// once the connection closes or `timeout` passes. Unlike
// TestConnection::ReadUntil, `marker` need not end what arrived: a watcher's
// lines stream in, so its markers fall mid-line and mid-read. Chaining calls
// with the previous offset as `from` looks in what arrived past the previous
// marker, then in what comes next.
size_t ReadPast(TestConnection& conn, absl::string_view marker, std::string* got, size_t from = 0,
                absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time deadline = absl::Now() + timeout;
  from = std::min(from, got->size());
  while (true) {
    const size_t at = got->find(marker.data(), from, marker.size());
    if (at != std::string::npos) return at + marker.size();
    // Only a marker ending in what comes next is left to find.
    if (got->size() >= marker.size()) from = std::max(from, got->size() - marker.size() + 1);
    // One byte waits for the next read; the rest of what that read brought
    // is buffered, and ReadFor(0) takes it without waiting.
    absl::StatusOr<std::string> first = conn.ReadExactly(1, deadline - absl::Now());
    if (!first.ok()) return std::string::npos;
    absl::StrAppend(got, *first, conn.ReadFor(absl::ZeroDuration()));
  }
}

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
// sets *lines to the watcher's lines.
void WatchSession(ServerProcess& server, absl::string_view kinds, std::string* lines) {
  std::unique_ptr<TestConnection> watcher = ConnectToLoopback(server.port());
  ASSERT_TRUE(watcher != nullptr);
  EXPECT_EQ(watcher->Call(absl::StrCat("watch ", kinds, "\r\n")), "OK\r\n");
  {
    std::unique_ptr<TestConnection> c = ConnectToLoopback(server.port());
    ASSERT_TRUE(c != nullptr);
    for (const std::string& cmd : kCommands) {
      Send(*c, cmd);
      c->Call("mn\r\n", "MN\r\n");
    }
    Send(*c, "quit\r\n");
    c->WaitForClose(absl::Milliseconds(500));
  }
  // The server logs the close after the client sees it: wait for the line,
  // so the next connection's conn_new cannot come first.
  lines->clear();
  size_t end = 0;
  if (absl::StrContains(kinds, "connevents")) end = ReadPast(*watcher, "type=conn_close ", lines);
  {
    // A last lookup marks the end of the stream.
    std::unique_ptr<TestConnection> c = ConnectToLoopback(server.port());
    ASSERT_TRUE(c != nullptr);
    c->Call("get zz_end\r\n", "END\r\n");
  }
  end = ReadPast(*watcher, "key=zz_end ", lines, end);
  ReadPast(*watcher, "\n", lines, end);
  // The other worker's lines may still come (memcached): until quiet.
  *lines += watcher->ReadFor(absl::Milliseconds(300));
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
// reply says the command's reply is in; sets *lines to the watcher's lines.
void BinaryWatchSession(ServerProcess& server, std::string* lines) {
  std::unique_ptr<TestConnection> watcher = ConnectToLoopback(server.port());
  ASSERT_TRUE(watcher != nullptr);
  EXPECT_EQ(watcher->Call("watch fetchers mutations\r\n"), "OK\r\n");
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
  std::unique_ptr<TestConnection> c = ConnectToLoopback(server.port());
  ASSERT_TRUE(c != nullptr);
  for (const std::string& r : requests) {
    Send(*c, r);
    Send(*c, BinaryRequest(0x0a, ""));
    // The noop's reply: magic 0x81, opcode 0x0a.
    std::string replies;
    ReadPast(*c, std::string("\x81\x0a", 2), &replies);
  }
  c.reset();
  std::unique_ptr<TestConnection> end = ConnectToLoopback(server.port());
  ASSERT_TRUE(end != nullptr);
  end->Call("get zz_end\r\n", "END\r\n");
  lines->clear();
  ReadPast(*watcher, "key=zz_end ", lines);
  *lines += watcher->ReadFor(absl::Milliseconds(300));
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
  std::string want;
  std::string got;
  ASSERT_NO_FATAL_FAILURE(WatchSession(*memcached_, kinds, &want));
  ASSERT_NO_FATAL_FAILURE(WatchSession(*memkit_, kinds, &got));
  ASSERT_TRUE(absl::StrContains(want, "type=item_store key=a%25b%2Fc ")) << want;
  ASSERT_TRUE(absl::StrContains(want, "type=conn_close")) << want;
  EXPECT_EQ(Mask(got), Mask(want)) << "memkit-server:\n" << got << "\nmemcached:\n" << want;
}

TEST_F(WatchDifferentialTest, MutationsOnlyMatchesMemcached) {
  std::string want;
  std::string got;
  ASSERT_NO_FATAL_FAILURE(WatchSession(*memcached_, "mutations fetchers", &want));
  ASSERT_NO_FATAL_FAILURE(WatchSession(*memkit_, "mutations fetchers", &got));
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
  std::string want;
  std::string got;
  ASSERT_NO_FATAL_FAILURE(BinaryWatchSession(*memcached_, &want));
  ASSERT_NO_FATAL_FAILURE(BinaryWatchSession(*memkit_, &got));
  ASSERT_TRUE(absl::StrContains(want, "cmd=append")) << want;
  EXPECT_EQ(Mask(got), Mask(want)) << "memkit-server:\n" << got << "\nmemcached:\n" << want;
}

TEST_F(WatchDifferentialTest, NoArgumentWatchesFetchers) {
  for (ServerProcess* server : {memcached_.get(), memkit_.get()}) {
    std::unique_ptr<TestConnection> watcher = ConnectToLoopback(server->port());
    ASSERT_TRUE(watcher != nullptr);
    ASSERT_EQ(watcher->Call("watch\r\n"), "OK\r\n") << server->Describe();
    std::unique_ptr<TestConnection> c = ConnectToLoopback(server->port());
    ASSERT_TRUE(c != nullptr);
    c->Call("set k 0 0 1\r\nx\r\nget k\r\n", "END\r\n");
    std::string got;
    const std::string lines = got.substr(0, ReadPast(*watcher, "status=found clsid=1 cfd=", &got));
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
  std::unique_ptr<TestConnection> watchers[2] = {ConnectToLoopback(servers[0]->port()),
                                                 ConnectToLoopback(servers[1]->port())};
  std::unique_ptr<TestConnection> clients[2] = {ConnectToLoopback(servers[0]->port()),
                                                ConnectToLoopback(servers[1]->port())};
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(watchers[i] != nullptr && clients[i] != nullptr);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(watchers[i]->Call("watch fetchers\r\n"), "OK\r\n");
    clients[i]->Call("set f 0 0 1\r\nx\r\nflush_all\r\nget f\r\nget f\r\nget zz_end\r\n",
                     "OK\r\nEND\r\nEND\r\nEND\r\n");
    ReadPast(*watchers[i], "key=zz_end ", &lines[i]);
    lines[i] += watchers[i]->ReadFor(absl::Milliseconds(300));
  }
  ASSERT_TRUE(absl::StrContains(lines[0], "key=f status=flushed")) << lines[0];
  EXPECT_EQ(Mask(lines[1]), Mask(lines[0])) << "memkit-server:\n" << lines[1] << "\nmemcached:\n"
                                             << lines[0];
}

TEST(WatchTest, DisabledByDashW) {
  for (const std::string& path : {std::string(test_support::kMemcachedPath), g_memkit_server}) {
    auto server = ServerProcess::Start(CommandFor(path, {"-W"}));
    ASSERT_TRUE(server.ok()) << server.status();
    std::unique_ptr<TestConnection> c = ConnectToLoopback((*server)->port());
    ASSERT_TRUE(c != nullptr);
    EXPECT_EQ(c->Call("watch\r\n"), "CLIENT_ERROR watch commands not allowed\r\n") << path;
  }
}

// An idle client is closed with reason=idle_timeout; the watcher, quiet as
// long, is not closed (memcached's idle kicker never sees watchers).
TEST(WatchTest, IdleTimeoutClosesClientsNotWatchers) {
  for (const std::string& path : {std::string(test_support::kMemcachedPath), g_memkit_server}) {
    auto server = ServerProcess::Start(CommandFor(path, {"-o", "idle_timeout=1"}));
    ASSERT_TRUE(server.ok()) << server.status();
    std::unique_ptr<TestConnection> watcher = ConnectToLoopback((*server)->port());
    ASSERT_TRUE(watcher != nullptr);
    ASSERT_EQ(watcher->Call("watch connevents\r\n"), "OK\r\n");
    std::unique_ptr<TestConnection> idle = ConnectToLoopback((*server)->port());
    ASSERT_TRUE(idle != nullptr);
    idle->Call("version\r\n");
    std::string got;
    const size_t close_end = ReadPast(*watcher, "type=conn_close ", &got, 0, absl::Seconds(15));
    const size_t line_end = ReadPast(*watcher, "\n", &got, close_end);
    const std::string lines = got.substr(0, line_end);
    EXPECT_TRUE(absl::StrContains(lines, " transport=tcp reason=idle_timeout cfd=")) << path << lines;
    std::unique_ptr<TestConnection> next = ConnectToLoopback((*server)->port());
    ASSERT_TRUE(next != nullptr);
    next->Call("version\r\n");
    EXPECT_NE(ReadPast(*watcher, "type=conn_new ", &got, line_end), std::string::npos) << path;
  }
}

TEST(WatchTest, EvictionsInMemcachedsFormat) {
  auto server = ServerProcess::Start(CommandFor(g_memkit_server, {"-m", "2"}));
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<TestConnection> watcher = ConnectToLoopback((*server)->port());
  ASSERT_TRUE(watcher != nullptr);
  ASSERT_EQ(watcher->Call("watch evictions\r\n"), "OK\r\n");
  std::unique_ptr<TestConnection> c = ConnectToLoopback((*server)->port());
  ASSERT_TRUE(c != nullptr);
  const std::string value(100000, 'x');
  for (int i = 0; i < 40; ++i) {
    c->Call(absl::StrCat("set big", i, " 0 0 100000\r\n", value, "\r\n"));
  }
  // Which items go first depends on the engine's shards; each line has
  // memcached's fields.
  std::string got;
  const size_t end = ReadPast(*watcher, "type=eviction key=big", &got);
  const std::string line = got.substr(0, ReadPast(*watcher, "\n", &got, end));
  static const std::regex eviction(
      "ts=[0-9]+\\.[0-9]+ gid=[0-9]+ type=eviction key=big[0-9]+ fetch=no ttl=-1 la=[0-9]+ "
      "clsid=32 size=100000\n");
  std::smatch m;
  EXPECT_TRUE(std::regex_search(line, m, eviction)) << line;
  std::unique_ptr<TestConnection> stats = ConnectToLoopback((*server)->port());
  ASSERT_TRUE(stats != nullptr);
  const std::string st = stats->Call("stats\r\n", "END\r\n");
  EXPECT_TRUE(absl::StrContains(st, "STAT log_watchers 1\r\n")) << st;
  EXPECT_FALSE(absl::StrContains(st, "STAT log_watcher_sent 0\r\n")) << st;
}

// A watcher that never reads: the server keeps answering everyone else,
// skips lines for it, and says so with memcached's "skipped=N" line once it
// reads again.
TEST(WatchTest, ASlowWatcherIsSkippedNotWaitedFor) {
  auto server = ServerProcess::Start(CommandFor(g_memkit_server, {}));
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<TestConnection> watcher = ConnectToLoopback((*server)->port());
  ASSERT_TRUE(watcher != nullptr);
  ASSERT_EQ(watcher->Call("watch fetchers\r\n"), "OK\r\n");
  std::unique_ptr<TestConnection> c = ConnectToLoopback((*server)->port());
  ASSERT_TRUE(c != nullptr);
  const std::string key(200, 'k');
  std::string batch;
  for (int i = 0; i < 200; ++i) absl::StrAppend(&batch, "get ", key, i, "\r\n");
  for (int round = 0; round < 200; ++round) {
    Send(*c, batch);
    for (int i = 0; i < 200; ++i) {
      // One miss at a time, each with its own deadline.
      absl::StatusOr<std::string> miss = c->ReadExactly(5);
      ASSERT_TRUE(miss.ok()) << miss.status();
      ASSERT_EQ(*miss, "END\r\n");
    }
  }
  std::unique_ptr<TestConnection> stats = ConnectToLoopback((*server)->port());
  ASSERT_TRUE(stats != nullptr);
  const std::string st = stats->Call("stats\r\n", "END\r\n");
  EXPECT_FALSE(absl::StrContains(st, "STAT log_watcher_skipped 0\r\n")) << st;
  // The watcher reads again: once its backlog is through, the next line
  // that fits comes after "skipped=N".
  std::string lines;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!absl::StrContains(lines, "\nskipped=") && absl::Now() < deadline) {
    c->Call("get tick\r\n", "END\r\n");
    ReadPast(*watcher, "\nskipped=", &lines, 0, absl::Milliseconds(20));
  }
  const size_t at = lines.find("\nskipped=");
  ASSERT_NE(at, std::string::npos) << lines.size();
  static const std::regex skipped("^\nskipped=[1-9][0-9]*\nts=[0-9]+\\.[0-9]+ gid=[0-9]+ type=item_get ");
  ReadPast(*watcher, "type=item_get ", &lines, at);
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
