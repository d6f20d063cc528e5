// Failure handling against real memcached processes stopped and restarted
// mid-run: the statuses the docs promise (Unavailable naming the server,
// DeadlineExceeded for a silent server), the retry timeout, the failure
// limit and dead timeout, and auto-eject with the continuum rebuilt on the
// live servers and restored when the server returns. The retry and dead
// timers read a ManualClock (ClientOptions::clock), so time moves when the
// test says so, never by sleeping.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "client/testing/memcached_process.h"
#include "core/net/clock.h"
#include "core/status/status.h"
#include "gtest/gtest.h"

namespace memkit {
namespace client {
namespace {

using testing::MemcachedProcess;

class FailoverTest : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    if (!MemcachedProcess::Available()) GTEST_SKIP() << "no /usr/bin/memcached";
    for (int i = 0; i < 2; ++i) {
      auto p = MemcachedProcess::Start();
      ASSERT_TRUE(p.ok()) << p.status();
      servers_.push_back(std::move(*p));
    }
  }

  ClientOptions Options(int servers) {
    ClientOptions o;
    o.protocol = GetParam();
    o.distribution = hash::Distribution::kKetama;
    for (int i = 0; i < servers; ++i) o.servers.push_back(servers_[i]->address());
    o.connect_timeout = absl::Milliseconds(500);
    o.io_timeout = absl::Milliseconds(500);
    o.clock = &clock_;
    return o;
  }

  // A key the client places on server `index`.
  std::string KeyOn(Client& c, int index) {
    for (int i = 0;; ++i) {
      std::string k = absl::StrCat("key", i);
      if (*c.ServerForKey(k) == servers_[index]->address()) return k;
    }
  }

  net::ManualClock clock_;  // the clients' retry / dead timers
  std::vector<std::unique_ptr<MemcachedProcess>> servers_;
};

TEST_P(FailoverTest, StoppedServerIsUnavailableThenRecovers) {
  ClientOptions o = Options(1);
  o.retry_timeout = absl::Milliseconds(200);
  o.server_failure_limit = 0;  // never dead: only the retry timeout applies
  auto c = *Client::Create(o);
  ASSERT_TRUE(c->Set("k", "v").ok());
  servers_[0]->Stop();
  absl::Status s = c->Get("k").status();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), servers_[0]->address())) << s;
  EXPECT_EQ(GetMcCode(s), McCode::kConnectionError);
  // Within the retry timeout: refused at once, saying why.
  s = c->Set("k", "v");
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not retried")) << s;
  ASSERT_TRUE(servers_[0]->Restart().ok());
  // Back, but the retry timeout has not passed: still not tried.
  clock_.Advance(absl::Milliseconds(199));
  s = c->Set("k", "v");
  EXPECT_TRUE(absl::StrContains(s.message(), "not retried")) << s;
  // Once it has, the very next call reconnects.
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(c->Set("k", "back").ok());
  auto item = c->Get("k");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "back");
}

TEST_P(FailoverTest, SilentServerTimesOut) {
  // A listener that accepts connections (in the kernel) but never answers.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ClientOptions o = Options(0);
  o.servers = {absl::StrCat("127.0.0.1:", ntohs(a.sin_port))};
  o.io_timeout = absl::Milliseconds(100);
  auto c = *Client::Create(o);
  const absl::Time start = absl::Now();
  absl::Status s = c->Get("k").status();
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_EQ(GetMcCode(s), McCode::kTimeout);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // Multi-key calls time out through poll() the same way.
  ItemMap found;
  s = c->GetMulti({"a", "b"}, &found);
  EXPECT_FALSE(s.ok());
  close(fd);
}

TEST_P(FailoverTest, FailureLimitMarksDeadAndAutoEjectRebuildsAndRestores) {
  ClientOptions o = Options(2);
  o.retry_timeout = absl::ZeroDuration();
  o.server_failure_limit = 2;
  o.dead_timeout = absl::Milliseconds(300);
  o.auto_eject_hosts = true;
  auto c = *Client::Create(o);
  const std::string on_b = KeyOn(*c, 1);
  const std::string on_a = KeyOn(*c, 0);
  ASSERT_TRUE(c->Set(on_a, "a").ok());
  ASSERT_TRUE(c->Set(on_b, "b").ok());
  servers_[1]->Stop();
  // Failures below the limit are reported; the server stays placed.
  EXPECT_TRUE(absl::IsUnavailable(c->Get(on_b).status()));
  EXPECT_FALSE(c->IsEjected(1));
  EXPECT_TRUE(absl::IsUnavailable(c->Get(on_b).status()));
  // The limit is reached: ejected, its keys now live on server A.
  EXPECT_TRUE(c->IsEjected(1));
  EXPECT_EQ(*c->ServerForKey(on_b), servers_[0]->address());
  EXPECT_TRUE(absl::IsNotFound(c->Get(on_b).status()));
  ASSERT_TRUE(c->Set(on_b, "moved").ok());
  EXPECT_EQ(c->Get(on_b)->value, "moved");
  EXPECT_EQ(c->Get(on_a)->value, "a");
  // Running again, but ejected until the dead timeout has passed.
  ASSERT_TRUE(servers_[1]->Restart().ok());
  clock_.Advance(absl::Milliseconds(299));
  EXPECT_EQ(*c->ServerForKey(on_b), servers_[0]->address());
  EXPECT_TRUE(c->IsEjected(1));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(*c->ServerForKey(on_b), servers_[1]->address());
  EXPECT_FALSE(c->IsEjected(1));
  EXPECT_TRUE(c->Set(on_b, "home").ok());
  EXPECT_EQ(c->Get(on_b)->value, "home");
}

TEST_P(FailoverTest, DeadServerWithoutEjectFailsFastUntilDeadTimeout) {
  ClientOptions o = Options(2);
  o.retry_timeout = absl::ZeroDuration();
  o.server_failure_limit = 1;
  o.dead_timeout = absl::Seconds(30);
  auto c = *Client::Create(o);
  const std::string on_b = KeyOn(*c, 1);
  servers_[1]->Stop();
  EXPECT_TRUE(absl::IsUnavailable(c->Set(on_b, "x")));
  absl::Status s = c->Set(on_b, "x");
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "marked dead")) << s;
  EXPECT_FALSE(c->IsEjected(1));
  // Still dead just before the dead timeout ends, even though it is back;
  // tried again (and fine) once it has ended.
  ASSERT_TRUE(servers_[1]->Restart().ok());
  clock_.Advance(absl::Seconds(30) - absl::Milliseconds(1));
  s = c->Set(on_b, "x");
  EXPECT_TRUE(absl::StrContains(s.message(), "marked dead")) << s;
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(c->Set(on_b, "x").ok());
}

TEST_P(FailoverTest, MultiGetReturnsLiveServersHits) {
  ClientOptions o = Options(2);
  auto c = *Client::Create(o);
  const std::string on_a = KeyOn(*c, 0);
  const std::string on_b = KeyOn(*c, 1);
  ASSERT_TRUE(c->Set(on_a, "a").ok());
  ASSERT_TRUE(c->Set(on_b, "b").ok());
  servers_[1]->Stop();
  ItemMap found;
  absl::Status s = c->GetMulti({on_a, on_b}, &found);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[on_a].value, "a");
}

TEST_P(FailoverTest, ReplicatedMultiGetFallsBackToTheNextCopy) {
  for (bool randomize : {false, true}) {
    SCOPED_TRACE(randomize ? "randomized replica reads" : "primary first");
    ASSERT_TRUE(servers_[1]->running() || servers_[1]->Restart().ok());
    ClientOptions o = Options(2);
    o.replicas = 1;
    o.randomize_replica_read = randomize;
    auto c = *Client::Create(o);
    ASSERT_TRUE(c->FlushAll().ok());
    std::vector<std::string> keys;
    for (int i = 0; i < 40; ++i) {
      keys.push_back(absl::StrCat("rep", i));
      ASSERT_TRUE(c->Set(keys.back(), absl::StrCat("v", i)).ok());
    }
    // A copy lost on one server (evicted, say) is still found on the other.
    const std::string on_a = KeyOn(*c, 0);
    ASSERT_TRUE(c->Set(on_a, "only-on-b").ok());
    ClientOptions just_a = Options(1);
    ASSERT_TRUE((*Client::Create(just_a))->Delete(on_a).ok());
    keys.push_back(on_a);
    keys.push_back("never-set");
    std::vector<absl::string_view> views(keys.begin(), keys.end());
    MultiGetResult found;
    ASSERT_TRUE(c->GetMulti(views, &found).ok());
    EXPECT_EQ(found.hits(), 41u);
    EXPECT_EQ(found.value(40), "only-on-b");
    EXPECT_FALSE(found.hit(41));
    // A server gone: every key is still read from its other copy, and a key
    // no live copy has is a plain miss, not an error.
    servers_[1]->Stop();
    absl::Status s = c->GetMulti(views, &found);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_EQ(found.hits(), 40u);
    for (size_t i = 0; i < 40; ++i) EXPECT_EQ(found.value(i), absl::StrCat("v", i));
    EXPECT_FALSE(found.hit(40));  // its one copy was on the stopped server
    EXPECT_TRUE(found.status(40).ok()) << found.status(40);
    // A single get follows the same rule: a miss on the live copy is a miss,
    // whichever copy it asks first.
    EXPECT_TRUE(absl::IsNotFound(c->Get(on_a).status())) << c->Get(on_a).status();
    EXPECT_EQ(c->Get(keys[0])->value, "v0");
  }
}

TEST_P(FailoverTest, ReplicatedMultiGetReportsTheErrorWhenNoCopyAnswers) {
  ClientOptions o = Options(2);
  o.replicas = 1;
  auto c = *Client::Create(o);
  ASSERT_TRUE(c->Set("k", "v").ok());
  servers_[0]->Stop();
  servers_[1]->Stop();
  MultiGetResult found;
  absl::Status s = c->GetMulti({"k"}, &found);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_FALSE(found.hit(0));
  EXPECT_TRUE(absl::IsUnavailable(found.status(0))) << found.status(0);
}

INSTANTIATE_TEST_SUITE_P(All, FailoverTest,
                         ::testing::Values(Protocol::kText, Protocol::kBinary, Protocol::kMeta),
                         [](const ::testing::TestParamInfo<Protocol>& info) {
                           return std::string(ProtocolName(info.param));
                         });

}  // namespace
}  // namespace client
}  // namespace memkit
