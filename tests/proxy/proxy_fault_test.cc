// memkit-proxy under backend faults, with a client thread keeping up load
// the whole time: a backend killed and restarted, paused with SIGSTOP and
// resumed, and a fake backend that answers garbage. For each:
//  - no request waits past the pool's read timeout plus a slack;
//  - every reply is a normal one or a documented error line
//    ("SERVER_ERROR backend unavailable" / "backend timeout" /
//    "no backend available");
//  - keys placed on the other backends see no error at all;
//  - the faulty backend leaves the placement, and (kill, pause) is probed
//    back in once it answers again, serving its own keys.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "core/protocol/binary_codes.h"
#include "core/protocol/binary_request_writer.h"
#include "core/protocol/binary_response_parser.h"
#include "core/sync/mutex.h"
#include "gtest/gtest.h"
#include "proxy/proxy_test_util.h"
#include "tests/support/eventually.h"
#include "tests/support/scratch_dir.h"

namespace memkit {
namespace proxy {
namespace {

using test_support::Eventually;
using test_support::ServerProcess;
using testing::Conn;

constexpr absl::Duration kReadTimeout = absl::Milliseconds(300);
// Scheduling noise on two shared cores, the timeout tick, a reconnect.
constexpr absl::Duration kSlack = absl::Milliseconds(1500);

bool IsDocumentedError(absl::string_view reply) {
  return reply == "SERVER_ERROR backend unavailable\r\n" ||
         reply == "SERVER_ERROR backend timeout\r\n" ||
         reply == "SERVER_ERROR no backend available\r\n";
}

// A TCP server on 127.0.0.1 that answers whatever it reads with a line no
// memcached sends. Stopped (and its threads joined) by the destructor.
class GarbageServer {
 public:
  GarbageServer() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa = {};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || listen(fd_, 64) != 0) {
      return;
    }
    socklen_t len = sizeof(sa);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~GarbageServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    std::vector<pollfd> fds = {{fd_, POLLIN, 0}};
    while (!stop_.load()) {
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        if (i == 0) {
          const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (c >= 0) fds.push_back({c, POLLIN, 0});
          continue;
        }
        char buf[4096];
        const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
        if (n <= 0) {
          close(fds[i].fd);
          fds[i].fd = -1;
          continue;
        }
        static constexpr char kGarbage[] = "HTTP/1.1 400 what is this\r\n\x01\x02\xff\r\n";
        (void)!write(fds[i].fd, kGarbage, sizeof(kGarbage) - 1);
      }
      std::vector<pollfd> open;
      for (const pollfd& p : fds) {
        if (p.fd >= 0) open.push_back({p.fd, POLLIN, 0});
      }
      fds.swap(open);
    }
    for (size_t i = 1; i < fds.size(); ++i) close(fds[i].fd);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One client connection in a thread: set then get of keys in turn, each
// request timed and its reply classified by whether the key's home is the
// victim.
class Load {
 public:
  Load(int port, std::vector<std::string> victim_keys, std::vector<std::string> other_keys)
      : victim_keys_(std::move(victim_keys)), other_keys_(std::move(other_keys)) {
    thread_ = std::thread([this, port] { Run(port); });
  }
  ~Load() { Stop(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int requests() const { return requests_.load(); }
  int victim_errors() const { return victim_errors_.load(); }
  int other_errors() const { return other_errors_.load(); }
  int unexpected() const { return unexpected_.load(); }
  absl::Duration slowest() const {
    MutexLock lock(&mu_);
    return slowest_;
  }
  std::string problems() const {
    MutexLock lock(&mu_);
    return absl::StrJoin(problems_, " | ");
  }

 private:
  void Run(int port) {
    auto conn = Conn::Open(port);
    if (!conn.ok()) {
      unexpected_.fetch_add(1);
      return;
    }
    for (size_t i = 0; !stop_.load(); ++i) {
      const bool victim = i % 2 == 0;
      const auto& keys = victim ? victim_keys_ : other_keys_;
      const std::string& key = keys[(i / 2) % keys.size()];
      const std::string value = absl::StrCat("v", i);
      Check((*conn)->Call(absl::StrCat("set ", key, " 0 0 ", value.size(), "\r\n", value, "\r\n"),
                          "\r\n", absl::Seconds(10)),
            victim, /*get=*/false);
      Check((*conn)->Call(absl::StrCat("get ", key, "\r\n"), "\r\n", absl::Seconds(10)), victim,
            /*get=*/true, conn->get());
    }
  }

  void Check(std::string reply, bool victim, bool get, Conn* conn = nullptr) {
    const absl::Time now = absl::Now();
    const absl::Duration took = now - last_;
    last_ = now;
    requests_.fetch_add(1);
    // A get's reply may come in pieces: read to its end.
    if (get && absl::StartsWith(reply, "VALUE ") && !absl::EndsWith(reply, "END\r\n") &&
        conn != nullptr) {
      reply += conn->ReadUntil("END\r\n", absl::Seconds(10));
    }
    {
      MutexLock lock(&mu_);
      if (took > slowest_) slowest_ = took;
    }
    const bool normal = get ? (absl::StartsWith(reply, "VALUE ") && absl::EndsWith(reply, "END\r\n")) ||
                                  reply == "END\r\n"
                            : reply == "STORED\r\n";
    if (normal) return;
    if (IsDocumentedError(reply)) {
      (victim ? victim_errors_ : other_errors_).fetch_add(1);
      if (!victim) Note(absl::StrCat("other key: ", reply));
      return;
    }
    unexpected_.fetch_add(1);
    Note(absl::StrCat("unexpected: \"", absl::CEscape(reply), "\""));
  }

  void Note(std::string s) {
    MutexLock lock(&mu_);
    if (problems_.size() < 5) problems_.push_back(std::move(s));
  }

  const std::vector<std::string> victim_keys_, other_keys_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0}, victim_errors_{0}, other_errors_{0}, unexpected_{0};
  absl::Time last_ = absl::Now();  // the load thread's
  mutable Mutex mu_;
  absl::Duration slowest_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class ProxyFaultTest : public ::testing::Test {
 protected:
  // A proxy over `servers` ("host:port" each; the victim last).
  void StartProxy(const std::vector<std::string>& servers, const std::string& extra_json = "") {
    auto dir = test_support::ScratchDir::Create("proxy-fault");
    ASSERT_TRUE(dir.ok());
    dir_ = std::move(*dir);
    std::vector<std::string> quoted;
    for (const auto& s : servers) quoted.push_back(absl::StrCat("\"", s, "\""));
    const std::string config = dir_->path() + "/proxy.json";
    std::ofstream(config) << "{\"threads\": 2, \"pools\": [{\"servers\": ["
                          << absl::StrJoin(quoted, ",") << "], \"connectTimeoutMs\": 300,"
                          << " \"readTimeoutMs\": " << absl::ToInt64Milliseconds(kReadTimeout)
                          << ", \"failureLimit\": 2, \"probeInitialMs\": 50, \"probeMaxMs\": 200"
                          << extra_json << "}]}";
    auto proxy = testing::StartProxy({"--config", config});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
    // Keys by home server, as libketama places them over all of `servers`.
    auto specs = hash::ParseServerList(absl::StrJoin(servers, ","));
    ASSERT_TRUE(specs.ok());
    hash::PlacementOptions po;
    po.distribution = hash::Distribution::kKetamaWeighted;
    auto placement = hash::Placement::Create(*specs, po);
    ASSERT_TRUE(placement.ok());
    victim_ = servers.back();
    for (int i = 0; i < 400; ++i) {
      const std::string key = absl::StrCat("fault:", i);
      ((*placement)->ServerFor(key) == servers.size() - 1 ? victim_keys_ : other_keys_)
          .push_back(key);
    }
    ASSERT_GE(victim_keys_.size(), 20u);
  }

  std::string Stats() {
    auto c = Conn::Open(proxy_->port());
    return c.ok() ? (*c)->Call("stats proxy\r\n", "END\r\n") : "";
  }
  bool VictimUp(bool up) {
    return absl::StrContains(Stats(), absl::StrCat("STAT server:", victim_, ":up ", up ? 1 : 0,
                                                   "\r\n"));
  }

  void ExpectBounded(const Load& load) {
    EXPECT_EQ(load.unexpected(), 0) << load.problems();
    EXPECT_EQ(load.other_errors(), 0) << load.problems();
    EXPECT_LT(load.slowest(), kReadTimeout + kSlack);
    std::printf("%d requests, %d documented errors on the victim's keys, slowest %s\n",
                load.requests(), load.victim_errors(), absl::FormatDuration(load.slowest()).c_str());
  }

  std::unique_ptr<test_support::ScratchDir> dir_;
  std::unique_ptr<ServerProcess> proxy_;
  std::string victim_;
  std::vector<std::string> victim_keys_, other_keys_;
};

TEST_F(ProxyFaultTest, KilledAndRestartedUnderLoad) {
  auto backends = testing::StartMemcached(3);
  ASSERT_TRUE(backends.ok()) << backends.status();
  StartProxy({(*backends)[0]->address(), (*backends)[1]->address(), (*backends)[2]->address()});
  Load load(proxy_->port(), victim_keys_, other_keys_);
  ASSERT_TRUE(Eventually([&] { return load.requests() > 200; }));
  (*backends)[2]->Stop();
  ASSERT_TRUE(Eventually([&] { return VictimUp(false); }));
  int mark = load.requests();
  ASSERT_TRUE(Eventually([&] { return load.requests() > mark + 200; }));
  ASSERT_TRUE((*backends)[2]->Restart().ok());
  ASSERT_TRUE(Eventually([&] { return VictimUp(true); }));
  mark = load.requests();
  ASSERT_TRUE(Eventually([&] { return load.requests() > mark + 200; }));
  load.Stop();
  ExpectBounded(load);
  EXPECT_GT(load.victim_errors(), 0) << "the kill was noticed";
  // Back in placement: the restarted server holds its keys again.
  auto direct = Conn::Open((*backends)[2]->port());
  ASSERT_TRUE(direct.ok());
  EXPECT_FALSE(absl::StrContains((*direct)->Call("stats\r\n", "END\r\n"), "STAT cmd_set 0\r\n"));
}

TEST_F(ProxyFaultTest, PausedAndResumedUnderLoad) {
  auto backends = testing::StartMemcached(3);
  ASSERT_TRUE(backends.ok()) << backends.status();
  StartProxy({(*backends)[0]->address(), (*backends)[1]->address(), (*backends)[2]->address()});
  Load load(proxy_->port(), victim_keys_, other_keys_);
  ASSERT_TRUE(Eventually([&] { return load.requests() > 200; }));
  const pid_t pid = (*backends)[2]->pid();
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(Eventually([&] { return VictimUp(false); }));
  int mark = load.requests();
  ASSERT_TRUE(Eventually([&] { return load.requests() > mark + 200; }));
  ASSERT_EQ(kill(pid, SIGCONT), 0);
  ASSERT_TRUE(Eventually([&] { return VictimUp(true); }));
  mark = load.requests();
  ASSERT_TRUE(Eventually([&] { return load.requests() > mark + 200; }));
  load.Stop();
  ExpectBounded(load);
  EXPECT_TRUE(absl::StrContains(Stats(), absl::StrCat("STAT server:", victim_, ":timeouts ")));
  EXPECT_FALSE(absl::StrContains(Stats(), absl::StrCat("STAT server:", victim_, ":timeouts 0\r\n")))
      << "the pause was seen as timeouts";
}

TEST_F(ProxyFaultTest, GarbageAnsweringBackendIsEjected) {
  auto backends = testing::StartMemcached(2);
  ASSERT_TRUE(backends.ok()) << backends.status();
  GarbageServer garbage;
  ASSERT_NE(garbage.port(), 0);
  StartProxy({(*backends)[0]->address(), (*backends)[1]->address(),
              absl::StrCat("127.0.0.1:", garbage.port())});
  Load load(proxy_->port(), victim_keys_, other_keys_);
  ASSERT_TRUE(Eventually([&] { return VictimUp(false); }));
  // The load's request in flight when the ejection showed may still fail:
  // count from the one after it (the load thread sends one at a time and
  // finishes counting a reply before it sends the next request).
  const int seen = load.requests();
  ASSERT_TRUE(Eventually([&] { return load.requests() >= seen + 2; }));
  // Out for good (its probes get garbage too): its keys are served by the
  // others without errors from now on.
  const int errors = load.victim_errors();
  const int mark = load.requests();
  ASSERT_TRUE(Eventually([&] { return load.requests() > mark + 400; }));
  load.Stop();
  EXPECT_EQ(load.victim_errors(), errors) << "no errors once it is ejected";
  EXPECT_TRUE(VictimUp(false));
  ExpectBounded(load);
}

// Binary clients of a pool that speaks meta to its servers (translation):
// while a server is killed and restarted, every binary reply is a success,
// a miss, or Temporary failure (0x86) for the victim's keys only, with the
// client's opaque, and none comes late.
TEST_F(ProxyFaultTest, MetaPoolBinaryClientsWhileKilledAndRestarted) {
  auto backends = testing::StartMemcached(3);
  ASSERT_TRUE(backends.ok()) << backends.status();
  StartProxy({(*backends)[0]->address(), (*backends)[1]->address(), (*backends)[2]->address()},
             ", \"backendProtocol\": \"meta\"");
  std::atomic<bool> stop{false};
  std::atomic<int> requests{0}, victim_failures{0}, bad{0};
  std::string first_bad;
  absl::Duration slowest;
  std::thread client([&] {
    auto conn = Conn::Open(proxy_->port());
    if (!conn.ok()) {
      bad.fetch_add(1);
      return;
    }
    absl::Time last = absl::Now();
    for (uint32_t i = 0; !stop.load(); ++i) {
      const bool victim = i % 2 == 0;
      const auto& keys = victim ? victim_keys_ : other_keys_;
      const std::string& key = keys[(i / 2) % keys.size()];
      protocol::BinaryPacket p;
      const bool get = i % 4 >= 2;
      if (get) {
        (void)protocol::BuildBinaryGet(protocol::BinaryOpcode::kGetK, key, i, &p);
      } else {
        (void)protocol::BuildBinaryStore(protocol::BinaryOpcode::kSet, key, "v", 0, 0, 0, i, &p);
      }
      (*conn)->Send(p.ToString());
      const std::string reply = (*conn)->ReadPacket(absl::Seconds(10));
      const absl::Time now = absl::Now();
      slowest = std::max(slowest, now - last);
      last = now;
      requests.fetch_add(1);
      protocol::BinaryResponse r;
      if (!protocol::ParseBinaryResponse(reply, {}, &r).ok() || r.opaque != i) {
        if (bad.fetch_add(1) == 0) first_bad = absl::CEscape(reply);
        return;
      }
      if (r.status_code == 0 || (get && r.status_code == 1)) continue;
      if (r.status_code == 0x86 && victim) {
        victim_failures.fetch_add(1);
        continue;
      }
      if (bad.fetch_add(1) == 0) first_bad = absl::StrCat("status ", r.status_code, " ", key);
    }
  });
  ASSERT_TRUE(Eventually([&] { return requests.load() > 200; }));
  (*backends)[2]->Stop();
  ASSERT_TRUE(Eventually([&] { return VictimUp(false); }));
  int mark = requests.load();
  ASSERT_TRUE(Eventually([&] { return requests.load() > mark + 200; }));
  ASSERT_TRUE((*backends)[2]->Restart().ok());
  ASSERT_TRUE(Eventually([&] { return VictimUp(true); }));
  mark = requests.load();
  ASSERT_TRUE(Eventually([&] { return requests.load() > mark + 200; }));
  stop.store(true);
  client.join();
  EXPECT_EQ(bad.load(), 0) << first_bad;
  EXPECT_GT(victim_failures.load(), 0) << "the kill was noticed";
  EXPECT_LT(slowest, kReadTimeout + kSlack);
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
