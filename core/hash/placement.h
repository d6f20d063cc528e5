// Which server a key lives on: libmemcached 1.1.4's server selection,
// reproduced byte for byte so a memkit client, the memkit proxy, libmemcached,
// pylibmc and other libketama-compatible clients agree on every key.
//
// A Placement is built once from a server list, PlacementOptions (distribution,
// key hash, sort-hosts) and optionally a live mask, then answers ServerFor(key)
// with a binary search over a flat sorted array: no locks, no allocation. To
// eject or restore a server, build a new Placement with a new live mask and
// swap it in (e.g. behind a std::shared_ptr); the indexes it returns always
// refer to the full server list as given to Create().
//
// docs/placement.md describes the distributions, the ketama label rules and
// how to match pylibmc's behaviors.
//
// Thread-safety: a Placement is immutable after Create() and safe to use from
// any number of threads at once.

#ifndef MEMKIT_CORE_HASH_PLACEMENT_H_
#define MEMKIT_CORE_HASH_PLACEMENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/hash/hash.h"
#include "core/hash/server_spec.h"

namespace memkit {
namespace hash {

// How keys map to servers. Each names the libmemcached setting it reproduces.
enum class Distribution : uint8_t {
  // MEMCACHED_DISTRIBUTION_MODULA (libmemcached's default): hash % servers.
  kModula = 0,
  // MEMCACHED_DISTRIBUTION_CONSISTENT / _CONSISTENT_KETAMA without weighting:
  // 100 points per server, point i = key hash of "host-i" ("host:port-i"
  // when the port is not 11211). Weights are ignored.
  kKetama = 1,
  // MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED / _DISTRIBUTION_CONSISTENT_WEIGHTED,
  // i.e. libketama: floor(w / W * 40 * n) * 4 points per server, four per
  // MD5 of the same labels. The key hash is separate (see PlacementOptions).
  kKetamaWeighted = 2,
  // MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA_SPY (spymemcached's ring):
  // labels "/host:port-i" always with the port, 100 points, key hash.
  kKetamaSpy = 3,
  // KETAMA_SPY with libmemcached's weighted flag on: spy labels, MD5 points,
  // weighted counts.
  kKetamaSpyWeighted = 4,
  // MEMCACHED_DISTRIBUTION_RANDOM: a uniformly random live server per call.
  kRandom = 5,
  // pymemcache 3.5's HashClient (RendezvousHash): every live server scores
  // murmur3_32("host:port-KEY", seed 0) and the highest wins, ties going to
  // the larger server name. The key is read as pymemcache reads a str: one
  // UTF-8 code point per character, of which murmur3 takes the low byte.
  // pymemcache has no weights; they are ignored. The key hash setting is
  // ignored. A dead server is left out, as HashClient removes it.
  kRendezvous = 6,
  // python-memcached 1.59's Client: each server repeated `weight` times in a
  // bucket list (in list order); a key goes to bucket h % buckets with
  // h = ((crc32(key) >> 16) & 0x7fff) or 1. When that server is dead the
  // client rehashes h = hash(str(h) + str(i)) for i = 0.. and tries again,
  // at most 10 times in all, then gives up (kNoServer), as python-memcached
  // does. The key hash setting is ignored.
  kPythonMemcached = 7,
};

// "modula", "ketama", "ketama_weighted", "ketama_spy", "ketama_spy_weighted",
// "random", "rendezvous", "python_memcached".
absl::string_view DistributionName(Distribution distribution);

// Parses DistributionName() values and libmemcached's / pylibmc's aliases:
// "consistent", "consistent_ketama" (kKetama), "consistent_weighted"
// (kKetamaWeighted), "consistent_ketama_spy" (kKetamaSpy), "pymemcache"
// (kRendezvous), "memcache" and "python_memcache" (kPythonMemcached). Case and '_', '-',
// ' ' between words do not matter. Anything else is InvalidArgument.
absl::StatusOr<Distribution> ParseDistribution(absl::string_view name);

struct PlacementOptions {
  // libmemcached's default is modula; ketama is what most deployments use.
  Distribution distribution = Distribution::kModula;

  // The key hash (and, for the unweighted rings, the point hash). Unset means
  // what libmemcached ends up with: kMd5 when `distribution` is
  // kKetamaWeighted (MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED switches the hash to
  // MD5), kDefault (one-at-a-time) otherwise. kHsieh is refused, as Debian's
  // libmemcached refuses it.
  absl::optional<HashAlgorithm> hash;

  // MEMCACHED_BEHAVIOR_SORT_HOSTS: order servers by (host bytes, port) before
  // placing. Changes which server wins ties and which index modula picks;
  // ServerFor() still returns indexes into the caller's list.
  bool sort_hosts = false;

  // libmemcached turns weighting on by itself when a server with weight > 1 is
  // added while a consistent distribution is set (and memcached_server_push()
  // always does), which is how pylibmc builds its clients: with this true,
  // any weight > 1 turns kKetama into kKetamaWeighted and kKetamaSpy into
  // kKetamaSpyWeighted, keeping the key hash. False keeps them unweighted,
  // as libmemcached does when the distribution is set after the servers.
  bool auto_weighted = true;
};

// One point of a ketama continuum, for tools and tests.
struct ContinuumPoint {
  uint32_t value;   // Position on the ring.
  uint32_t server;  // Index into Placement::servers().
};

class Placement {
 public:
  // ServerFor()'s answer when no server is live.
  static constexpr size_t kNoServer = ~size_t{0};

  // At most this many servers (bounds the continuum at ~1.6M points).
  static constexpr size_t kMaxServers = 10000;

  // Builds a placement over `servers`, all live. InvalidArgument for an empty
  // or oversized list, a server with an empty, too long (> 1024 bytes) or
  // NUL-containing host, an out-of-range enum, or the HSIEH hash.
  static absl::StatusOr<std::unique_ptr<Placement>> Create(std::vector<ServerSpec> servers,
                                                           const PlacementOptions& options);

  // As above, with only the servers whose `live` entry is true taking part,
  // as libmemcached's auto-eject does for dead servers: the continuum (and the
  // weight total of kKetamaWeighted) covers only live servers. Modula then
  // takes the hash modulo the live servers and random picks among them; that
  // part is memkit's own (libmemcached's modula ignores ejection and fails
  // the request). `live` must have one entry per server.
  static absl::StatusOr<std::unique_ptr<Placement>> Create(std::vector<ServerSpec> servers,
                                                           const PlacementOptions& options,
                                                           const std::vector<bool>& live);

  Placement(const Placement&) = delete;
  Placement& operator=(const Placement&) = delete;

  // The index in servers() of the server for `key`, or kNoServer when none is
  // live. With exactly one live server the answer is that server, without
  // hashing (libmemcached does the same for a one-server list). kRandom
  // ignores the key.
  size_t ServerFor(absl::string_view key) const;

  // The server for a key whose KeyHash() is `hash` (for callers that hash
  // once and place on several rings). kRendezvous scores servers with the
  // key itself, so it has no key hash: use ServerFor() (this returns
  // kNoServer).
  size_t ServerForHash(uint32_t hash) const;

  // The key hash this placement uses, applied to `key` (python-memcached's
  // for kPythonMemcached; 0 for kRendezvous).
  uint32_t KeyHash(absl::string_view key) const;

  // The servers as given to Create(), in the caller's order, with TCP port 0
  // replaced by 11211 and weight 0 by 1.
  const std::vector<ServerSpec>& servers() const { return servers_; }
  bool is_live(size_t index) const { return live_[index]; }
  size_t live_count() const { return live_count_; }

  // The distribution and hash in effect, after PlacementOptions' defaults and
  // auto_weighted are applied.
  Distribution distribution() const { return distribution_; }
  HashAlgorithm hash() const { return hash_; }
  bool sort_hosts() const { return sort_hosts_; }

  // A copy of the ring, sorted by (value, libmemcached's server order); empty
  // for modula and random.
  std::vector<ContinuumPoint> Continuum() const;

 private:
  // How ServerForHash() answers; fixed at construction.
  enum class Mode : uint8_t { kNone, kSingle, kModula, kRing, kRandom, kRendezvous, kBuckets };

  Placement() = default;

  // Constant after construction.
  std::vector<ServerSpec> servers_;
  std::vector<bool> live_;
  size_t live_count_ = 0;
  Distribution distribution_ = Distribution::kModula;
  HashAlgorithm hash_ = HashAlgorithm::kDefault;
  bool sort_hosts_ = false;
  Mode mode_ = Mode::kNone;
  // kSingle: the one server's index.
  size_t single_ = 0;
  // kModula, kRandom: live servers' indexes in libmemcached's order.
  std::vector<uint32_t> live_order_;
  // kRing: point values ascending, and each point's server index (parallel
  // arrays, so the binary search touches only the values).
  std::vector<uint32_t> point_values_;
  std::vector<uint32_t> point_servers_;
  // kRing: bucket b (the top 10 bits of a hash) -> the first point whose
  // value's top bits are >= b; the search then spans one bucket.
  std::vector<uint32_t> bucket_start_;
  // kRendezvous: each live server's index and name ("host:port", or the
  // socket path) followed by '-', the prefix of what it scores.
  std::vector<std::pair<uint32_t, std::string>> rendezvous_;
  // kBuckets: python-memcached's bucket list of server indexes.
  std::vector<uint32_t> python_buckets_;
};

}  // namespace hash
}  // namespace memkit

#endif  // MEMKIT_CORE_HASH_PLACEMENT_H_
