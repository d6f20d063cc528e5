// Pool's runtime changes in-process (no servers needed: nothing is sent):
// placements after add/remove/reweight/eject/restore equal libketama's over
// the live members; worker threads routing while another thread changes the
// membership always get a live member of the placement they hold (a TSan
// target: the request path against the admin path); DrainServer completes
// once every worker has taken the new placement.

#include "proxy/pool.h"
#include "proxy/worker_pool.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "core/net/event_loop_thread.h"
#include "core/sync/mutex.h"
#include "gtest/gtest.h"

namespace memkit {
namespace proxy {
namespace {

// A one-shot signal TSan can see (Debian's abseil Notification it cannot).
class Done {
 public:
  void Notify() {
    MutexLock lock(&mu_);
    done_ = true;
    cv_.SignalAll();
  }
  void WaitForNotification() {
    MutexLock lock(&mu_);
    while (!done_) cv_.Wait(&mu_);
  }

 private:
  Mutex mu_;
  CondVar cv_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

PoolOptions Options(int n) {
  PoolOptions o;
  o.name = "p";
  for (int i = 0; i < n; ++i) {
    hash::ServerSpec s;
    s.host = "127.0.0.1";
    s.port = static_cast<uint16_t>(20000 + i);
    o.servers.push_back(s);
    o.addresses.push_back(net::Address::IPv4Loopback(s.port));
  }
  o.placement.distribution = hash::Distribution::kKetamaWeighted;
  return o;
}

// Where libketama puts `key` over `ports` (with weights).
std::string Expected(const std::vector<std::pair<int, uint32_t>>& ports, const std::string& key) {
  std::vector<hash::ServerSpec> specs;
  for (const auto& [port, w] : ports) {
    hash::ServerSpec s;
    s.host = "127.0.0.1";
    s.port = static_cast<uint16_t>(port);
    s.weight = w;
    specs.push_back(s);
  }
  hash::PlacementOptions po;
  po.distribution = hash::Distribution::kKetamaWeighted;
  auto p = hash::Placement::Create(specs, po);
  return absl::StrCat(specs[(*p)->ServerFor(key)].port);
}

std::string Actual(const Pool& pool, const std::string& key) {
  auto p = pool.placement();
  return absl::StrCat(p->servers()[p->ServerFor(key)].port);
}

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto group = net::EventLoopGroup::Start(2, {});
    ASSERT_TRUE(group.ok()) << group.status();
    group_ = std::move(*group);
  }
  void TearDown() override {
    // WorkerPools belong to their loops: destroyed there, then the loops stop.
    for (size_t i = 0; i < workers_.size(); ++i) {
      Done done;
      group_->loop(i)->Post([&, i] {
        workers_[i].reset();
        done.Notify();
      });
      done.WaitForNotification();
    }
    group_->Stop();
    pool_.reset();  // after its workers and its probe loop
  }
  Pool* MakePool(int n) {
    auto pool = Pool::Create(Options(n), group_->loop(0));
    EXPECT_TRUE(pool.ok()) << pool.status();
    if (!pool.ok()) return nullptr;
    pool_ = std::move(*pool);
    return pool_.get();
  }
  void MakeWorkers(Pool* pool) {
    workers_.resize(group_->size());
    for (size_t i = 0; i < group_->size(); ++i) {
      Done made;
      net::EventLoop* loop = group_->loop(i);
      loop->Post([&, i, loop] {
        workers_[i] = std::make_unique<WorkerPool>(loop, pool);
        made.Notify();
      });
      made.WaitForNotification();
    }
  }

  std::unique_ptr<net::EventLoopGroup> group_;
  std::vector<std::unique_ptr<WorkerPool>> workers_;
  std::unique_ptr<Pool> pool_;
};

TEST_F(PoolTest, ChangesPlaceAsLibketamaOverTheLiveMembers) {
  Pool* pool = MakePool(3);
  ASSERT_NE(pool, nullptr);
  Pool& p = *pool;
  const std::vector<std::string> keys = {"foo", "bar", "hello", "user:1234", "a", "b", "c", "d"};
  auto check = [&](const std::vector<std::pair<int, uint32_t>>& live) {
    for (const std::string& k : keys) EXPECT_EQ(Actual(p, k), Expected(live, k)) << k;
  };
  check({{20000, 1}, {20001, 1}, {20002, 1}});
  ASSERT_TRUE(p.EjectServer("127.0.0.1:20001", absl::ZeroDuration(), "x").ok());
  check({{20000, 1}, {20002, 1}});
  EXPECT_TRUE(p.is_down(1));
  ASSERT_TRUE(p.RestoreServer("127.0.0.1:20001").ok());
  ASSERT_TRUE(p.AddServer("127.0.0.1:20003", 2).ok());
  check({{20000, 1}, {20001, 1}, {20002, 1}, {20003, 2}});
  EXPECT_EQ(p.AddServer("127.0.0.1:20003", 1).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(p.SetServerWeight("127.0.0.1:20000", 3).ok());
  check({{20000, 3}, {20001, 1}, {20002, 1}, {20003, 2}});
  ASSERT_TRUE(p.RemoveServer("127.0.0.1:20002").ok());
  check({{20000, 3}, {20001, 1}, {20003, 2}});
  EXPECT_EQ(p.Members().size(), 3u);
  EXPECT_EQ(p.RemoveServer("127.0.0.1:20002").code(), absl::StatusCode::kNotFound);
  // Removed then added back: its old slot, in placement again.
  ASSERT_TRUE(p.AddServer("127.0.0.1:20002", 0).ok());
  EXPECT_EQ(p.size(), 4u);
  check({{20000, 3}, {20001, 1}, {20002, 1}, {20003, 2}});
  double share = 0;
  for (const MemberInfo& m : p.Members()) share += m.placement_share;
  EXPECT_NEAR(share, 1.0, 1e-9);
  EXPECT_EQ(p.SetServerWeight("127.0.0.1:20000", 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(p.AddServer("not an address", 1).ok());
}

TEST_F(PoolTest, WorkersRouteToLiveMembersWhileMembershipChanges) {
  Pool* p = MakePool(4);
  ASSERT_NE(p, nullptr);
  MakeWorkers(p);
  std::atomic<bool> stop{false};
  std::atomic<int> routed{0}, wrong{0};
  std::vector<std::unique_ptr<Done>> finished;
  for (size_t w = 0; w < workers_.size(); ++w) {
    finished.push_back(std::make_unique<Done>());
    group_->loop(w)->Post([&, w] {
      WorkerPool* worker = workers_[w].get();
      for (int i = 0; !stop.load(); ++i) {
        const hash::Placement& placement = worker->placement();
        const size_t s = placement.ServerFor(absl::StrCat("k", i));
        if (s == hash::Placement::kNoServer || !placement.is_live(s)) {
          wrong.fetch_add(1);
          continue;
        }
        // What a request does with the member: its connection and stats.
        (void)worker->Conn(s, static_cast<uint64_t>(i), i % 2 == 0);
        worker->server_stats(s).requests.Increment();
        routed.fetch_add(1);
      }
      finished[w]->Notify();
    });
  }
  for (int round = 0; round < 40; ++round) {
    const std::string extra = absl::StrCat("127.0.0.1:", 21000 + round % 5);
    (void)p->AddServer(extra, 1 + round % 3);
    (void)p->EjectServer("127.0.0.1:20001", absl::ZeroDuration(), "");
    (void)p->SetServerWeight("127.0.0.1:20002", 1 + round % 4);
    std::string stats;
    p->AppendStatLines(&stats);
    (void)p->Members();
    (void)p->RestoreServer("127.0.0.1:20001");
    (void)p->RemoveServer(extra);
  }
  stop.store(true);
  for (auto& f : finished) f->WaitForNotification();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(routed.load(), 0);
  std::string stats;
  p->AppendStatLines(&stats);
  EXPECT_NE(stats.find("STAT pool:p:servers 4\r\n"), std::string::npos) << stats;
}

TEST_F(PoolTest, DrainWaitsForEveryWorkerToTakeTheNewPlacement) {
  Pool* p = MakePool(3);
  ASSERT_NE(p, nullptr);
  MakeWorkers(p);
  auto left = p->DrainServer("127.0.0.1:20000", absl::Seconds(10));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(*left, 0);
  EXPECT_EQ(p->Members()[0].state, MemberState::kDrained);
  EXPECT_TRUE(p->is_down(0));
  // In flight: one request counted on a worker keeps a drain from finishing.
  ASSERT_TRUE(p->RestoreServer("127.0.0.1:20000").ok());
  Done counted;
  group_->loop(1)->Post([&] {
    workers_[1]->server_stats(0).in_flight.Add(1);
    counted.Notify();
  });
  counted.WaitForNotification();
  left = p->DrainServer("127.0.0.1:20000", absl::Milliseconds(100));
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 1);
  EXPECT_EQ(p->Members()[0].state, MemberState::kDraining);
  Done answered;
  group_->loop(1)->Post([&] {
    workers_[1]->server_stats(0).in_flight.Add(-1);
    answered.Notify();
  });
  answered.WaitForNotification();
  left = p->DrainServer("127.0.0.1:20000", absl::Seconds(10));
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0);
  EXPECT_EQ(p->Members()[0].state, MemberState::kDrained);
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
