#include "core/hash/placement.h"

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/hash/internal/continuum.h"
#include "core/hash/internal/md5.h"
#include "gtest/gtest.h"

namespace memkit {
namespace hash {
namespace {

using internal::RingLabel;
using internal::RingStyle;

ServerSpec Tcp(std::string host, uint16_t port = 11211, uint32_t weight = 1) {
  ServerSpec spec;
  spec.host = std::move(host);
  spec.port = port;
  spec.weight = weight;
  return spec;
}

ServerSpec Unix(std::string path, uint32_t weight = 1) {
  ServerSpec spec = Tcp(std::move(path), 0, weight);
  spec.unix_socket = true;
  return spec;
}

// PEERS.md's three servers.
std::vector<ServerSpec> PeersServers(uint32_t w0 = 1, uint32_t w1 = 1, uint32_t w2 = 1) {
  return {Tcp("10.0.0.1", 11211, w0), Tcp("10.0.0.2", 11211, w1), Tcp("10.0.0.3", 11212, w2)};
}

std::unique_ptr<Placement> MustCreate(std::vector<ServerSpec> servers,
                                      const PlacementOptions& options) {
  absl::StatusOr<std::unique_ptr<Placement>> p = Placement::Create(std::move(servers), options);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

std::unique_ptr<Placement> MustCreate(std::vector<ServerSpec> servers,
                                      const PlacementOptions& options,
                                      const std::vector<bool>& live) {
  absl::StatusOr<std::unique_ptr<Placement>> p =
      Placement::Create(std::move(servers), options, live);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

PlacementOptions With(Distribution d) {
  PlacementOptions options;
  options.distribution = d;
  return options;
}

std::map<uint32_t, size_t> PointsPerServer(const Placement& p) {
  std::map<uint32_t, size_t> count;
  for (const ContinuumPoint& point : p.Continuum()) ++count[point.server];
  return count;
}

TEST(RingLabelTest, PortElevenTwoElevenIsOmitted) {
  EXPECT_EQ(RingLabel(RingStyle::kKetama, "10.0.0.1", 11211, 0), "10.0.0.1-0");
  EXPECT_EQ(RingLabel(RingStyle::kKetama, "10.0.0.3", 11212, 39), "10.0.0.3:11212-39");
  EXPECT_EQ(RingLabel(RingStyle::kKetama, "::1", 22122, 1), "::1:22122-1");
  EXPECT_EQ(RingLabel(RingStyle::kKetama, "/tmp/mc.sock", 0, 3), "/tmp/mc.sock:0-3");
}

TEST(RingLabelTest, SpyAlwaysHasSlashAndPort) {
  EXPECT_EQ(RingLabel(RingStyle::kSpy, "10.0.0.1", 11211, 0), "/10.0.0.1:11211-0");
  EXPECT_EQ(RingLabel(RingStyle::kSpy, "/tmp/mc.sock", 0, 99), "//tmp/mc.sock:0-99");
}

TEST(WeightedPointsTest, LibketamaCounts) {
  EXPECT_EQ(internal::WeightedPoints(1, 3, 3), 160u);
  EXPECT_EQ(internal::WeightedPoints(1, 6, 3), 80u);
  EXPECT_EQ(internal::WeightedPoints(2, 6, 3), 160u);
  EXPECT_EQ(internal::WeightedPoints(3, 6, 3), 240u);
  // 1/3 * 40 * 1 = 13.33 -> 13 groups of 4.
  EXPECT_EQ(internal::WeightedPoints(1, 3, 1), 52u);
  // float32 matters: 29/60 * 40 * 3 is 58 exactly, but libmemcached's float
  // steps give 57.99999 and so 57 groups (double arithmetic would give 58).
  EXPECT_EQ(internal::WeightedPoints(29, 60, 3), 228u);
  EXPECT_EQ(internal::WeightedPoints(101, 120, 3), 400u);
  // A tiny share rounds to no points at all.
  EXPECT_EQ(internal::WeightedPoints(1, 1000, 2), 0u);
}

// PEERS.md: weighted ketama (pylibmc's ketama_weighted) over the three
// servers.
TEST(PlacementTest, WeightedVectorsFromPeers) {
  auto p = MustCreate(PeersServers(), With(Distribution::kKetamaWeighted));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->hash(), HashAlgorithm::kMd5);  // ketama_weighted's default.
  EXPECT_EQ(p->ServerFor("foo"), 1u);
  EXPECT_EQ(p->ServerFor("bar"), 1u);
  EXPECT_EQ(p->ServerFor("hello"), 1u);
  EXPECT_EQ(p->ServerFor("user:1234"), 2u);
  const std::map<uint32_t, size_t> counts = PointsPerServer(*p);
  EXPECT_EQ(counts.at(0), 160u);
  EXPECT_EQ(counts.at(1), 160u);
  EXPECT_EQ(counts.at(2), 160u);

  // md5("10.0.0.1-0") contributes its four words to server 0.
  std::set<uint32_t> server0;
  for (const ContinuumPoint& point : p->Continuum()) {
    if (point.server == 0) server0.insert(point.value);
  }
  for (uint32_t v : {0x2194783cu, 0x36d6a85bu, 0xf1edf592u, 0x40a9b8cfu}) {
    EXPECT_EQ(server0.count(v), 1u) << std::hex << v;
  }
}

TEST(PlacementTest, UnweightedVectorsFromPeers) {
  auto p = MustCreate(PeersServers(), With(Distribution::kKetama));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->hash(), HashAlgorithm::kDefault);  // KETAMA keeps one-at-a-time.
  EXPECT_EQ(p->ServerFor("foo"), 1u);
  EXPECT_EQ(p->ServerFor("bar"), 0u);
  EXPECT_EQ(p->ServerFor("hello"), 1u);
  EXPECT_EQ(p->ServerFor("user:1234"), 2u);
  const std::map<uint32_t, size_t> counts = PointsPerServer(*p);
  EXPECT_EQ(counts.at(0), 100u);
  EXPECT_EQ(counts.at(2), 100u);
  // Each point is the key hash of a label.
  std::set<uint32_t> server2;
  for (const ContinuumPoint& point : p->Continuum()) {
    if (point.server == 2) server2.insert(point.value);
  }
  EXPECT_EQ(server2.count(Hash(HashAlgorithm::kDefault, "10.0.0.3:11212-0")), 1u);
  EXPECT_EQ(server2.count(Hash(HashAlgorithm::kDefault, "10.0.0.3:11212-99")), 1u);
}

TEST(PlacementTest, WeightsOneTwoThreeGiveEightyToTwoForty) {
  auto p = MustCreate(PeersServers(1, 2, 3), With(Distribution::kKetamaWeighted));
  ASSERT_NE(p, nullptr);
  const std::map<uint32_t, size_t> counts = PointsPerServer(*p);
  EXPECT_EQ(counts.at(0), 80u);
  EXPECT_EQ(counts.at(1), 160u);
  EXPECT_EQ(counts.at(2), 240u);
}

TEST(PlacementTest, BorderlineWeightsUseFloatCounts) {
  auto p = MustCreate(PeersServers(29, 30, 1), With(Distribution::kKetamaWeighted));
  ASSERT_NE(p, nullptr);
  const std::map<uint32_t, size_t> counts = PointsPerServer(*p);
  EXPECT_EQ(counts.at(0), 228u);
  EXPECT_EQ(counts.at(1), 240u);
  EXPECT_EQ(counts.at(2), 8u);
}

TEST(PlacementTest, ContinuumIsSortedByValueThenServer) {
  // Two identical servers have identical points: ties go to the first.
  auto p = MustCreate({Tcp("a"), Tcp("a"), Tcp("b")}, With(Distribution::kKetama));
  ASSERT_NE(p, nullptr);
  const std::vector<ContinuumPoint> ring = p->Continuum();
  ASSERT_EQ(ring.size(), 300u);
  for (size_t i = 1; i < ring.size(); ++i) {
    ASSERT_TRUE(ring[i - 1].value < ring[i].value ||
                (ring[i - 1].value == ring[i].value && ring[i - 1].server <= ring[i].server));
  }
  for (int i = 0; i < 1000; ++i) EXPECT_NE(p->ServerFor(absl::StrCat("k", i)), 1u);
}

TEST(PlacementTest, LookupWrapsPastTheLastPoint) {
  auto p = MustCreate(PeersServers(), With(Distribution::kKetama));
  ASSERT_NE(p, nullptr);
  const std::vector<ContinuumPoint> ring = p->Continuum();
  EXPECT_EQ(p->ServerForHash(0xffffffffu), ring.front().server);
  EXPECT_EQ(p->ServerForHash(ring.back().value), ring.back().server);
  EXPECT_EQ(p->ServerForHash(ring.back().value + 1), ring.front().server);
  EXPECT_EQ(p->ServerForHash(ring[5].value), ring[5].server);
  EXPECT_EQ(p->ServerForHash(ring[5].value + 1), ring[6].server);
}

TEST(PlacementTest, ModulaIsHashModuloCount) {
  for (HashAlgorithm h : {HashAlgorithm::kDefault, HashAlgorithm::kCrc, HashAlgorithm::kMurmur3}) {
    PlacementOptions options = With(Distribution::kModula);
    options.hash = h;
    auto p = MustCreate(PeersServers(), options);
    ASSERT_NE(p, nullptr);
    for (const char* key : {"foo", "bar", "hello", "user:1234"}) {
      EXPECT_EQ(p->ServerFor(key), Hash(h, key) % 3) << key;
    }
  }
}

TEST(PlacementTest, SortHostsReturnsCallerIndexes) {
  // The same servers in two orders, sorted, place each key on the same server.
  std::vector<ServerSpec> forward = {Tcp("a", 11212), Tcp("a", 11211), Tcp("b"), Tcp("c", 1, 4)};
  std::vector<ServerSpec> backward(forward.rbegin(), forward.rend());
  for (Distribution d : {Distribution::kModula, Distribution::kKetama,
                         Distribution::kKetamaWeighted, Distribution::kKetamaSpy}) {
    PlacementOptions options = With(d);
    options.sort_hosts = true;
    auto f = MustCreate(forward, options);
    auto b = MustCreate(backward, options);
    ASSERT_NE(f, nullptr);
    ASSERT_NE(b, nullptr);
    for (int i = 0; i < 500; ++i) {
      const std::string key = absl::StrCat("key", i);
      EXPECT_EQ(forward[f->ServerFor(key)], backward[b->ServerFor(key)])
          << DistributionName(d) << " " << key;
    }
  }
}

TEST(PlacementTest, SortHostsOrdersModulaByHostThenPort) {
  // Sorted order: a:11211 (index 1), a:11212 (0), b (2). Modula picks the
  // (hash % 3)-th of those.
  std::vector<ServerSpec> servers = {Tcp("a", 11212), Tcp("a", 11211), Tcp("b")};
  PlacementOptions options = With(Distribution::kModula);
  options.sort_hosts = true;
  auto p = MustCreate(servers, options);
  ASSERT_NE(p, nullptr);
  const size_t sorted_to_caller[] = {1, 0, 2};
  for (int i = 0; i < 100; ++i) {
    const std::string key = absl::StrCat("k", i);
    EXPECT_EQ(p->ServerFor(key), sorted_to_caller[Hash(HashAlgorithm::kDefault, key) % 3]);
  }
}

TEST(PlacementTest, DeadServersAreSkippedAndIndexesStayFull) {
  std::vector<ServerSpec> servers;
  for (int i = 0; i < 6; ++i) servers.push_back(Tcp(absl::StrCat("10.0.0.", i + 1)));
  const std::vector<bool> live = {true, false, true, true, false, true};
  for (Distribution d : {Distribution::kModula, Distribution::kKetama,
                         Distribution::kKetamaWeighted, Distribution::kKetamaSpy,
                         Distribution::kRandom}) {
    auto all = MustCreate(servers, With(d));
    auto some = MustCreate(servers, With(d), live);
    ASSERT_NE(some, nullptr);
    EXPECT_EQ(some->live_count(), 4u);
    std::set<size_t> seen;
    for (int i = 0; i < 2000; ++i) {
      const std::string key = absl::StrCat("key:", i);
      const size_t s = some->ServerFor(key);
      ASSERT_LT(s, servers.size());
      EXPECT_TRUE(live[s]) << DistributionName(d) << " chose dead server " << s;
      seen.insert(s);
      // Unweighted rings lose only the dead servers' points: keys that were
      // on a live server stay there.
      if (d == Distribution::kKetama || d == Distribution::kKetamaSpy) {
        const size_t before = all->ServerFor(key);
        if (live[before]) {
          EXPECT_EQ(s, before) << key;
        }
      }
    }
    EXPECT_EQ(seen.size(), 4u) << DistributionName(d);
  }
}

TEST(PlacementTest, WeightedRingReweighsOverLiveServers) {
  // With one of three equal servers dead, each live one gets 40 * 2 groups.
  auto p = MustCreate(PeersServers(), With(Distribution::kKetamaWeighted), {true, false, true});
  ASSERT_NE(p, nullptr);
  const std::map<uint32_t, size_t> counts = PointsPerServer(*p);
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts.at(0), 160u);
  EXPECT_EQ(counts.at(2), 160u);
}

TEST(PlacementTest, NoLiveServerAnswersNoServer) {
  for (Distribution d : {Distribution::kModula, Distribution::kKetama, Distribution::kRandom}) {
    auto p = MustCreate(PeersServers(), With(d), {false, false, false});
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->ServerFor("foo"), Placement::kNoServer);
    EXPECT_EQ(p->ServerForHash(123), Placement::kNoServer);
  }
}

TEST(PlacementTest, OneServerAlwaysWins) {
  for (Distribution d : {Distribution::kModula, Distribution::kKetama,
                         Distribution::kKetamaWeighted, Distribution::kRandom}) {
    auto p = MustCreate({Tcp("only")}, With(d));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->ServerFor("foo"), 0u);
    EXPECT_EQ(p->ServerFor(""), 0u);
  }
  auto p = MustCreate(PeersServers(), With(Distribution::kModula), {false, true, false});
  EXPECT_EQ(p->ServerFor("anything"), 1u);
}

TEST(PlacementTest, RandomCoversEveryLiveServer) {
  auto p = MustCreate(PeersServers(), With(Distribution::kRandom));
  ASSERT_NE(p, nullptr);
  std::set<size_t> seen;
  for (int i = 0; i < 300; ++i) seen.insert(p->ServerFor("same key"));
  EXPECT_EQ(seen.size(), 3u);
}

TEST(PlacementTest, AutoWeightedFollowsLibmemcached) {
  PlacementOptions options = With(Distribution::kKetama);
  auto p = MustCreate(PeersServers(1, 2, 1), options);
  EXPECT_EQ(p->distribution(), Distribution::kKetamaWeighted);
  EXPECT_EQ(p->hash(), HashAlgorithm::kDefault);  // Weighting does not change the hash.

  options.distribution = Distribution::kKetamaSpy;
  p = MustCreate(PeersServers(1, 2, 1), options);
  EXPECT_EQ(p->distribution(), Distribution::kKetamaSpyWeighted);

  options.auto_weighted = false;
  p = MustCreate(PeersServers(1, 2, 1), options);
  EXPECT_EQ(p->distribution(), Distribution::kKetamaSpy);
  EXPECT_EQ(PointsPerServer(*p).at(1), 100u);

  options.auto_weighted = true;
  options.distribution = Distribution::kKetama;
  p = MustCreate(PeersServers(1, 1, 1), options);  // No weight above 1.
  EXPECT_EQ(p->distribution(), Distribution::kKetama);
}

TEST(PlacementTest, ExplicitHashOverridesDefault) {
  PlacementOptions options = With(Distribution::kKetamaWeighted);
  options.hash = HashAlgorithm::kFnv1a_32;
  auto p = MustCreate(PeersServers(), options);
  EXPECT_EQ(p->hash(), HashAlgorithm::kFnv1a_32);
  EXPECT_EQ(p->KeyHash("foo"), 0xa9f37ed7u);
}

TEST(PlacementTest, NormalisesPortZeroAndWeightZero) {
  auto p = MustCreate({Tcp("a", 0, 0), Unix("/tmp/mc.sock", 0)}, With(Distribution::kKetama));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->servers()[0].port, 11211);
  EXPECT_EQ(p->servers()[0].weight, 1u);
  EXPECT_EQ(p->servers()[1].port, 0);  // Sockets keep port 0, as libmemcached does.
  EXPECT_EQ(p->distribution(), Distribution::kKetama);
}

TEST(PlacementTest, UnixSocketPointsUseItsPortZeroLabel) {
  auto p = MustCreate({Unix("/tmp/mc.sock"), Tcp("a")}, With(Distribution::kKetama));
  ASSERT_NE(p, nullptr);
  std::set<uint32_t> server0;
  for (const ContinuumPoint& point : p->Continuum()) {
    if (point.server == 0) server0.insert(point.value);
  }
  EXPECT_EQ(server0.count(Hash(HashAlgorithm::kDefault, "/tmp/mc.sock:0-0")), 1u);
}

void ExpectCreateFails(std::vector<ServerSpec> servers, const PlacementOptions& options,
                       absl::string_view fragment) {
  absl::StatusOr<std::unique_ptr<Placement>> p = Placement::Create(std::move(servers), options);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find(std::string(fragment)), absl::string_view::npos)
      << p.status();
}

TEST(PlacementTest, CreateRejectsBadInput) {
  ExpectCreateFails({}, PlacementOptions(), "at least one server");
  ExpectCreateFails({Tcp("")}, PlacementOptions(), "empty host");
  ExpectCreateFails({Tcp(std::string("a\0b", 3))}, PlacementOptions(), "NUL");
  ExpectCreateFails({Tcp(std::string(1025, 'h'))}, PlacementOptions(), "longer than");
  PlacementOptions hsieh;
  hsieh.hash = HashAlgorithm::kHsieh;
  ExpectCreateFails(PeersServers(), hsieh, "hsieh");
  PlacementOptions bad_enum;
  bad_enum.distribution = static_cast<Distribution>(42);
  ExpectCreateFails(PeersServers(), bad_enum, "distribution");
  PlacementOptions bad_hash;
  bad_hash.hash = static_cast<HashAlgorithm>(42);
  ExpectCreateFails(PeersServers(), bad_hash, "hash");
  ExpectCreateFails(std::vector<ServerSpec>(Placement::kMaxServers + 1, Tcp("a")),
                    PlacementOptions(), "at most");

  absl::StatusOr<std::unique_ptr<Placement>> p =
      Placement::Create(PeersServers(), PlacementOptions(), {true, true});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("live mask"), absl::string_view::npos);
}

TEST(PlacementTest, DistributionNames) {
  for (Distribution d : {Distribution::kModula, Distribution::kKetama,
                         Distribution::kKetamaWeighted, Distribution::kKetamaSpy,
                         Distribution::kKetamaSpyWeighted, Distribution::kRandom}) {
    EXPECT_EQ(*ParseDistribution(DistributionName(d)), d);
  }
  EXPECT_EQ(*ParseDistribution("consistent"), Distribution::kKetama);
  EXPECT_EQ(*ParseDistribution("consistent ketama"), Distribution::kKetama);
  EXPECT_EQ(*ParseDistribution("Consistent-Weighted"), Distribution::kKetamaWeighted);
  EXPECT_EQ(*ParseDistribution("consistent ketama spy"), Distribution::kKetamaSpy);
  absl::StatusOr<Distribution> bad = ParseDistribution("virtual bucket");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PlacementTest, ConcurrentLookupsAgree) {
  auto p = MustCreate(PeersServers(1, 2, 3), With(Distribution::kKetamaWeighted));
  ASSERT_NE(p, nullptr);
  std::vector<size_t> expected;
  for (int i = 0; i < 5000; ++i) expected.push_back(p->ServerFor(absl::StrCat("k", i)));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        if (p->ServerFor(absl::StrCat("k", i)) != expected[i]) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace hash
}  // namespace memkit
