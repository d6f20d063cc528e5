// Checks memkit's hashes and placement against the system libmemcached 1.1.4,
// which is the reference: memcached_generate_hash_value() for the hashes and
// memcached_generate_hash() (the server index, computed without connecting)
// for placement.
//
// Random keys (lengths 1..250, every byte value) are placed over many random
// server lists (1..20 servers: IPv4, host names, IPv6 literals, unix sockets,
// ports 11211 and others, port 0, duplicates, small and huge weights) for every
// usable hash x distribution, with sort-hosts on for half of the lists. Each
// libmemcached client is configured the way a real program would reach that
// state (see Configure()), since libmemcached's result depends on the order of
// its calls. Live subsets are checked through libmemcached's auto-eject: dead
// servers get a retry time in the future and the continuum is rebuilt.
//
// Everything is seeded, so a failure reproduces; the failure message prints
// the server list, the options and the key.

#include <libmemcached-1.0/memcached.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/hash/hash.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "gtest/gtest.h"

namespace memkit {
namespace hash {
namespace {

// Every hash x distribution pair sees kKeysPerPair keys over kListsPerPair
// server lists through its main recipe; the other routes to the same
// distribution (IsVariant()) get a quarter of that, over fewer lists.
constexpr size_t kKeysPerPair = 100000;
constexpr size_t kListsPerPair = 25;
constexpr size_t kKeysPerList = kKeysPerPair / kListsPerPair;
constexpr size_t kVariantLists = 10;

struct MemcDeleter {
  void operator()(memcached_st* memc) const { memcached_free(memc); }
};
using Memc = std::unique_ptr<memcached_st, MemcDeleter>;

// `length` uniformly random bytes, eight per draw (this runs unoptimised).
std::string RandomBytes(std::mt19937_64& rng, size_t length) {
  std::string bytes(length, '\0');
  for (size_t i = 0; i < length; i += 8) {
    const uint64_t r = rng();
    for (size_t j = 0; j < 8 && i + j < length; ++j) bytes[i + j] = static_cast<char>(r >> (8 * j));
  }
  return bytes;
}

// 100,000 keys shared by every check: lengths 1..250, bytes 0..255.
const std::vector<std::string>& KeyPool() {
  static const std::vector<std::string>* pool = [] {
    auto* keys = new std::vector<std::string>();
    std::mt19937_64 rng(20240611);
    keys->reserve(kKeysPerPair);
    for (size_t i = 0; i < kKeysPerPair; ++i) {
      keys->push_back(RandomBytes(rng, 1 + rng() % 250));
    }
    return keys;
  }();
  return *pool;
}

std::vector<ServerSpec> RandomServers(std::mt19937_64& rng) {
  auto pick = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int n = pick(1, 20);
  std::vector<ServerSpec> servers;
  for (int i = 0; i < n; ++i) {
    ServerSpec spec;
    const int kind = pick(0, 99);
    if (!servers.empty() && kind < 8) {
      // A duplicate host:port, sometimes with another weight: equal labels,
      // equal points, ties broken by list position.
      spec = servers[static_cast<size_t>(pick(0, static_cast<int>(servers.size()) - 1))];
      if (pick(0, 1) == 0) spec.weight = static_cast<uint32_t>(pick(1, 5));
      servers.push_back(spec);
      continue;
    }
    if (kind < 18) {
      spec.unix_socket = true;
      spec.host = absl::StrCat("/tmp/memkit-hash-", pick(0, 9999), ".sock");
      spec.port = 0;
    } else {
      const int host_kind = pick(0, 3);
      if (host_kind == 0) {
        spec.host = absl::StrCat(pick(1, 254), ".", pick(0, 255), ".", pick(0, 255), ".",
                                 pick(1, 254));
      } else if (host_kind == 1) {
        spec.host = absl::StrCat("cache-", pick(0, 50), pick(0, 1) ? ".example.com" : "");
      } else if (host_kind == 2) {
        spec.host = absl::StrCat("fd00::", absl::Hex(pick(1, 0xffff)));
      } else {
        spec.host = absl::StrCat("Host_", pick(0, 9));  // Few names: sort ties on port.
      }
      const int port_kind = pick(0, 9);
      spec.port = port_kind < 5 ? 11211 : port_kind == 5 ? 0 : static_cast<uint16_t>(pick(1, 65535));
    }
    const int weight_kind = pick(0, 9);
    if (weight_kind < 5) {
      spec.weight = 1;
    } else if (weight_kind < 8) {
      spec.weight = static_cast<uint32_t>(pick(0, 20));
    } else if (weight_kind < 9) {
      spec.weight = static_cast<uint32_t>(pick(1, 1000000));
    } else {
      spec.weight = static_cast<uint32_t>(pick(1, 2147483647)) * 2u;  // Beyond float precision.
    }
    servers.push_back(spec);
  }
  return servers;
}

// How the libmemcached client reaches the state a PlacementOptions describes.
enum class Recipe {
  kModula,             // Servers, then nothing: MODULA is the default.
  kKetama,             // Servers, then DISTRIBUTION=CONSISTENT: unweighted.
  kKetamaBehavior,     // Servers, then BEHAVIOR_KETAMA=1 (CONSISTENT_KETAMA): unweighted.
  kKetamaAuto,         // CONSISTENT, then servers: weighted iff a weight > 1 (pylibmc).
  kKetamaWeighted,     // Servers, then BEHAVIOR_KETAMA_WEIGHTED=1, then HASH.
  kConsistentWeighted, // DISTRIBUTION=CONSISTENT_WEIGHTED, then servers.
  kSpy,                // Servers, then DISTRIBUTION=CONSISTENT_KETAMA_SPY.
  kSpyWeighted,        // CONSISTENT_WEIGHTED, then SPY (keeps the flag), then servers.
  kSpyAuto,            // SPY, then servers: weighted iff a weight > 1.
};

// Another way to reach a distribution a main recipe already covers.
bool IsVariant(Recipe r) {
  return r == Recipe::kKetamaBehavior || r == Recipe::kKetamaAuto ||
         r == Recipe::kConsistentWeighted || r == Recipe::kSpyAuto;
}

const char* RecipeName(Recipe r) {
  switch (r) {
    case Recipe::kModula: return "modula";
    case Recipe::kKetama: return "ketama";
    case Recipe::kKetamaBehavior: return "ketama_behavior";
    case Recipe::kKetamaAuto: return "ketama_auto";
    case Recipe::kKetamaWeighted: return "ketama_weighted";
    case Recipe::kConsistentWeighted: return "consistent_weighted";
    case Recipe::kSpy: return "spy";
    case Recipe::kSpyWeighted: return "spy_weighted";
    case Recipe::kSpyAuto: return "spy_auto";
  }
  return "?";
}

PlacementOptions OptionsFor(Recipe recipe, HashAlgorithm hash, bool sort_hosts) {
  PlacementOptions options;
  options.hash = hash;
  options.sort_hosts = sort_hosts;
  options.auto_weighted = false;
  switch (recipe) {
    case Recipe::kModula:
      options.distribution = Distribution::kModula;
      break;
    case Recipe::kKetama:
    case Recipe::kKetamaBehavior:
      options.distribution = Distribution::kKetama;
      break;
    case Recipe::kKetamaAuto:
      options.distribution = Distribution::kKetama;
      options.auto_weighted = true;
      break;
    case Recipe::kKetamaWeighted:
    case Recipe::kConsistentWeighted:
      options.distribution = Distribution::kKetamaWeighted;
      break;
    case Recipe::kSpy:
      options.distribution = Distribution::kKetamaSpy;
      break;
    case Recipe::kSpyWeighted:
      options.distribution = Distribution::kKetamaSpyWeighted;
      break;
    case Recipe::kSpyAuto:
      options.distribution = Distribution::kKetamaSpy;
      options.auto_weighted = true;
      break;
  }
  return options;
}

#define MC_OK(call) ASSERT_EQ((call), MEMCACHED_SUCCESS) << #call

void AddServers(memcached_st* memc, const std::vector<ServerSpec>& servers) {
  for (const ServerSpec& s : servers) {
    if (s.unix_socket) {
      MC_OK(memcached_server_add_unix_socket_with_weight(memc, s.host.c_str(), s.weight));
    } else {
      MC_OK(memcached_server_add_with_weight(memc, s.host.c_str(), s.port, s.weight));
    }
  }
}

void SetDistribution(memcached_st* memc, memcached_server_distribution_t d) {
  MC_OK(memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_DISTRIBUTION, d));
}

// Configures `memc` per `recipe`. The key hash is set before anything that
// rebuilds the continuum, because libmemcached hashes unweighted points with
// the hash in effect at the rebuild.
void Configure(memcached_st* memc, Recipe recipe, HashAlgorithm hash, bool sort_hosts,
               const std::vector<ServerSpec>& servers) {
  const auto mc_hash = static_cast<uint64_t>(hash);
  MC_OK(memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_SORT_HOSTS, sort_hosts));
  MC_OK(memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_HASH, mc_hash));
  switch (recipe) {
    case Recipe::kModula:
      AddServers(memc, servers);
      break;
    case Recipe::kKetama:
      AddServers(memc, servers);
      SetDistribution(memc, MEMCACHED_DISTRIBUTION_CONSISTENT);
      break;
    case Recipe::kKetamaBehavior:
      AddServers(memc, servers);
      MC_OK(memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA, 1));
      break;
    case Recipe::kKetamaAuto:
      SetDistribution(memc, MEMCACHED_DISTRIBUTION_CONSISTENT);
      AddServers(memc, servers);
      break;
    case Recipe::kKetamaWeighted:
      AddServers(memc, servers);
      MC_OK(memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1));
      // KETAMA_WEIGHTED switched the key hash to MD5; put ours back.
      MC_OK(memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_HASH, mc_hash));
      break;
    case Recipe::kConsistentWeighted:
      SetDistribution(memc, MEMCACHED_DISTRIBUTION_CONSISTENT_WEIGHTED);
      AddServers(memc, servers);
      break;
    case Recipe::kSpy:
      AddServers(memc, servers);
      SetDistribution(memc, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA_SPY);
      break;
    case Recipe::kSpyWeighted:
      SetDistribution(memc, MEMCACHED_DISTRIBUTION_CONSISTENT_WEIGHTED);
      SetDistribution(memc, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA_SPY);
      AddServers(memc, servers);
      break;
    case Recipe::kSpyAuto:
      SetDistribution(memc, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA_SPY);
      AddServers(memc, servers);
      break;
  }
  ASSERT_EQ(memcached_server_count(memc), servers.size());
}

// libmemcached's list position of each caller index: identity, or the stable
// (host, port) order that MEMCACHED_BEHAVIOR_SORT_HOSTS produces.
std::vector<size_t> LibmemcachedPositions(const std::vector<ServerSpec>& servers, bool sort_hosts) {
  std::vector<size_t> order(servers.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (sort_hosts) {
    auto port = [&servers](size_t i) {
      return servers[i].port == 0 && !servers[i].unix_socket ? 11211 : servers[i].port;
    };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const int c = servers[a].host.compare(servers[b].host);
      return c != 0 ? c < 0 : port(a) < port(b);
    });
  }
  std::vector<size_t> position(servers.size());
  for (size_t pos = 0; pos < order.size(); ++pos) position[order[pos]] = pos;
  return position;
}

std::string Describe(const std::vector<ServerSpec>& servers, Recipe recipe, HashAlgorithm hash,
                     bool sort_hosts) {
  std::vector<std::string> names;
  for (const ServerSpec& s : servers) {
    names.push_back(absl::StrCat(s.ToString(), s.weight == 0 ? "(w0)" : "",
                                 !s.unix_socket && s.port == 0 ? "(p0)" : ""));
  }
  return absl::StrCat(RecipeName(recipe), " hash=", HashAlgorithmName(hash),
                      " sort=", sort_hosts, " servers=[", absl::StrJoin(names, ", "), "]");
}

// Compares memkit and libmemcached on `count` pool keys from `first`. Returns
// false (after reporting) on the first disagreement.
bool CompareKeys(memcached_st* memc, const Placement& placement,
                 const std::vector<ServerSpec>& servers, const std::vector<size_t>& position,
                 size_t first, size_t count, const std::string& context) {
  const std::vector<std::string>& pool = KeyPool();
  for (size_t i = 0; i < count; ++i) {
    const std::string& key = pool[(first + i) % pool.size()];
    const uint32_t lib = memcached_generate_hash(memc, key.data(), key.size());
    const size_t ours = placement.ServerFor(key);
    if (ours >= servers.size() || position[ours] != lib) {
      ADD_FAILURE() << context << "\nkey=\"" << absl::CEscape(key) << "\" libmemcached position "
                    << lib << ", memkit index " << ours << " (position "
                    << (ours < servers.size() ? position[ours] : ~size_t{0}) << ")";
      return false;
    }
  }
  return true;
}

// The hosts and ports libmemcached holds must be ours, in the order we expect.
void ExpectSameOrder(memcached_st* memc, const std::vector<ServerSpec>& servers,
                     const std::vector<size_t>& position, const std::string& context) {
  for (size_t i = 0; i < servers.size(); ++i) {
    const memcached_instance_st* instance =
        memcached_server_instance_by_position(memc, static_cast<uint32_t>(position[i]));
    ASSERT_NE(instance, nullptr);
    const uint16_t port = !servers[i].unix_socket && servers[i].port == 0 ? 11211 : servers[i].port;
    EXPECT_EQ(memcached_server_name(instance), servers[i].host) << context;
    EXPECT_EQ(memcached_server_port(instance), port) << context;
  }
}

std::vector<HashAlgorithm> PlacementHashes() {
  std::vector<HashAlgorithm> hashes;
  for (HashAlgorithm h : kAllHashAlgorithms) {
    if (UsableForPlacement(h)) hashes.push_back(h);
  }
  return hashes;
}

TEST(LibmemcachedHashTest, EveryAlgorithmMatchesGenerateHashValue) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const std::string key = RandomBytes(rng, rng() % 251);  // Empty keys too.
    for (HashAlgorithm h : kAllHashAlgorithms) {
      const uint32_t lib = memcached_generate_hash_value(key.data(), key.size(),
                                                         static_cast<memcached_hash_t>(h));
      ASSERT_EQ(Hash(h, key), lib) << HashAlgorithmName(h) << " key=\"" << absl::CEscape(key)
                                   << "\"";
    }
  }
}

TEST(LibmemcachedHashTest, HsiehIsRefusedAsAKeyHash) {
  Memc memc(memcached_create(nullptr));
  EXPECT_NE(memcached_behavior_set(memc.get(), MEMCACHED_BEHAVIOR_HASH, MEMCACHED_HASH_HSIEH),
            MEMCACHED_SUCCESS);
  PlacementOptions options;
  options.hash = HashAlgorithm::kHsieh;
  ServerSpec spec;
  spec.host = "a";
  EXPECT_FALSE(Placement::Create({spec}, options).ok());
}

// Weights whose share libmemcached's float32 arithmetic rounds down where
// double arithmetic would not (29/60 of 3 servers: 57 groups, not 58).
TEST(LibmemcachedWeightsTest, Float32RoundingOfBorderlineShares) {
  std::vector<ServerSpec> servers(3);
  const uint32_t weights[] = {29, 30, 1};
  for (size_t i = 0; i < servers.size(); ++i) {
    servers[i].host = absl::StrCat("10.1.1.", i + 1);
    servers[i].weight = weights[i];
  }
  for (const bool sort_hosts : {false, true}) {
    Memc memc(memcached_create(nullptr));
    Configure(memc.get(), Recipe::kKetamaWeighted, HashAlgorithm::kMd5, sort_hosts, servers);
    if (HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<Placement>> placement = Placement::Create(
        servers, OptionsFor(Recipe::kKetamaWeighted, HashAlgorithm::kMd5, sort_hosts));
    ASSERT_TRUE(placement.ok()) << placement.status();
    EXPECT_TRUE(CompareKeys(memc.get(), **placement, servers,
                            LibmemcachedPositions(servers, sort_hosts), 0, 50000,
                            Describe(servers, Recipe::kKetamaWeighted, HashAlgorithm::kMd5,
                                     sort_hosts)));
  }
}

class LibmemcachedPlacementTest : public ::testing::TestWithParam<Recipe> {};

TEST_P(LibmemcachedPlacementTest, EveryHashMatchesOverRandomServerLists) {
  const Recipe recipe = GetParam();
  std::mt19937_64 rng(1000 + static_cast<uint64_t>(recipe));
  const size_t lists = IsVariant(recipe) ? kVariantLists : kListsPerPair;
  const size_t keys_per_list = IsVariant(recipe) ? kKeysPerPair / 4 / kVariantLists : kKeysPerList;
  size_t pair_index = 0;
  for (HashAlgorithm hash : PlacementHashes()) {
    size_t compared = 0;
    for (size_t list = 0; list < lists; ++list) {
      const std::vector<ServerSpec> servers = RandomServers(rng);
      const bool sort_hosts = list % 2 == 1;
      const std::string context = Describe(servers, recipe, hash, sort_hosts);
      Memc memc(memcached_create(nullptr));
      Configure(memc.get(), recipe, hash, sort_hosts, servers);
      if (HasFatalFailure()) return;
      absl::StatusOr<std::unique_ptr<Placement>> placement =
          Placement::Create(servers, OptionsFor(recipe, hash, sort_hosts));
      ASSERT_TRUE(placement.ok()) << placement.status() << "\n" << context;
      const std::vector<size_t> position = LibmemcachedPositions(servers, sort_hosts);
      ExpectSameOrder(memc.get(), servers, position, context);
      const size_t first = (pair_index * 7919 + list * keys_per_list) % KeyPool().size();
      if (!CompareKeys(memc.get(), **placement, servers, position, first, keys_per_list,
                       context)) {
        return;
      }
      compared += keys_per_list;
    }
    EXPECT_GE(compared, IsVariant(recipe) ? kKeysPerPair / 4 : kKeysPerPair);
    ++pair_index;
  }
}

// Auto-eject: dead servers (next_retry in the future) leave the continuum, and
// the indexes still refer to the full list.
TEST_P(LibmemcachedPlacementTest, LiveSubsetsMatchAutoEject) {
  const Recipe recipe = GetParam();
  if (recipe == Recipe::kModula) {
    GTEST_SKIP() << "libmemcached's modula ignores ejected servers; memkit's live-subset modula "
                    "is its own (see placement.h)";
  }
  std::mt19937_64 rng(5000 + static_cast<uint64_t>(recipe));
  const time_t far_future = time(nullptr) + 24 * 3600;
  for (HashAlgorithm hash : PlacementHashes()) {
    for (int list = 0; list < 8; ++list) {
      std::vector<ServerSpec> servers = RandomServers(rng);
      if (servers.size() < 2) servers.push_back(servers[0]);
      const bool sort_hosts = list % 2 == 1;
      Memc memc(memcached_create(nullptr));
      MC_OK(memcached_behavior_set(memc.get(), MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS, 1));
      Configure(memc.get(), recipe, hash, sort_hosts, servers);
      if (HasFatalFailure()) return;
      const std::vector<size_t> position = LibmemcachedPositions(servers, sort_hosts);

      // Kill a random non-empty proper subset, by libmemcached position.
      std::vector<bool> live(servers.size(), true);
      const size_t dead = std::uniform_int_distribution<size_t>(1, servers.size() - 1)(rng);
      std::vector<size_t> victims(servers.size());
      std::iota(victims.begin(), victims.end(), size_t{0});
      std::shuffle(victims.begin(), victims.end(), rng);
      victims.resize(dead);
      for (size_t caller : victims) {
        live[caller] = false;
        memcached_instance_next_retry(
            memcached_server_instance_by_position(memc.get(), static_cast<uint32_t>(position[caller])),
            far_future);
      }
      // SORT_HOSTS (set to its current value) reruns run_distribution().
      MC_OK(memcached_behavior_set(memc.get(), MEMCACHED_BEHAVIOR_SORT_HOSTS, sort_hosts));

      const std::string context =
          absl::StrCat(Describe(servers, recipe, hash, sort_hosts), " dead=", dead);
      absl::StatusOr<std::unique_ptr<Placement>> placement =
          Placement::Create(servers, OptionsFor(recipe, hash, sort_hosts), live);
      ASSERT_TRUE(placement.ok()) << placement.status();
      if (!CompareKeys(memc.get(), **placement, servers, position,
                       static_cast<size_t>(list) * 2000, 2000, context)) {
        return;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Recipes, LibmemcachedPlacementTest,
                         ::testing::Values(Recipe::kModula, Recipe::kKetama,
                                           Recipe::kKetamaBehavior, Recipe::kKetamaAuto,
                                           Recipe::kKetamaWeighted, Recipe::kConsistentWeighted,
                                           Recipe::kSpy, Recipe::kSpyWeighted, Recipe::kSpyAuto),
                         [](const ::testing::TestParamInfo<Recipe>& info) {
                           return std::string(RecipeName(info.param));
                         });

}  // namespace
}  // namespace hash
}  // namespace memkit
