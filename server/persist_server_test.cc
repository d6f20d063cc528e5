// Warm restarts of the real memkit-server binary (MEMKIT_SERVER_BINARY) on
// the same -o persist=DIR, checked over the wire; plus the in-process Server
// and the persistence flags.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/net/address.h"
#include "gtest/gtest.h"
#include "server/flags.h"
#include "server/server.h"
#include "server/server_test_util.h"
#include "tests/support/eventually.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/server_process.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace server {
namespace {

using test_support::ServerProcess;
using testing::StatValue;
using testing::TestConnection;

// Slow machines (ASan, a shared two-core box) get generous deadlines; none is
// a sleep: every wait polls for its condition.
constexpr absl::Duration kDeadline = absl::Seconds(30);

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Everything the server printed so far (-v: its persist lines).
std::string Log(const ServerProcess& server) { return server.LogTail(std::string::npos); }

// A connection to `server`; null if there is none (or no server: Start()
// has reported that).
std::unique_ptr<TestConnection> Connect(const ServerProcess* server) {
  if (server == nullptr) return nullptr;
  auto c =
      TestConnection::Connect(net::Address::IPv4Loopback(static_cast<uint16_t>(server->port())));
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

class PersistServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> binary = test_support::MemkitServerPath();
    ASSERT_TRUE(binary.ok()) << binary.status();
    memkit_server_ = test_support::CommandFor(*binary, {"-v"});
    auto scratch = test_support::ScratchDir::Create("persist_server");
    ASSERT_TRUE(scratch.ok()) << scratch.status();
    scratch_ = std::move(*scratch);
    dir_ = scratch_->Path("data");
  }

  // The server on an OS-chosen port; null (and a failure) if it does not
  // start. Clean stops get the whole deadline before SIGKILL, so a hang shows
  // as a wrong exit code.
  std::unique_ptr<ServerProcess> Start(const std::vector<std::string>& args) {
    test_support::StartOptions options;
    options.ready_deadline = kDeadline;
    options.stop_grace = kDeadline;
    auto server = ServerProcess::Start(memkit_server_.With(args), options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  test_support::ServerCommand memkit_server_;  // -v: its log lines are checked
  std::unique_ptr<test_support::ScratchDir> scratch_;
  std::string dir_;
};

std::string Set(TestConnection& c, absl::string_view key, uint32_t flags, int64_t exptime,
                absl::string_view value) {
  return c.Call(absl::StrCat("set ", key, " ", flags, " ", exptime, " ", value.size(), "\r\n",
                             value, "\r\n"));
}

// "VALUE <key> <flags> <n>\r\n<data>\r\nEND\r\n" as (flags, data), or "miss".
std::string Get(TestConnection& c, absl::string_view key) {
  std::string reply = c.Call(absl::StrCat("get ", key, "\r\n"), "END\r\n");
  if (reply == "END\r\n") return "miss";
  return reply;
}

std::string ValueReply(absl::string_view key, uint32_t flags, absl::string_view data) {
  return absl::StrCat("VALUE ", key, " ", flags, " ", data.size(), "\r\n", data, "\r\nEND\r\n");
}

// The TTL `mg key t` reports (-1: never), or -2 on a miss.
int64_t Ttl(TestConnection& c, absl::string_view key) {
  std::string reply = c.Call(absl::StrCat("mg ", key, " t\r\n"));
  int64_t ttl = -2;
  if (absl::StartsWith(reply, "HD t")) {
    EXPECT_TRUE(absl::SimpleAtoi(absl::StripSuffix(reply.substr(4), "\r\n"), &ttl)) << reply;
  }
  return ttl;
}

TEST_F(PersistServerTest, WarmRestartAfterSigterm) {
  std::mt19937 rng(42);
  std::string big(1536 * 1024, '\0');  // over the default -I, so -I 2m
  for (char& ch : big) ch = static_cast<char>(rng());
  const std::string binary("x\r\nEND\r\n\0y", 10);
  const int64_t set_at = absl::ToUnixSeconds(absl::Now());
  // The downtime, without waiting for it: the first server's clock runs
  // kDowntime seconds behind (debugtime; memcached's clock starts 62 s before
  // the process, so it stays positive), so the restarted one, on the real
  // clock, sees that much time gone by.
  constexpr int64_t kDowntime = 10;
  const int64_t set_at_shifted = set_at - kDowntime;

  {
    auto server = Start({"-I", "2m", "-o", absl::StrCat("persist=", dir_, ",debugtime")});
    auto c = Connect(server.get());
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->Call(absl::StrCat("debugtime -", kDowntime, "\r\n")), "OK\r\n");
    EXPECT_EQ(Set(*c, "plain", 0, 0, "hello"), "STORED\r\n");
    EXPECT_EQ(Set(*c, "maxflags", 4294967295u, 0, "f"), "STORED\r\n");
    EXPECT_EQ(Set(*c, "ttl300", 3, 300, "t"), "STORED\r\n");
    EXPECT_EQ(Set(*c, "absolute", 4, set_at_shifted + 3600, "a"), "STORED\r\n");
    EXPECT_EQ(Set(*c, "gone", 5, 1, "g"), "STORED\r\n");      // expires within a second
    EXPECT_EQ(Set(*c, "downtime", 6, 3, "d"), "STORED\r\n");  // expires while stopped
    EXPECT_EQ(Set(*c, "big", 9, 0, big), "STORED\r\n");
    EXPECT_EQ(Set(*c, "binary", 7, 0, binary), "STORED\r\n");
    EXPECT_EQ(Set(*c, "num", 0, 0, "41"), "STORED\r\n");
    EXPECT_EQ(c->Call("incr num 1\r\n"), "42\r\n");
    EXPECT_EQ(Set(*c, "deleted", 0, 0, "x"), "STORED\r\n");
    EXPECT_EQ(c->Call("delete deleted\r\n"), "DELETED\r\n");
    EXPECT_EQ(Set(*c, "over", 0, 0, "v1"), "STORED\r\n");
    EXPECT_EQ(Set(*c, "over", 8, 0, "v2"), "STORED\r\n");
    EXPECT_EQ(c->Call("append over 0 0 2\r\n+a\r\n"), "STORED\r\n");
    for (int i = 0; i < 300; ++i) {
      ASSERT_EQ(Set(*c, absl::StrCat("k", i), i, i % 2 == 0 ? 0 : 1000, absl::StrCat("v", i)),
                "STORED\r\n");
    }
    EXPECT_EQ(server->Stop(SIGTERM), 0) << Log(*server);
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/items.dbm"));
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/items.dbm.tmp"));
    EXPECT_TRUE(absl::StrContains(Log(*server), "persist: wrote a snapshot of")) << Log(*server);
  }

  auto server = Start({"-I", "2m", "-o", absl::StrCat("persist=", dir_)});
  ASSERT_NE(server, nullptr);
  const std::string log = Log(*server);
  EXPECT_TRUE(absl::StrContains(log, "persist: loaded ")) << log;
  auto c = Connect(server.get());
  ASSERT_NE(c, nullptr);
  // Since the sets, on the clock that stored them.
  const int64_t elapsed = absl::ToUnixSeconds(absl::Now()) - set_at_shifted;
  EXPECT_EQ(Get(*c, "plain"), ValueReply("plain", 0, "hello"));
  EXPECT_EQ(Get(*c, "maxflags"), ValueReply("maxflags", 4294967295u, "f"));
  EXPECT_EQ(Get(*c, "ttl300"), ValueReply("ttl300", 3, "t"));
  EXPECT_EQ(Get(*c, "absolute"), ValueReply("absolute", 4, "a"));
  EXPECT_EQ(Get(*c, "gone"), "miss");
  EXPECT_EQ(Get(*c, "downtime"), "miss");
  EXPECT_EQ(Get(*c, "deleted"), "miss");
  EXPECT_EQ(Get(*c, "big"), ValueReply("big", 9, big));
  EXPECT_EQ(Get(*c, "binary"), ValueReply("binary", 7, binary));
  EXPECT_EQ(Get(*c, "over"), ValueReply("over", 8, "v2+a"));
  EXPECT_EQ(c->Call("incr num 1\r\n"), "43\r\n");
  // TTLs counted on through the downtime (to the second; the check allows
  // the second ticking between the two clock readings).
  const int64_t ttl300 = Ttl(*c, "ttl300");
  EXPECT_LE(ttl300, 300 - elapsed + 1);
  EXPECT_GE(ttl300, 300 - elapsed - 2);
  const int64_t absolute = Ttl(*c, "absolute");
  EXPECT_LE(absolute, 3600 - elapsed + 1);
  EXPECT_GE(absolute, 3600 - elapsed - 2);
  EXPECT_EQ(Ttl(*c, "plain"), -1);
  for (int i = 0; i < 300; ++i) {
    const std::string key = absl::StrCat("k", i);
    ASSERT_EQ(Get(*c, key), ValueReply(key, i, absl::StrCat("v", i)));
    if (i % 2 == 0) {
      ASSERT_EQ(Ttl(*c, key), -1) << key;
    } else {
      const int64_t ttl = Ttl(*c, key);
      ASSERT_GE(ttl, 1000 - elapsed - 2) << key;
      ASSERT_LE(ttl, 1000) << key;
    }
  }
  const std::string stats = c->Call("stats\r\n", "END\r\n");
  EXPECT_EQ(StatValue(stats, "curr_items"), "308");
  EXPECT_EQ(StatValue(stats, "cmd_set"), "0");  // the load is not counted as sets
  // A CAS round trip on a loaded item.
  std::string gets = c->Call("gets plain\r\n", "END\r\n");
  std::vector<std::string> words = absl::StrSplit(gets.substr(0, gets.find("\r\n")), ' ');
  ASSERT_EQ(words.size(), 5u) << gets;
  EXPECT_EQ(c->Call(absl::StrCat("cas plain 0 0 2 ", words[4], "\r\nhi\r\n")), "STORED\r\n");

  // Loaded and (without persist_interval) consumed: a crash now must not
  // bring back this state later.
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/items.dbm"));
  EXPECT_EQ(server->Stop(SIGKILL), 128 + SIGKILL);
  auto cold = Start({"-o", absl::StrCat("persist=", dir_)});
  auto c2 = Connect(cold.get());
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(Get(*c2, "plain"), "miss");
  EXPECT_TRUE(absl::StrContains(Log(*cold), "no snapshot")) << Log(*cold);
  EXPECT_EQ(cold->Stop(SIGINT), 0);
}

TEST_F(PersistServerTest, ShutdownCommandSnapshotsToo) {
  {
    auto server = Start({"-A", "--persist", dir_});
    auto c = Connect(server.get());
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(Set(*c, "k", 1, 0, "v"), "STORED\r\n");
    ASSERT_TRUE(c->Send("shutdown\r\n").ok());
    EXPECT_TRUE(c->WaitForClose());
    EXPECT_EQ(server->WaitForExit(kDeadline), 0) << Log(*server);
  }
  auto server = Start({"--persist=" + dir_});
  auto c = Connect(server.get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Get(*c, "k"), ValueReply("k", 1, "v"));
}

// The number in the last "wrote a snapshot of N items" line, or -1.
int64_t LastSnapshotCount(const std::string& log) {
  int64_t n = -1;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    constexpr absl::string_view kPrefix = "persist: wrote a snapshot of ";
    if (!absl::StartsWith(line, kPrefix)) continue;
    line.remove_prefix(kPrefix.size());
    int64_t v = 0;
    if (absl::SimpleAtoi(line.substr(0, line.find(' ')), &v)) n = v;
  }
  return n;
}

TEST_F(PersistServerTest, PeriodicSnapshotSurvivesKill9) {
  // Snapshots every hour of the server's clock, which debugtime moves: the
  // test says when the snapshot happens instead of waiting for real time.
  const std::string options = absl::StrCat("persist=", dir_, ",persist_interval=3600,debugtime");
  auto server = Start({"-o", options});
  auto c = Connect(server.get());
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Set(*c, absl::StrCat("p", i), i, 0, absl::StrCat("before", i)), "STORED\r\n");
  }
  EXPECT_EQ(LastSnapshotCount(Log(*server)), -1) << Log(*server);  // not due yet
  EXPECT_EQ(c->Call("debugtime 3600\r\n"), "OK\r\n");
  // Poll for the snapshot that has them all.
  test_support::Eventually([&] { return LastSnapshotCount(Log(*server)) == 100; }, kDeadline);
  ASSERT_EQ(LastSnapshotCount(Log(*server)), 100) << Log(*server);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Set(*c, absl::StrCat("q", i), 0, 0, "after"), "STORED\r\n");
  }
  EXPECT_EQ(server->Stop(SIGKILL), 128 + SIGKILL);

  auto again = Start({"-o", options});
  auto c2 = Connect(again.get());
  ASSERT_NE(c2, nullptr);
  for (int i = 0; i < 100; ++i) {
    const std::string key = absl::StrCat("p", i);
    ASSERT_EQ(Get(*c2, key), ValueReply(key, i, absl::StrCat("before", i)));
  }
  // Written after the last snapshot (no later one was due): lost.
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Get(*c2, absl::StrCat("q", i)), "miss");
  }
  // With periodic snapshots the file stays (the next crash's recovery point).
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/items.dbm"));
  EXPECT_EQ(again->Stop(SIGTERM), 0);
}

TEST_F(PersistServerTest, GarbageSnapshotStartsColdWithOneLine) {
  ASSERT_TRUE(std::filesystem::create_directory(dir_));
  WriteAll(dir_ + "/items.dbm", "\x89MKDBM\r\n but then nonsense");
  auto server = Start({"-o", absl::StrCat("persist=", dir_)});
  auto c = Connect(server.get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Get(*c, "anything"), "miss");
  EXPECT_EQ(Set(*c, "k", 0, 0, "v"), "STORED\r\n");
  int unusable = 0;
  for (absl::string_view line : absl::StrSplit(Log(*server), '\n')) {
    if (absl::StrContains(line, "is unusable")) ++unusable;
  }
  EXPECT_EQ(unusable, 1) << Log(*server);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/items.dbm.corrupt"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  // The next snapshot is a good one.
  auto again = Start({"-o", absl::StrCat("persist=", dir_, ",persist_strict")});
  auto c2 = Connect(again.get());
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(Get(*c2, "k"), ValueReply("k", 0, "v"));
}

TEST_F(PersistServerTest, StrictRefusesADamagedSnapshot) {
  ASSERT_TRUE(std::filesystem::create_directory(dir_));
  WriteAll(dir_ + "/items.dbm", "garbage");
  // Run to its end: it must refuse to start.
  auto server = test_support::RunServerToExit(
      memkit_server_.With({"-o", absl::StrCat("persist=", dir_, ",persist_strict")}), kDeadline);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->exit_code, 71) << server->output;
  const std::string& log = server->output;
  EXPECT_TRUE(absl::StrContains(log, "persist_strict")) << log;
  EXPECT_FALSE(absl::StrContains(log, "listening")) << log;
  EXPECT_EQ(test_support::ReadFileOrEmpty(dir_ + "/items.dbm"), "garbage");  // left alone
}

TEST_F(PersistServerTest, TwoServersCannotShareADirectory) {
  auto first = Start({"-o", absl::StrCat("persist=", dir_)});
  ASSERT_NE(first, nullptr);
  auto second = test_support::RunServerToExit(
      memkit_server_.With({"-o", absl::StrCat("persist=", dir_)}), kDeadline);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->exit_code, 71) << second->output;
  EXPECT_TRUE(absl::StrContains(second->output, "in use by another memkit-server"))
      << second->output;
  EXPECT_EQ(first->Stop(SIGTERM), 0);
}

// ---- in-process Server --------------------------------------------------------

TEST_F(PersistServerTest, InProcessServerRestartsWarm) {
  ServerOptions options = testing::TestServerOptions();
  options.persist_dir = dir_;
  {
    auto server = testing::StartServer(options);
    ASSERT_NE(server, nullptr);
    auto c = TestConnection::Connect(server->address());
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(Set(**c, "k", 3, 0, "v"), "STORED\r\n");
    server->Shutdown();
  }
  auto server = testing::StartServer(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->cache()->GetStats().curr_items, 1u);
  auto c = TestConnection::Connect(server->address());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Get(**c, "k"), ValueReply("k", 3, "v"));
}

// ---- flags ------------------------------------------------------------------------

TEST(PersistFlagsTest, Parse) {
  auto f = ParseServerFlags({"-o", "persist=/var/lib/mk,persist_interval=30,persist_strict"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.persist_dir, "/var/lib/mk");
  EXPECT_EQ(f->options.persist_interval, absl::Seconds(30));
  EXPECT_TRUE(f->options.persist_strict);

  f = ParseServerFlags({"--persist=/a,b"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.persist_dir, "/a,b");
  f = ParseServerFlags({"--persist", "/c"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->options.persist_dir, "/c");
  EXPECT_EQ(f->options.persist_interval, absl::ZeroDuration());
  EXPECT_FALSE(f->options.persist_strict);
}

TEST(PersistFlagsTest, Errors) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-o", "persist="},
           {"-o", "persist"},
           {"--persist="},
           {"--persist"},
           {"-o", "persist=/d,persist_interval=abc"},
           {"-o", "persist=/d,persist_interval=-1"},
           {"-o", "persist_interval=5"},  // without a directory
           {"-o", "persist_strict"},
       }) {
    auto f = ParseServerFlags(args);
    ASSERT_FALSE(f.ok()) << absl::StrJoin(args, " ");
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    // One line, or getopt's two ("option '--persist' requires an argument",
    // then memcached's "Illegal argument").
    EXPECT_TRUE(f.status().message().find('\n') == absl::string_view::npos ||
                absl::EndsWith(f.status().message(), "\nIllegal argument \"?\""))
        << f.status();
    EXPECT_NE(f.status().message().find("persist"), absl::string_view::npos) << f.status();
  }
}

TEST(PersistFlagsTest, Usage) {
  const std::string usage = ServerUsage();
  EXPECT_TRUE(absl::StrContains(usage, "persist=<dir>"));
  EXPECT_TRUE(absl::StrContains(usage, "persist_interval"));
  EXPECT_TRUE(absl::StrContains(usage, "persist_strict"));
  EXPECT_TRUE(absl::StrContains(usage, "--persist=<dir>"));
}

}  // namespace
}  // namespace server
}  // namespace memkit
