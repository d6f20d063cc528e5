// Meta-protocol extras against a real server, on each backend (memcached and
// memkit-server, client/testing/backend.h): opaque-pipelined requests survive
// late replies to quiet ones, leases (win / stale / recache flags) and
// GetOrCompute's dogpile protection.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "client/testing/backend.h"
#include "client/testing/memcached_process.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace client {
namespace {

using testing::Backend;
using testing::MemcachedProcess;

// One server per backend for the whole suite, flushed before each test.
class MetaTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void TearDownTestSuite() {
    for (auto& p : *servers_) p.reset();
  }

  void SetUp() override {
    const Backend backend = GetParam();
    if (testing::SystemServerMissing(backend)) {
      GTEST_SKIP() << "no /usr/bin/memcached";
    }
    std::unique_ptr<MemcachedProcess>& server = (*servers_)[static_cast<int>(backend)];
    if (server == nullptr) {
      auto mo = testing::BackendOptions(backend);
      ASSERT_TRUE(mo.ok()) << mo.status();
      auto p = MemcachedProcess::Start(*mo);
      ASSERT_TRUE(p.ok()) << p.status();
      server = std::move(*p);
    }
    options_.servers = {server->address()};
    options_.protocol = Protocol::kMeta;
    auto c = Client::Create(options_);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
    ASSERT_TRUE(client_->FlushAll().ok());
  }

  // Indexed by Backend.
  static std::vector<std::unique_ptr<MemcachedProcess>>* servers_;
  ClientOptions options_;
  std::unique_ptr<Client> client_;
};

std::vector<std::unique_ptr<MemcachedProcess>>* MetaTest::servers_ =
    new std::vector<std::unique_ptr<MemcachedProcess>>(testing::AllBackends().size());

TEST_P(MetaTest, LeaseWinnerThenWaitersThenValue) {
  LeaseOptions lo;
  lo.vivify_ttl = 30;
  auto first = client_->LeaseGet("lease", lo);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->won);
  EXPECT_FALSE(first->item.has_value());
  auto second = client_->LeaseGet("lease", lo);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->won);
  EXPECT_TRUE(second->win_sent);
  EXPECT_FALSE(second->item.has_value());  // only the placeholder exists
  ASSERT_TRUE(client_->Set("lease", "computed").ok());
  auto third = client_->LeaseGet("lease", lo);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->won);
  ASSERT_TRUE(third->item.has_value());
  EXPECT_EQ(third->item->value, "computed");
}

TEST_P(MetaTest, RecacheHandsOutOneWinWhileServingTheValue) {
  StoreOptions so;
  so.exptime = 5;
  ASSERT_TRUE(client_->Set("hot", "old", so).ok());
  LeaseOptions lo;
  lo.recache_ttl = 30;  // remaining TTL (5 s) is below: recache
  auto a = client_->LeaseGet("hot", lo);
  auto b = client_->LeaseGet("hot", lo);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->won);
  EXPECT_FALSE(b->won);
  ASSERT_TRUE(a->item.has_value() && b->item.has_value());
  EXPECT_EQ(b->item->value, "old");  // the others keep being served
}

TEST_P(MetaTest, GetOrComputeRunsComputeOnceAcrossClients) {
  constexpr int kClients = 6;
  std::atomic<int> computed{0};
  std::atomic<int> errors{0};
  std::atomic<int> asking{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      auto c = Client::Create(options_);
      if (!c.ok()) {
        ++errors;
        return;
      }
      ComputeOptions co;
      co.wait = absl::Seconds(5);
      ++asking;
      auto v = (*c)->GetOrCompute(
          "dogpile",
          [&]() -> absl::StatusOr<std::string> {
            ++computed;
            // An expensive computation: the winner holds the lease until
            // every client is asking for the key.
            if (!test_support::Eventually([&] { return asking.load() == kClients; })) ++errors;
            return std::string("result");
          },
          co);
      if (!v.ok() || *v != "result") ++errors;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(computed.load(), 1);
}

TEST_P(MetaTest, LeasesNeedMeta) {
  ClientOptions text = options_;
  text.protocol = Protocol::kText;
  auto c = *Client::Create(text);
  EXPECT_TRUE(absl::IsUnimplemented(c->LeaseGet("k").status()));
}

TEST_P(MetaTest, LateRepliesToQuietRequestsAreSkippedByOpaque) {
  // noreply requests go quiet (q); failures still answer later, carrying an
  // opaque no batch owns. The next requests must not take them for theirs.
  StoreOptions quiet;
  quiet.noreply = true;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client_->Replace(absl::StrCat("absent", i), "x", quiet).ok());  // NS, late
  }
  ASSERT_TRUE(client_->Set("real", "value").ok());
  auto item = client_->Get("real");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->value, "value");
  ItemMap found;
  ASSERT_TRUE(client_->GetMulti({"real", "absent1"}, &found).ok());
  EXPECT_EQ(found.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(All, MetaTest, ::testing::ValuesIn(testing::AllBackends()),
                         testing::BackendParamName);

}  // namespace
}  // namespace client
}  // namespace memkit
