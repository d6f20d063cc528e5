// memkit-server's dumps and optional stats against real memcached 1.6.18:
// "stats cachedump", "lru_crawler metadump|crawl|mgdump", "stats sizes" (with
// "sizes_enable|disable" and -o track_sizes), "stats detail on|off|dump" and
// -X. Each script runs against both servers, started with the same flags,
// step by step; each step's replies must be equal once what differs by
// nature is masked: `la=` (last access, wall-clock seconds).
//
// 1.6.18 has no "lru_crawler mgdump" (it answers ERROR); the script checks
// that memkit answers the same.
//
// memcached's cachedump lists only its COLD LRU, where its LRU maintainer
// thread moves new items shortly after they are stored; the scripts wait for
// that (polling memcached's dump, with a deadline) before dumping.
//
// argv[1]: the memkit-server binary.

#include <memory>
#include <regex>
#include <string>
#include <utility>
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
#include "tests/support/eventually.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace server {
namespace {

using test_support::CommandFor;
using test_support::ServerProcess;
using testing::ConnectToLoopback;
using testing::TestConnection;

std::string g_memkit_server;

// Whether `reply` ends with a complete final line of a reply.
bool Complete(const std::string& reply) {
  if (!absl::EndsWith(reply, "\r\n")) return false;
  const size_t start = reply.rfind('\n', reply.size() - 3);
  const absl::string_view last =
      absl::string_view(reply).substr(start == std::string::npos ? 0 : start + 1);
  for (absl::string_view final_word :
       {"END", "OK", "ERROR", "STORED", "DELETED", "NOT_FOUND", "CLIENT_ERROR", "SERVER_ERROR",
        "BADCLASS", "STAT sizes_status", "RESET", "BUSY"}) {
    if (absl::StartsWith(last, final_word)) return true;
  }
  return false;
}

// Sends `request` and reads one reply: until Complete(), or 5 s. No fixed
// suffix ends every reply (END, OK, STORED, ...), so this reads whatever
// arrives and asks Complete() after each read. A failure is appended as
// "<status>" to what came, so the comparison between the servers shows it.
std::string Call(TestConnection& conn, absl::string_view request) {
  const absl::Status sent = conn.Send(request);
  if (!sent.ok()) return absl::StrCat("<", sent.ToString(), ">");
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  std::string got;
  while (!Complete(got)) {
    // One byte waits for the next read; the rest of what that read brought
    // is buffered, and ReadFor(0) takes it without waiting.
    absl::StatusOr<std::string> first = conn.ReadExactly(1, deadline - absl::Now());
    if (!first.ok()) return absl::StrCat(got, "<", first.status().ToString(), ">");
    absl::StrAppend(&got, *first, conn.ReadFor(absl::ZeroDuration()));
  }
  return got;
}

std::string Mask(const std::string& reply) {
  static const std::regex la("la=[0-9]+");
  return std::regex_replace(reply, la, "la=N");
}

class Both {
 public:
  explicit Both(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"-t", "1"};
    all.insert(all.end(), args.begin(), args.end());
    auto mc = ServerProcess::Start(CommandFor(test_support::kMemcachedPath, all));
    auto mk = ServerProcess::Start(CommandFor(g_memkit_server, all));
    EXPECT_TRUE(mc.ok()) << mc.status();
    EXPECT_TRUE(mk.ok()) << mk.status();
    if (!mc.ok() || !mk.ok()) return;
    memcached_ = std::move(*mc);
    memkit_ = std::move(*mk);
    mc_ = ConnectToLoopback(memcached_->port());
    mk_ = ConnectToLoopback(memkit_->port());
  }
  bool ok() const { return mc_ != nullptr && mk_ != nullptr; }

  // One step: the same request to both, replies compared. memcached's
  // crawler is a thread that runs on after the request: an lru_crawler
  // request it answers "BUSY currently processing crawler request" is asked
  // again until taken, and "disable" waits for the thread to stop. memkit's
  // crawls finish within the request.
  std::string Step(const std::string& request) {
    std::string a;
    const bool taken = test_support::Eventually([&] {
      a = Mask(Call(*mc_, request));
      return !absl::StartsWith(a, "BUSY ");
    });
    EXPECT_TRUE(taken) << "memcached stayed busy: " << request;
    if (request == "lru_crawler disable\r\n" && a == "OK\r\n") {
      // memcached says OK before its crawler thread has stopped; until then
      // a crawl may get "ERROR an unknown error happened" rather than
      // "CLIENT_ERROR lru crawler disabled".
      EXPECT_TRUE(test_support::Eventually([&] {
        return absl::StrContains(Call(*mc_, "stats settings\r\n"), "STAT lru_crawler no\r\n");
      })) << "memcached's crawler did not stop";
    }
    const std::string b = Mask(Call(*mk_, request));
    EXPECT_EQ(b, a) << "request: " << request;
    return b;
  }
  void Steps(const std::vector<std::string>& requests) {
    for (const std::string& r : requests) Step(r);
  }
  // Waits (deadline 10 s) until memcached's "stats cachedump <cls> 0" lists
  // `n` items: its maintainer has moved them to the COLD LRU.
  void SettleClass(int cls, int n) {
    const std::string request = absl::StrCat("stats cachedump ", cls, " 0\r\n");
    int listed = -1;
    const bool settled = test_support::Eventually([&] {
      listed = 0;
      for (absl::string_view line : absl::StrSplit(Call(*mc_, request), "\r\n")) {
        if (absl::StartsWith(line, "ITEM ")) ++listed;
      }
      return listed == n;
    });
    EXPECT_TRUE(settled) << "memcached lists " << listed << " items in class " << cls << ", not "
                         << n;
  }

 private:
  std::unique_ptr<ServerProcess> memcached_;
  std::unique_ptr<ServerProcess> memkit_;
  std::unique_ptr<TestConnection> mc_;
  std::unique_ptr<TestConnection> mk_;
};

std::string SetCommand(const std::string& key, size_t size, int64_t exptime = 0) {
  return absl::StrCat("set ", key, " 0 ", exptime, " ", size, "\r\n", std::string(size, 'v'),
                      "\r\n");
}

// Items in classes 1 (a*, d1), 6 (b*) and 15 (c1); a2 and b2 fetched.
void Fill(Both& both) {
  both.Steps({SetCommand("a1", 1), SetCommand("b1", 200), SetCommand("a2", 1), SetCommand("a3", 1),
              SetCommand("b2", 200), SetCommand("a4", 1), SetCommand("b3", 200),
              SetCommand("c1", 2000), SetCommand("d1", 1, 2000000000), "get a2 b2\r\n"});
  both.SettleClass(1, 5);
  both.SettleClass(6, 3);
  both.SettleClass(15, 1);
}

TEST(DumpDifferentialTest, CachedumpMetadumpAndCrawl) {
  Both both({"-m", "64"});
  ASSERT_TRUE(both.ok());
  Fill(both);
  both.Steps({
      "stats cachedump 1 0\r\n",       "stats cachedump 1 2\r\n",
      "stats cachedump 6 0\r\n",       "stats cachedump 15 1\r\n",
      "stats cachedump 2 0\r\n",       "stats cachedump 0 0\r\n",
      "stats cachedump 63 0\r\n",      "stats cachedump 64 0\r\n",
      "stats cachedump 99 0\r\n",      "stats cachedump\r\n",
      "stats cachedump 1\r\n",         "stats cachedump x 0\r\n",
      "lru_crawler metadump all\r\n",  "lru_crawler metadump 1\r\n",
      "lru_crawler metadump 6,1\r\n",  "lru_crawler metadump 15,6\r\n",
      "lru_crawler metadump hash\r\n", "lru_crawler metadump 0\r\n",
      "lru_crawler metadump 64\r\n",   "lru_crawler metadump 1,x\r\n",
      "lru_crawler metadump\r\n",      "lru_crawler mgdump all\r\n",
      "lru_crawler mgdump 1\r\n",      "lru_crawler mgdump hash\r\n",
      "lru_crawler crawl all\r\n",     "lru_crawler crawl 1,6\r\n",
      "lru_crawler crawl hash\r\n",    "lru_crawler crawl 99\r\n",
      "lru_crawler crawl 0\r\n",       "lru_crawler bogus\r\n",
      "lru_crawler disable\r\n",       "lru_crawler crawl all\r\n",
      "lru_crawler metadump all\r\n",  "lru_crawler enable\r\n",
      "lru_crawler enable\r\n",
  });
  // The dumps above are not vacuous: memkit listed the items.
  const std::string dump = both.Step("lru_crawler metadump all\r\n");
  EXPECT_TRUE(absl::StrContains(dump, "key=d1 exp=2000000000 ")) << dump;
  EXPECT_TRUE(absl::StrContains(dump, "key=a2 exp=-1 la=N cas=3 fetch=yes cls=1 size=62\n"))
      << dump;
}

TEST(DumpDifferentialTest, DumpsDisabledByX) {
  Both both({"-m", "64", "-X"});
  ASSERT_TRUE(both.ok());
  both.Steps({SetCommand("a1", 1), "stats cachedump 1 0\r\n", "lru_crawler metadump all\r\n",
              "lru_crawler metadump hash\r\n", "lru_crawler crawl all\r\n"});
}

TEST(DumpDifferentialTest, SizesSwitchedAtRunTime) {
  Both both({"-m", "64"});
  ASSERT_TRUE(both.ok());
  both.Steps({SetCommand("before", 10), "stats sizes\r\n", "stats sizes_enable\r\n",
              SetCommand("a", 5), SetCommand("b", 50), SetCommand("c", 500), SetCommand("d", 40),
              "stats sizes\r\n", "delete b\r\n", "stats sizes\r\n", "stats sizes_disable\r\n",
              "stats sizes\r\n", "stats sizes_enable\r\n", SetCommand("e", 7), "stats sizes\r\n",
              "stats sizes_enable\r\n", "stats sizes\r\n"});
}

TEST(DumpDifferentialTest, SizesTrackedFromStart) {
  Both both({"-m", "64", "-o", "track_sizes"});
  ASSERT_TRUE(both.ok());
  const std::string sizes = both.Step(SetCommand("a", 5) + SetCommand("b", 300) +
                                      SetCommand("c", 300) + "stats sizes\r\n");
  EXPECT_TRUE(absl::StrContains(sizes, "STAT 384 2\r\n")) << sizes;
  both.Steps(
      {"stats sizes_disable\r\n", "stats sizes\r\n", "stats sizes_enable\r\n", "stats sizes\r\n"});
}

TEST(DumpDifferentialTest, DetailPerPrefix) {
  Both both({"-m", "64"});
  ASSERT_TRUE(both.ok());
  both.Steps({"stats detail dump\r\n",
              "stats detail on\r\n",
              SetCommand("foo:a", 5),
              SetCommand("foo:b", 5),
              SetCommand("bar:x", 5),
              SetCommand("noprefix", 1),
              "get foo:a foo:c bar:x noprefix\r\n",
              "gets foo:b\r\n",
              "delete foo:b\r\n",
              "delete nope:x\r\n",
              "delete noprefix\r\n",
              "stats detail dump\r\n",
              "stats detail off\r\n",
              "get foo:a\r\n",
              "stats detail dump\r\n",
              "stats detail\r\n",
              "stats detail foo\r\n",
              "stats detail on off\r\n",
              "stats reset\r\n",
              "stats detail dump\r\n"});
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
