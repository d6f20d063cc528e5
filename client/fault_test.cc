// Client faults under load (issue #15): a ClientPool shared by several
// threads drives three real memcached servers while one of them is killed
// and restarted, paused with SIGSTOP (then SIGCONT), or stopped and started
// again, and while a fake server answers every request with garbage. For
// every fault, and for each protocol:
//  - no call waits longer than the configured timeouts plus a slack;
//  - the faulty server's keys fail only with the documented statuses
//    (docs/errors.md): Unavailable (cannot connect, read or write, or "not
//    retried" within the retry timeout), DeadlineExceeded (a silent server),
//    DataLoss (a reply that cannot be parsed);
//  - every key on the other servers keeps working, and reads its own value;
//  - once the server is back, its keys work again within the retry timeout
//    (plus slack), and read their own values: a reply that arrives late from
//    a paused server is never taken for a later request's.
// Timers here are real time (the faults are real processes); the load runs
// a bounded time per phase.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/pool.h"
#include "core/sync/mutex.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace client {
namespace {

using test_support::ServerProcess;

// Timeouts long enough that a healthy server on two shared, busy cores is
// never taken for a failed one (at 200 ms, scheduling stalls alone timed
// out a healthy server now and then), short enough to keep the test brief.
constexpr absl::Duration kConnectTimeout = absl::Milliseconds(500);
constexpr absl::Duration kIoTimeout = absl::Milliseconds(500);
constexpr absl::Duration kRetryTimeout = absl::Milliseconds(500);
// What a call may take beyond its timeouts on two busy, shared cores.
constexpr absl::Duration kSlack = absl::Milliseconds(1000);
// The longest one call may wait: a connect and a round trip, each timed out,
// plus the slack (kConnectTimeout + kIoTimeout + kSlack).
constexpr absl::Duration kMaxCall = absl::Milliseconds(500 + 500 + 1000);
constexpr int kThreads = 4;
constexpr int kKeysPerServer = 8;

// A server that accepts every connection and answers whatever it reads with
// bytes no memcached protocol can parse. Runs on its own thread until
// destroyed.
class GarbageServer {
 public:
  GarbageServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) return;
    thread_ = std::thread([this] { Run(); });
  }
  ~GarbageServer() {
    if (thread_.joinable()) {
      char c = 0;
      (void)!::write(stop_pipe_[1], &c, 1);
      thread_.join();
    }
    for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
  int port() const { return port_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  int64_t replies() const { return replies_.load(); }

 private:
  void Run() {
    std::vector<int> conns;
    for (;;) {
      std::vector<struct pollfd> fds = {{stop_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (int fd : conns) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 1000) < 0) continue;
      if (fds[0].revents != 0) break;
      std::vector<int> open;
      if (fds[1].revents & POLLIN) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) open.push_back(fd);
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        const int fd = fds[i].fd;
        if (fds[i].revents == 0) {
          open.push_back(fd);
          continue;
        }
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0) {
          ::close(fd);
          continue;
        }
        // Neither text ("VALUE", "END", ...), meta ("VA", "HD", ...) nor
        // binary (magic 0x81).
        static constexpr char kGarbage[] = "\x17garbage \xff\xfe reply\r\nmore junk\r\n";
        (void)!::send(fd, kGarbage, sizeof(kGarbage) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        replies_.fetch_add(1);
        open.push_back(fd);
      }
      conns.swap(open);
    }
    for (int fd : conns) ::close(fd);
  }

  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<int64_t> replies_{0};
  std::thread thread_;
};

// The value a key must read back: a reply meant for another key (or another
// request) cannot pass for it.
std::string ValueOf(const std::string& key) { return absl::StrCat("value-of-", key, "-", key); }

// What the load saw for one group of keys.
struct Tally {
  int64_t calls = 0;
  int64_t ok = 0;
  std::map<absl::StatusCode, int64_t> errors;
  std::map<absl::StatusCode, std::string> first_message;  // per code
  absl::Duration slowest;
  std::string first_bad;  // the first undocumented status or wrong value
};

class FaultTest : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      test_support::StartOptions start;
      start.stop_grace = absl::ZeroDuration();  // a crash: nothing to drain
      auto p = ServerProcess::Start(
          test_support::CommandFor(test_support::kMemcachedPath, {"-t", "1", "-m", "16"}),
          start);
      ASSERT_TRUE(p.ok()) << p.status();
      servers_.push_back(std::move(*p));
    }
  }

  void TearDown() override {
    // A paused server must be able to die.
    for (auto& s : servers_) {
      if (s->running()) ::kill(s->pid(), SIGCONT);
    }
  }

  ClientOptions Options(const std::vector<std::string>& servers) const {
    ClientOptions o;
    o.protocol = GetParam();
    o.distribution = hash::Distribution::kKetama;
    o.servers = servers;
    o.connect_timeout = kConnectTimeout;
    o.io_timeout = kIoTimeout;
    o.retry_timeout = kRetryTimeout;
    o.server_failure_limit = 0;  // only the retry timeout: the server comes back
    return o;
  }

  // Keys the pool places on each server of `addresses`.
  std::vector<std::vector<std::string>> KeysByServer(ClientPool& pool,
                                                     const std::vector<std::string>& addresses) {
    std::vector<std::vector<std::string>> keys(addresses.size());
    auto h = pool.Acquire();
    EXPECT_TRUE(h.ok()) << h.status();
    if (!h.ok()) return keys;
    for (int i = 0; i < 100000; ++i) {
      std::string k = absl::StrCat("fault:", i);
      auto server = (*h)->ServerForKey(k);
      if (!server.ok()) continue;
      for (size_t s = 0; s < addresses.size(); ++s) {
        if (*server == addresses[s] && keys[s].size() < kKeysPerServer) keys[s].push_back(k);
      }
      bool full = true;
      for (const auto& v : keys) full = full && v.size() == kKeysPerServer;
      if (full) break;
    }
    return keys;
  }

  // kThreads threads each set and get keys of every server for `duration`;
  // returns what the keys of server `faulty` saw, and of the others.
  void RunLoad(ClientPool& pool, const std::vector<std::vector<std::string>>& keys, int faulty,
               absl::Duration duration, Tally* faulty_tally, Tally* others_tally) {
    Mutex mu;
    std::vector<std::thread> threads;
    const absl::Time end = absl::Now() + duration;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Tally mine[2];  // [0] others, [1] faulty
        for (int i = t; absl::Now() < end; ++i) {
          const int server = i % static_cast<int>(keys.size());
          const std::string& key = keys[server][(i / keys.size()) % keys[server].size()];
          Tally& tally = mine[server == faulty ? 1 : 0];
          const absl::Time start = absl::Now();
          absl::Status s;
          std::string got;
          {
            auto h = pool.Acquire();
            if (!h.ok()) {
              s = h.status();
            } else if (i % 2 == 0) {
              s = (*h)->Set(key, ValueOf(key));
            } else {
              auto item = (*h)->Get(key);
              s = item.status();
              if (item.ok()) got = item->value;
            }
          }
          const absl::Duration took = absl::Now() - start;
          // Paced, not flat out: refused calls return at once, and a test
          // that burns both cores makes healthy servers look silent.
          absl::SleepFor(absl::Microseconds(200));
          tally.slowest = std::max(tally.slowest, took);
          ++tally.calls;
          if (s.ok() || absl::IsNotFound(s)) {
            ++tally.ok;
            if (s.ok() && i % 2 == 1 && got != ValueOf(key) && tally.first_bad.empty()) {
              tally.first_bad = absl::StrCat("get ", key, " read \"", got, "\"");
            }
            continue;
          }
          if (++tally.errors[s.code()] == 1) tally.first_message[s.code()] = s.ToString();
          const bool documented = absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) ||
                                  absl::IsDataLoss(s);
          if (!documented && tally.first_bad.empty()) tally.first_bad = s.ToString();
        }
        MutexLock lock(&mu);
        for (int g = 0; g < 2; ++g) {
          Tally& into = g == 1 ? *faulty_tally : *others_tally;
          into.calls += mine[g].calls;
          into.ok += mine[g].ok;
          for (const auto& [code, n] : mine[g].errors) into.errors[code] += n;
          for (const auto& [code, m] : mine[g].first_message) into.first_message.emplace(code, m);
          into.slowest = std::max(into.slowest, mine[g].slowest);
          if (into.first_bad.empty()) into.first_bad = mine[g].first_bad;
        }
      });
    }
    for (auto& th : threads) th.join();
  }

  // The faulty server's keys, and only they, may fail; nothing is slow.
  static void ExpectContained(const std::string& what, const Tally& faulty, const Tally& others) {
    EXPECT_GT(others.calls, 0) << what;
    EXPECT_EQ(others.ok, others.calls) << what << ": keys on healthy servers failed "
                                       << others.calls - others.ok << " times: "
                                       << Describe(others);
    EXPECT_EQ(others.first_bad, "") << what;
    EXPECT_EQ(faulty.first_bad, "") << what << ": an undocumented outcome";
    EXPECT_LE(others.slowest, kMaxCall) << what;
    EXPECT_LE(faulty.slowest, kMaxCall) << what;
  }

  // Polls until every key of `keys` sets and reads back its own value, for
  // at most the retry timeout plus slack (counted from `since`).
  static void ExpectRecovers(const std::string& what, ClientPool& pool,
                             const std::vector<std::string>& keys, absl::Time since) {
    const bool ok = test_support::Eventually(
        [&] {
          auto h = pool.Acquire();
          if (!h.ok()) return false;
          for (const std::string& k : keys) {
            if (!(*h)->Set(k, ValueOf(k)).ok()) return false;
            auto item = (*h)->Get(k);
            if (!item.ok() || item->value != ValueOf(k)) return false;
          }
          return true;
        },
        kRetryTimeout + kMaxCall + kSlack);
    EXPECT_TRUE(ok) << what << ": the server's keys did not recover within "
                    << absl::FormatDuration(kRetryTimeout + kMaxCall + kSlack)
                    << " (waited " << absl::FormatDuration(absl::Now() - since) << ")";
  }

  std::vector<std::string> Addresses() const {
    std::vector<std::string> a;
    for (const auto& s : servers_) a.push_back(s->address());
    return a;
  }

  std::unique_ptr<ClientPool> MakePool(const std::vector<std::string>& servers) {
    ClientPoolOptions po;
    po.max_clients = kThreads;
    po.acquire_timeout = kMaxCall + kSlack;
    auto pool = ClientPool::Create(Options(servers), po);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::move(*pool) : nullptr;
  }

  static std::string Describe(const Tally& t) {
    std::string s = absl::StrCat(t.calls, " calls, ", t.ok, " ok, slowest ",
                                 absl::FormatDuration(t.slowest));
    for (const auto& [code, n] : t.errors) {
      absl::StrAppend(&s, ", ", absl::StatusCodeToString(code), " ", n);
    }
    for (const auto& [code, m] : t.first_message) absl::StrAppend(&s, " [", m, "]");
    return s;
  }

  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

TEST_P(FaultTest, KilledThenRestartedServer) {
  auto pool = MakePool(Addresses());
  ASSERT_NE(pool, nullptr);
  const auto keys = KeysByServer(*pool, Addresses());
  Tally faulty, others;
  std::thread fault([&] {
    absl::SleepFor(absl::Milliseconds(300));
    servers_[1]->Stop(SIGKILL);
  });
  RunLoad(*pool, keys, 1, absl::Milliseconds(1500), &faulty, &others);
  fault.join();
  ExpectContained("killed", faulty, others);
  EXPECT_GT(faulty.errors[absl::StatusCode::kUnavailable], 0) << Describe(faulty);
  ASSERT_TRUE(servers_[1]->Restart().ok());
  const absl::Time back = absl::Now();
  ExpectRecovers("killed then restarted", *pool, keys[1], back);
  std::cout << "FIGURE killed: faulty " << Describe(faulty) << "; others " << Describe(others)
            << "\n";
}

TEST_P(FaultTest, PausedThenResumedServer) {
  auto pool = MakePool(Addresses());
  ASSERT_NE(pool, nullptr);
  const auto keys = KeysByServer(*pool, Addresses());
  Tally faulty, others;
  std::thread fault([&] {
    absl::SleepFor(absl::Milliseconds(200));
    ::kill(servers_[1]->pid(), SIGSTOP);
  });
  RunLoad(*pool, keys, 1, absl::Milliseconds(2000), &faulty, &others);
  fault.join();
  ExpectContained("paused", faulty, others);
  EXPECT_GT(faulty.errors[absl::StatusCode::kDeadlineExceeded], 0) << Describe(faulty);
  ASSERT_EQ(::kill(servers_[1]->pid(), SIGCONT), 0);
  const absl::Time back = absl::Now();
  // The resumed server now answers requests the clients gave up on: each
  // key must still read its own value.
  ExpectRecovers("paused then resumed", *pool, keys[1], back);
  Tally after_faulty, after_others;
  RunLoad(*pool, keys, 1, absl::Milliseconds(500), &after_faulty, &after_others);
  ExpectContained("after resume", after_faulty, after_others);
  EXPECT_EQ(after_faulty.ok, after_faulty.calls) << Describe(after_faulty);
  std::cout << "FIGURE paused: faulty " << Describe(faulty) << "; others " << Describe(others)
            << "\n";
}

TEST_P(FaultTest, RestartedUnderLoad) {
  auto pool = MakePool(Addresses());
  ASSERT_NE(pool, nullptr);
  const auto keys = KeysByServer(*pool, Addresses());
  Tally faulty, others;
  std::thread fault([&] {
    absl::SleepFor(absl::Milliseconds(200));
    servers_[1]->Stop(SIGTERM);
    absl::SleepFor(absl::Milliseconds(300));
    (void)servers_[1]->Restart();
  });
  RunLoad(*pool, keys, 1, absl::Milliseconds(1500), &faulty, &others);
  fault.join();
  ASSERT_TRUE(servers_[1]->running());
  ExpectContained("restarted", faulty, others);
  ExpectRecovers("restarted", *pool, keys[1], absl::Now());
  std::cout << "FIGURE restarted: faulty " << Describe(faulty) << "; others "
            << Describe(others) << "\n";
}

TEST_P(FaultTest, GarbageAnsweringServer) {
  GarbageServer garbage;
  ASSERT_GT(garbage.port(), 0);
  std::vector<std::string> addresses = Addresses();
  addresses[1] = garbage.address();
  auto pool = MakePool(addresses);
  ASSERT_NE(pool, nullptr);
  const auto keys = KeysByServer(*pool, addresses);
  Tally faulty, others;
  RunLoad(*pool, keys, 1, absl::Seconds(1), &faulty, &others);
  ExpectContained("garbage", faulty, others);
  EXPECT_EQ(faulty.ok, 0) << Describe(faulty);
  EXPECT_GT(faulty.errors[absl::StatusCode::kDataLoss], 0) << Describe(faulty);
  EXPECT_GT(garbage.replies(), 0);
  std::cout << "FIGURE garbage: faulty " << Describe(faulty) << "; others " << Describe(others)
            << "\n";
}

INSTANTIATE_TEST_SUITE_P(All, FaultTest,
                         ::testing::Values(Protocol::kText, Protocol::kBinary, Protocol::kMeta),
                         [](const ::testing::TestParamInfo<Protocol>& info) {
                           switch (info.param) {
                             case Protocol::kText:
                               return std::string("Text");
                             case Protocol::kBinary:
                               return std::string("Binary");
                             case Protocol::kMeta:
                               return std::string("Meta");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace client
}  // namespace memkit
