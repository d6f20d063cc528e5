// ClientPool and ThreadMappedPool with many threads against a real server,
// on each backend (memcached and memkit-server, client/testing/backend.h).
// Run under --config=tsan as well.

#include "client/pool.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/testing/backend.h"
#include "client/testing/memcached_process.h"
#include "core/sync/mutex.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace client {
namespace {

using testing::Backend;
using testing::MemcachedProcess;

class PoolTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (testing::SystemServerMissing(GetParam())) {
      GTEST_SKIP() << "no /usr/bin/memcached";
    }
    auto mo = testing::BackendOptions(GetParam());
    ASSERT_TRUE(mo.ok()) << mo.status();
    auto p = MemcachedProcess::Start(*mo);
    ASSERT_TRUE(p.ok()) << p.status();
    server_ = std::move(*p);
    options_.servers = {server_->address()};
  }
  std::unique_ptr<MemcachedProcess> server_;
  ClientOptions options_;
};

TEST_P(PoolTest, BoundedAcquireTimesOutAndHandlesReturnClients) {
  ClientPoolOptions po;
  po.max_clients = 2;
  po.acquire_timeout = absl::Milliseconds(50);
  auto pool = *ClientPool::Create(options_, po);
  auto a = pool->Acquire();
  auto b = pool->Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(pool->size(), 2u);
  auto c = pool->Acquire();
  EXPECT_TRUE(absl::IsDeadlineExceeded(c.status())) << c.status();
  Client* first = a->get();
  { auto gone = std::move(*a); }  // returned by the handle's destructor
  EXPECT_EQ(pool->idle(), 1u);
  auto d = pool->Acquire();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->get(), first);  // reused, connections and all
  EXPECT_TRUE((*d)->Set("k", "v").ok());
}

TEST_P(PoolTest, ManyThreadsShareAFewClients) {
  ClientPoolOptions po;
  po.max_clients = 3;
  po.acquire_timeout = absl::Seconds(10);
  auto pool = *ClientPool::Create(options_, po);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto h = pool->Acquire();
        if (!h.ok()) {
          ++errors;
          continue;
        }
        const std::string key = absl::StrCat("t", t, ":", i);
        if (!(*h)->Set(key, key).ok() || (*h)->Get(key)->value != key) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_LE(pool->size(), 3u);
  EXPECT_EQ(pool->idle(), pool->size());
}

TEST_P(PoolTest, ThreadMappedPoolGivesEachThreadItsOwnClient) {
  auto pool = *ThreadMappedPool::Create(options_);
  std::vector<Client*> seen(4);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto c = pool->Get();
      if (!c.ok()) {
        ++errors;
        return;
      }
      seen[t] = *c;
      if (*pool->Get() != *c) ++errors;  // the same one every time
      for (int i = 0; i < 20; ++i) {
        const std::string key = absl::StrCat("m", t, ":", i);
        if (!(*c)->Set(key, "x").ok() || !(*c)->Get(key).ok()) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(pool->size(), 4u);
  for (int i = 0; i < 4; ++i) {
    for (int j = i + 1; j < 4; ++j) EXPECT_NE(seen[i], seen[j]);
  }
  auto mine = pool->Get();
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(pool->size(), 5u);
  pool->Relinquish();
  EXPECT_EQ(pool->size(), 4u);
}

TEST_P(PoolTest, BadOptionsAreRefused) {
  ClientOptions bad;
  EXPECT_TRUE(absl::IsInvalidArgument(ClientPool::Create(bad).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ThreadMappedPool::Create(bad).status()));
  ClientPoolOptions zero;
  zero.max_clients = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(ClientPool::Create(options_, zero).status()));
}

// ---- runtime control: three servers, load running while the topology changes

class PoolTopologyTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (testing::SystemServerMissing(GetParam())) {
      GTEST_SKIP() << "no /usr/bin/memcached";
    }
    auto mo = testing::BackendOptions(GetParam());
    ASSERT_TRUE(mo.ok()) << mo.status();
    for (int i = 0; i < 4; ++i) {
      auto p = MemcachedProcess::Start(*mo);
      ASSERT_TRUE(p.ok()) << p.status();
      servers_.push_back(std::move(*p));
    }
    for (int i = 0; i < 3; ++i) options_.servers.push_back(servers_[i]->address());
    options_.distribution = hash::Distribution::kKetama;
    ClientPoolOptions po;
    po.max_clients = 6;
    po.acquire_timeout = absl::Seconds(10);
    auto pool = ClientPool::Create(options_, po);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
  }

  void TearDown() override { StopLoad(); }

  // Threads that set and get through the pool until StopLoad(); some hold
  // one Handle for several calls so that topology changes land mid-loan.
  void StartLoad(int threads) {
    for (int t = 0; t < threads; ++t) {
      load_.emplace_back([this, t] {
        for (int i = 0; !stop_.load(); ++i) {
          auto h = pool_->Acquire();
          if (!h.ok()) {
            Failed(h.status());
            continue;
          }
          for (int j = 0; j < 1 + (t % 2) * 20 && !stop_.load(); ++j) {
            const std::string key = absl::StrCat("load:", t, ":", (i * 31 + j) % 500);
            absl::Status s = (*h)->Set(key, key);
            if (!s.ok()) Failed(s);
            auto got = (*h)->Get(key);
            // A miss is fine (the key may have just moved); an error is not.
            if (!got.ok() && !absl::IsNotFound(got.status())) Failed(got.status());
            ops_ += 2;
          }
        }
      });
    }
  }
  void StopLoad() {
    stop_ = true;
    for (auto& th : load_) th.join();
    load_.clear();
  }
  void Failed(const absl::Status& s) {
    ++failures_;
    MutexLock lock(&mu_);
    if (first_failure_.ok()) first_failure_ = s;
  }
  // Waits (with a deadline) for the load to make progress.
  void AwaitOps(int64_t more) {
    const int64_t want = ops_.load() + more;
    test_support::Eventually([&] { return ops_.load() >= want; }, absl::Seconds(20));
    ASSERT_GE(ops_.load(), want) << "load made no progress";
  }

  // Where each of `keys` is placed now, as a Client lent by the pool says.
  std::vector<std::string> Placement(const std::vector<std::string>& keys) {
    std::vector<std::string> out;
    auto h = pool_->Acquire();
    EXPECT_TRUE(h.ok());
    for (const std::string& k : keys) {
      auto s = (*h)->ServerForKey(k);
      EXPECT_TRUE(s.ok()) << s.status();
      out.push_back(s.ok() ? *s : "");
    }
    return out;
  }
  // Which real server holds `key` (asked directly), or "".
  std::string Holder(const std::string& key) {
    std::string found;
    for (const auto& sv : servers_) {
      ClientOptions o;
      o.servers = {sv->address()};
      auto c = Client::Create(o);
      if (c.ok() && (*c)->Get(key).ok()) found = sv->address();
    }
    return found;
  }
  ServerState StateOf(const std::string& address) {
    for (const PoolServer& s : pool_->Servers()) {
      if (s.address == address) return s.state;
    }
    ADD_FAILURE() << "no server " << address;
    return ServerState::kLive;
  }

  std::vector<std::unique_ptr<MemcachedProcess>> servers_;
  ClientOptions options_;
  std::unique_ptr<ClientPool> pool_;
  std::vector<std::thread> load_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> ops_{0};
  std::atomic<int> failures_{0};
  Mutex mu_;
  absl::Status first_failure_ ABSL_GUARDED_BY(mu_);
};

std::vector<std::string> Keys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(absl::StrCat("probe:", i));
  return keys;
}

TEST_P(PoolTopologyTest, EveryChangeUnderLoadFailsNoRequestAndMovesKeysAsPlaced) {
  const std::string a = servers_[0]->address(), b = servers_[1]->address(),
                    c = servers_[2]->address(), d = servers_[3]->address();
  const std::vector<std::string> keys = Keys(300);
  const std::vector<std::string> before = Placement(keys);
  StartLoad(4);
  AwaitOps(200);

  // Eject b: exactly b's keys move, and requests really go to the new place.
  const uint64_t v0 = pool_->topology_version();
  ASSERT_TRUE(pool_->EjectServer(b).ok());
  EXPECT_GT(pool_->topology_version(), v0);
  EXPECT_EQ(StateOf(b), ServerState::kEjected);
  std::vector<std::string> after = Placement(keys);
  int moved = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (before[i] == b) {
      EXPECT_NE(after[i], b) << keys[i];
      ++moved;
    } else {
      EXPECT_EQ(after[i], before[i]) << keys[i] << " moved though its server stayed";
    }
  }
  EXPECT_GT(moved, 30);  // ketama: about a third
  {
    auto h = pool_->Acquire();
    ASSERT_TRUE(h.ok());
    for (size_t i = 0; i < 40; ++i) ASSERT_TRUE((*h)->Set(keys[i], "x").ok());
  }
  for (size_t i = 0; i < 40; ++i) EXPECT_EQ(Holder(keys[i]), after[i]) << keys[i];
  AwaitOps(200);

  // Restore b: placement as at the start.
  ASSERT_TRUE(pool_->RestoreServer(b).ok());
  EXPECT_EQ(Placement(keys), before);
  AwaitOps(200);

  // Drain c while a Handle built with c in its placement is held: draining
  // until that Handle's next call, then drained; only c's keys move.
  {
    auto held = pool_->Acquire();
    ASSERT_TRUE(held.ok());
    ASSERT_TRUE((*held)->Set("held", "1").ok());
    ASSERT_TRUE(pool_->DrainServer(c).ok());
    EXPECT_EQ(StateOf(c), ServerState::kDraining);
    EXPECT_TRUE(absl::IsDeadlineExceeded(pool_->WaitDrained(c, absl::Milliseconds(20))));
    ASSERT_TRUE((*held)->Set("held", "2").ok());  // rebuilt: no longer reaches c
    EXPECT_NE(*(*held)->ServerForKey("held"), c);
  }
  ASSERT_TRUE(pool_->WaitDrained(c, absl::Seconds(20)).ok());
  EXPECT_EQ(StateOf(c), ServerState::kDrained);
  after = Placement(keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (before[i] == c) {
      EXPECT_NE(after[i], c);
    } else {
      EXPECT_EQ(after[i], before[i]) << keys[i];
    }
  }
  AwaitOps(200);
  ASSERT_TRUE(pool_->RestoreServer(c).ok());

  // Add d: keys move only onto d.
  ASSERT_TRUE(pool_->AddServer(d).ok());
  after = Placement(keys);
  int to_d = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (after[i] == d) {
      ++to_d;
    } else {
      EXPECT_EQ(after[i], before[i]) << keys[i];
    }
  }
  EXPECT_GT(to_d, 20);
  AwaitOps(200);

  // Reweight a (ketama turns weighted): a gains keys.
  auto count = [&](const std::vector<std::string>& placed, const std::string& s) {
    return std::count(placed.begin(), placed.end(), s);
  };
  const auto a_before = count(Placement(keys), a);
  ASSERT_TRUE(pool_->SetServerWeight(a, 4).ok());
  EXPECT_GT(count(Placement(keys), a), a_before);
  AwaitOps(200);

  // Remove d and the weight: back to the start.
  ASSERT_TRUE(pool_->RemoveServer(d).ok());
  ASSERT_TRUE(pool_->SetServerWeight(a, 1).ok());
  EXPECT_EQ(Placement(keys), before);
  AwaitOps(200);

  StopLoad();
  MutexLock lock(&mu_);
  EXPECT_EQ(failures_.load(), 0) << "first: " << first_failure_;
  ASSERT_EQ(pool_->Servers().size(), 3u);
  for (const PoolServer& s : pool_->Servers()) {
    EXPECT_GT(s.requests, 100u) << s.address;
    EXPECT_EQ(s.failures, 0u) << s.address;
    EXPECT_EQ(s.latency_nanos.count(), s.requests) << s.address;
    EXPECT_GT(s.latency_nanos.Percentile(50), 0u) << s.address;
  }
}

TEST_P(PoolTopologyTest, PerServerStatsCountFailures) {
  const std::string d = servers_[3]->address();
  servers_[3]->Stop();
  ASSERT_TRUE(pool_->AddServer(d).ok());
  std::string key;  // one that the new placement puts on the stopped server
  for (int i = 0; key.empty() && i < 10000; ++i) {
    const std::string k = absl::StrCat("k", i);
    if (Placement({k})[0] == d) key = k;
  }
  ASSERT_FALSE(key.empty());
  {
    auto h = pool_->Acquire();
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(absl::IsUnavailable((*h)->Set(key, "v")));
    EXPECT_TRUE(absl::IsUnavailable((*h)->Get(key).status()));  // resting: refused at once
  }
  for (const PoolServer& s : pool_->Servers()) {
    if (s.address != d) continue;
    EXPECT_EQ(s.requests, 2u);
    EXPECT_EQ(s.failures, 2u);
    EXPECT_EQ(s.consecutive_failures, 2u);
  }
}

TEST_P(PoolTopologyTest, RefusesChangesThatCannotApply) {
  const std::string a = servers_[0]->address(), b = servers_[1]->address(),
                    c = servers_[2]->address();
  EXPECT_TRUE(absl::IsNotFound(pool_->EjectServer(servers_[3]->address())));
  EXPECT_TRUE(absl::IsAlreadyExists(pool_->AddServer(a)));
  EXPECT_TRUE(absl::IsAlreadyExists(pool_->AddServer(absl::StrCat(a, ":3"))));
  EXPECT_TRUE(absl::IsInvalidArgument(pool_->SetServerWeight(a, 0)));
  EXPECT_TRUE(absl::IsInvalidArgument(pool_->AddServer("not a server")));
  EXPECT_TRUE(absl::IsFailedPrecondition(pool_->WaitDrained(a, absl::Seconds(1))));
  ASSERT_TRUE(pool_->EjectServer(a).ok());
  ASSERT_TRUE(pool_->DrainServer(b).ok());
  const uint64_t v = pool_->topology_version();
  EXPECT_TRUE(absl::IsFailedPrecondition(pool_->EjectServer(c)));  // the last live one
  EXPECT_TRUE(absl::IsFailedPrecondition(pool_->RemoveServer(c)));
  EXPECT_EQ(pool_->topology_version(), v);
  EXPECT_EQ(StateOf(c), ServerState::kLive);
  // Nothing was lent, so the drain completed at once.
  EXPECT_EQ(StateOf(b), ServerState::kDrained);
  ASSERT_TRUE(pool_->RemoveServer(a).ok());
  EXPECT_EQ(pool_->Servers().size(), 2u);
  auto h = pool_->Acquire();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*(*h)->ServerForKey("anything"), c);
  EXPECT_EQ(pool_->client_options().servers, std::vector<std::string>{c});
}

TEST_P(PoolTopologyTest, TimedEjectionEndsByItselfAndSharesCoverTheKeyspace) {
  const std::string b = servers_[1]->address();
  double total = 0;
  for (const PoolServer& s : pool_->Servers()) {
    EXPECT_GT(s.placement_share, 0.2) << s.address;  // ketama, 3 servers: about 1/3 each
    total += s.placement_share;
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
  ASSERT_TRUE(pool_->EjectServer(b, absl::Milliseconds(100), "maintenance").ok());
  bool seen = false;
  for (const PoolServer& s : pool_->Servers()) {
    if (s.address != b) continue;
    seen = true;
    EXPECT_EQ(s.state, ServerState::kEjected);
    EXPECT_EQ(s.reason, "maintenance");
    EXPECT_LT(s.ejected_until, absl::InfiniteFuture());
    EXPECT_EQ(s.placement_share, 0.0);
  }
  EXPECT_TRUE(seen);
  test_support::Eventually([&] { return StateOf(b) == ServerState::kLive; });
  EXPECT_EQ(StateOf(b), ServerState::kLive);
  EXPECT_EQ(pool_->counters().topology_changes, 2u);
}

INSTANTIATE_TEST_SUITE_P(All, PoolTopologyTest, ::testing::ValuesIn(testing::AllBackends()),
                         testing::BackendParamName);

INSTANTIATE_TEST_SUITE_P(All, PoolTest, ::testing::ValuesIn(testing::AllBackends()),
                         testing::BackendParamName);

}  // namespace
}  // namespace client
}  // namespace memkit
