// The routes' combining rules, with fake children answering at once:
// failover order, bounds and multi-get merging; replicated worst-wins,
// first-answer and read policy; prefix choice and split; shadow counting;
// Severity; the warm-up's meta reply parser.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "core/net/event_loop.h"
#include "gtest/gtest.h"
#include "proxy/route.h"
#include "proxy/route_failover.h"
#include "proxy/route_prefix.h"
#include "proxy/route_replicated.h"
#include "proxy/route_shadow.h"
#include "proxy/route_warmup.h"

namespace memkit {
namespace proxy {
namespace {

// Answers every request at once with answer(request); remembers requests.
class FakeRoute final : public Route {
 public:
  explicit FakeRoute(std::function<RouteReply(const RouteRequest&)> answer)
      : answer_(std::move(answer)) {}
  void Send(const RouteCall&, std::shared_ptr<const RouteRequest> request,
            RouteDone done) const override {
    seen_->push_back(*request);
    done(answer_(*request));
  }
  std::shared_ptr<std::vector<RouteRequest>> seen() const { return seen_; }

 private:
  std::function<RouteReply(const RouteRequest&)> answer_;
  std::shared_ptr<std::vector<RouteRequest>> seen_ = std::make_shared<std::vector<RouteRequest>>();
};

RouteReply Bytes(const std::string& bytes, bool miss = false) {
  RouteReply r;
  r.bytes = bytes;
  r.miss = miss;
  return r;
}
RouteReply Failed() {
  RouteReply r;
  r.status = absl::UnavailableError("down");
  return r;
}

// A kGet answer: the value "VALUE k 0 1\r\nx\r\n" for keys in `hits`.
std::function<RouteReply(const RouteRequest&)> Has(std::vector<std::string> hits) {
  return [hits](const RouteRequest& r) {
    RouteReply reply;
    for (const std::string& k : r.keys) {
      bool hit = false;
      for (const std::string& h : hits) hit |= h == k;
      reply.values.push_back(hit ? "VALUE " + k + " 0 1\r\nx\r\n" : "");
    }
    return reply;
  };
}

std::shared_ptr<const RouteRequest> Keyed(const std::string& key, bool retrieval) {
  auto r = std::make_shared<RouteRequest>();
  r->key = key;
  r->retrieval = retrieval;
  return r;
}
std::shared_ptr<const RouteRequest> Get(std::vector<std::string> keys) {
  auto r = std::make_shared<RouteRequest>();
  r->kind = RouteRequest::Kind::kGet;
  r->keys = std::move(keys);
  return r;
}

class RouteUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = net::EventLoop::Create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    call_.loop = loop_.get();
  }
  // Sends through `route`; the reply (every fake answers at once).
  RouteReply Run(const Route& route, std::shared_ptr<const RouteRequest> request) {
    RouteReply out;
    bool answered = false;
    route.Send(call_, std::move(request), [&](RouteReply r) {
      out = std::move(r);
      answered = true;
    });
    EXPECT_TRUE(answered);
    return out;
  }
  // Takes ownership of a fake, keeping a view for the test.
  std::unique_ptr<Route> Child(std::function<RouteReply(const RouteRequest&)> answer,
                               std::shared_ptr<std::vector<RouteRequest>>* seen = nullptr) {
    auto f = std::make_unique<FakeRoute>(std::move(answer));
    if (seen != nullptr) *seen = f->seen();
    return f;
  }

  std::unique_ptr<net::EventLoop> loop_;
  RouteCall call_;
};

TEST(SeverityTest, WorstFirst) {
  RouteRequest set;
  EXPECT_EQ(Severity(set, Failed()), 3);
  RouteReply error = Bytes("SERVER_ERROR out of memory\r\n");
  error.text_error = true;
  EXPECT_EQ(Severity(set, error), 2);
  EXPECT_EQ(Severity(set, Bytes("NOT_STORED\r\n")), 1);
  EXPECT_EQ(Severity(set, Bytes("STORED\r\n")), 0);
  RouteRequest binary;
  binary.binary = true;
  RouteReply exists;
  exists.binary_status = 0x0002;
  EXPECT_EQ(Severity(binary, exists), 1);
  exists.binary_status = 0x0086;
  EXPECT_EQ(Severity(binary, exists), 2);
  EXPECT_TRUE(IsFailure(exists));
}

TEST_F(RouteUnitTest, FailoverTriesTheNextOnFailureWithinTheBound) {
  std::vector<std::unique_ptr<Route>> c;
  c.push_back(Child([](const RouteRequest&) { return Failed(); }));
  c.push_back(Child([](const RouteRequest&) { return Bytes("STORED\r\n"); }));
  FailoverRoute failover(std::move(c), false, 0);
  EXPECT_EQ(Run(failover, Keyed("k", false)).bytes, "STORED\r\n");

  std::vector<std::unique_ptr<Route>> d;
  d.push_back(Child([](const RouteRequest&) { return Failed(); }));
  std::shared_ptr<std::vector<RouteRequest>> second;
  d.push_back(Child([](const RouteRequest&) { return Bytes("STORED\r\n"); }, &second));
  FailoverRoute bounded(std::move(d), false, 1);
  EXPECT_FALSE(Run(bounded, Keyed("k", false)).status.ok());
  EXPECT_TRUE(second->empty());
}

TEST_F(RouteUnitTest, FailoverOnMissKeepsTheMissWhenTheNextFails) {
  std::vector<std::unique_ptr<Route>> c;
  c.push_back(Child([](const RouteRequest&) { return Bytes("EN\r\n", true); }));
  c.push_back(Child([](const RouteRequest&) { return Failed(); }));
  FailoverRoute failover(std::move(c), true, 0);
  const RouteReply r = Run(failover, Keyed("k", true));
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.bytes, "EN\r\n");
}

TEST_F(RouteUnitTest, FailoverMultiGetAsksTheNextOnlyForMisses) {
  std::shared_ptr<std::vector<RouteRequest>> second;
  std::vector<std::unique_ptr<Route>> c;
  c.push_back(Child(Has({"k1"})));
  c.push_back(Child(Has({"k3"}), &second));
  FailoverRoute failover(std::move(c), true, 0);
  const RouteReply r = Run(failover, Get({"k1", "k2", "k3"}));
  ASSERT_EQ(r.values.size(), 3u);
  EXPECT_EQ(r.values[0], "VALUE k1 0 1\r\nx\r\n");
  EXPECT_EQ(r.values[1], "");
  EXPECT_EQ(r.values[2], "VALUE k3 0 1\r\nx\r\n");
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].keys, (std::vector<std::string>{"k2", "k3"}));
}

TEST_F(RouteUnitTest, ReplicatedSyncWorstWinsAsyncFirstReadsOne) {
  auto children = [&](std::vector<std::shared_ptr<std::vector<RouteRequest>>>* seen) {
    std::vector<std::unique_ptr<Route>> c;
    seen->resize(3);
    c.push_back(Child([](const RouteRequest&) { return Bytes("STORED\r\n"); }, &(*seen)[0]));
    c.push_back(Child([](const RouteRequest&) { return Bytes("NOT_STORED\r\n"); }, &(*seen)[1]));
    c.push_back(Child([](const RouteRequest&) { return Bytes("STORED\r\n"); }, &(*seen)[2]));
    return c;
  };
  std::vector<std::shared_ptr<std::vector<RouteRequest>>> seen;
  ReplicatedRoute sync(children(&seen), ReplicatedRoute::Mode::kAllSync,
                       ReplicatedRoute::ReadPolicy::kFirst);
  EXPECT_EQ(Run(sync, Keyed("k", false)).bytes, "NOT_STORED\r\n");
  for (const auto& s : seen) EXPECT_EQ(s->size(), 1u);
  EXPECT_EQ(Run(sync, Keyed("k", true)).bytes, "STORED\r\n");
  EXPECT_EQ(seen[0]->size(), 2u);
  EXPECT_EQ(seen[1]->size(), 1u);  // reads: the first child only

  ReplicatedRoute async(children(&seen), ReplicatedRoute::Mode::kAllAsync,
                        ReplicatedRoute::ReadPolicy::kFirst);
  EXPECT_EQ(Run(async, Keyed("k", false)).bytes, "STORED\r\n");
  for (const auto& s : seen) EXPECT_EQ(s->size(), 1u);
}

TEST_F(RouteUnitTest, PrefixLongestMatchAndSplitGet) {
  std::shared_ptr<std::vector<RouteRequest>> user, vip, other;
  std::vector<std::pair<std::string, std::unique_ptr<Route>>> routes;
  routes.emplace_back("u:", Child(Has({"u:1"}), &user));
  routes.emplace_back("u:v:", Child(Has({"u:v:1"}), &vip));
  PrefixRoute prefix(std::move(routes), Child(Has({"o"}), &other));
  const RouteReply r = Run(prefix, Get({"o", "u:v:1", "u:1", "u:2"}));
  ASSERT_EQ(r.values.size(), 4u);
  EXPECT_FALSE(r.values[0].empty());
  EXPECT_FALSE(r.values[1].empty());
  EXPECT_FALSE(r.values[2].empty());
  EXPECT_TRUE(r.values[3].empty());
  ASSERT_EQ(user->size(), 1u);
  EXPECT_EQ((*user)[0].keys, (std::vector<std::string>{"u:1", "u:2"}));
  ASSERT_EQ(vip->size(), 1u);
  EXPECT_EQ((*vip)[0].keys, (std::vector<std::string>{"u:v:1"}));
  Run(prefix, Keyed("u:v:2", false));
  EXPECT_EQ(vip->size(), 2u);
}

TEST_F(RouteUnitTest, ShadowCopiesAFractionAndCountsDifferences) {
  std::shared_ptr<std::vector<RouteRequest>> shadow_seen;
  ShadowRoute never(Child([](const RouteRequest&) { return Bytes("STORED\r\n"); }),
                    Child([](const RouteRequest&) { return Bytes("STORED\r\n"); }, &shadow_seen),
                    0, "");
  EXPECT_EQ(Run(never, Keyed("k", false)).bytes, "STORED\r\n");
  EXPECT_TRUE(shadow_seen->empty());

  ShadowRoute always(Child([](const RouteRequest& r) { return Bytes(r.key); }),
                     Child([](const RouteRequest&) { return Bytes("same"); }), 1, "t");
  EXPECT_EQ(Run(always, Keyed("same", false)).bytes, "same");
  EXPECT_EQ(Run(always, Keyed("other", false)).bytes, "other");
  std::string stats;
  always.AppendStatLines(&stats);
  EXPECT_TRUE(absl::StrContains(stats, "STAT shadow:t:requests 2\r\n")) << stats;
  EXPECT_TRUE(absl::StrContains(stats, "STAT shadow:t:differing 1\r\n")) << stats;
}

TEST(ParseMetaValueTest, ValueFlagsAndTtl) {
  std::string data;
  uint32_t flags = 0;
  int64_t ttl = 0;
  ASSERT_TRUE(ParseMetaValue("VA 5 f7 t-1\r\nhello\r\n", &data, &flags, &ttl));
  EXPECT_EQ(data, "hello");
  EXPECT_EQ(flags, 7u);
  EXPECT_EQ(ttl, -1);
  ASSERT_TRUE(ParseMetaValue("VA 2 t90 f0\r\nhi\r\n", &data, &flags, &ttl));
  EXPECT_EQ(ttl, 90);
  EXPECT_FALSE(ParseMetaValue("EN\r\n", &data, &flags, &ttl));
  EXPECT_FALSE(ParseMetaValue("VA 9 f0\r\nshort\r\n", &data, &flags, &ttl));
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
