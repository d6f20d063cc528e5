// The Python clients' placements' own rules: names, what a dead server does
// to each, and the tie and give-up cases.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/hash/hash.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "gtest/gtest.h"

namespace memkit {
namespace hash {
namespace {

std::vector<ServerSpec> Servers(int n) {
  std::vector<ServerSpec> servers;
  for (int i = 0; i < n; ++i) {
    ServerSpec s;
    s.host = absl::StrCat("10.0.0.", i + 1);
    s.port = 11211;
    servers.push_back(s);
  }
  return servers;
}

std::unique_ptr<Placement> Make(Distribution d, int n, std::vector<bool> live = {}) {
  PlacementOptions options;
  options.distribution = d;
  if (live.empty()) live.assign(n, true);
  auto p = Placement::Create(Servers(n), options, live);
  EXPECT_TRUE(p.ok()) << p.status();
  return *std::move(p);
}

TEST(PythonPlacementTest, NamesAndAliases) {
  EXPECT_EQ(*ParseDistribution("rendezvous"), Distribution::kRendezvous);
  EXPECT_EQ(*ParseDistribution("pymemcache"), Distribution::kRendezvous);
  EXPECT_EQ(*ParseDistribution("python-memcached"), Distribution::kPythonMemcached);
  EXPECT_EQ(*ParseDistribution("python_memcache"), Distribution::kPythonMemcached);
  EXPECT_EQ(*ParseDistribution("memcache"), Distribution::kPythonMemcached);
  EXPECT_EQ(DistributionName(Distribution::kRendezvous), "rendezvous");
  EXPECT_EQ(DistributionName(Distribution::kPythonMemcached), "python_memcached");
}

TEST(PythonPlacementTest, Crc32IsTheStandardOne) {
  // binascii.crc32(b"foo") == 0x8c736521; b"123456789" is CRC-32's check value.
  EXPECT_EQ(Crc32("foo"), 0x8c736521u);
  EXPECT_EQ(Crc32("123456789"), 0xcbf43926u);
  // libmemcached's CRC hash keeps bits 16..30 of it (PEERS.md: foo -> 0xc73).
  EXPECT_EQ(Hash(HashAlgorithm::kCrc, "foo"), 0xc73u);
}

TEST(PythonPlacementTest, RendezvousDeadServerMovesOnlyItsKeys) {
  auto all = Make(Distribution::kRendezvous, 4);
  auto without_2 = Make(Distribution::kRendezvous, 4, {true, true, false, true});
  int moved = 0, on_2 = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = absl::StrCat("k", i);
    const size_t before = all->ServerFor(key);
    const size_t after = without_2->ServerFor(key);
    ASSERT_NE(after, 2u);
    if (before == 2) {
      ++on_2;
    } else {
      // Highest-random-weight: removing a server never moves other keys.
      ASSERT_EQ(before, after) << key;
    }
    moved += before != after;
  }
  EXPECT_EQ(moved, on_2);
  EXPECT_NEAR(on_2, 5000, 500);
  // Rendezvous scores servers with the key: no key hash to place by.
  EXPECT_EQ(all->ServerForHash(all->KeyHash("k1")), Placement::kNoServer);
}

TEST(PythonPlacementTest, PythonMemcachedRehashesPastDeadServersThenGivesUp) {
  auto all = Make(Distribution::kPythonMemcached, 3);
  auto one_dead = Make(Distribution::kPythonMemcached, 3, {true, false, true});
  auto all_dead = Make(Distribution::kPythonMemcached, 3, {false, false, false});
  int rehashed = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string key = absl::StrCat("k", i);
    const size_t before = all->ServerFor(key);
    const size_t after = one_dead->ServerFor(key);
    if (before != 1) {
      ASSERT_EQ(before, after) << key;  // its own bucket is alive
    }
    if (before == 1) {
      ++rehashed;
      EXPECT_NE(after, 1u);
    }
    EXPECT_EQ(all_dead->ServerFor(key), Placement::kNoServer);
  }
  EXPECT_GT(rehashed, 1000);
  // The key hash is python-memcached's: 15 bits of the CRC-32, never 0.
  EXPECT_EQ(all->KeyHash("foo"), (0x8c736521u >> 16) & 0x7fff);
}

TEST(PythonPlacementTest, PythonMemcachedWeightsRepeatBuckets) {
  std::vector<ServerSpec> servers = Servers(2);
  servers[0].weight = 3;
  PlacementOptions options;
  options.distribution = Distribution::kPythonMemcached;
  auto p = Placement::Create(servers, options);
  ASSERT_TRUE(p.ok());
  int first = 0;
  for (int i = 0; i < 40000; ++i) first += (*p)->ServerFor(absl::StrCat("key", i)) == 0;
  EXPECT_NEAR(first, 30000, 1200);  // 3 of the 4 buckets
}

}  // namespace
}  // namespace hash
}  // namespace memkit
