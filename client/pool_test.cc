// ClientPool and ThreadMappedPool with many threads against a real server,
// on each backend (memcached and memkit-server, client/testing/backend.h).
// Run under --config=tsan as well.

#include "client/pool.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/testing/backend.h"
#include "client/testing/memcached_process.h"
#include "gtest/gtest.h"

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

INSTANTIATE_TEST_SUITE_P(All, PoolTest, ::testing::ValuesIn(testing::AllBackends()),
                         testing::BackendParamName);

}  // namespace
}  // namespace client
}  // namespace memkit
