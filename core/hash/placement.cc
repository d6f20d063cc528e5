#include "core/hash/placement.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/hash/internal/continuum.h"

namespace memkit {
namespace hash {
namespace {

constexpr absl::string_view kDistributionNames[] = {
    "modula", "ketama", "ketama_weighted", "ketama_spy", "ketama_spy_weighted", "random",
    "rendezvous", "python_memcached",
};
constexpr size_t kDistributionCount = sizeof(kDistributionNames) / sizeof(kDistributionNames[0]);

bool IsRing(Distribution d) {
  return d == Distribution::kKetama || d == Distribution::kKetamaWeighted ||
         d == Distribution::kKetamaSpy || d == Distribution::kKetamaSpyWeighted;
}

absl::Status ValidateServer(size_t index, const ServerSpec& server) {
  if (server.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("server ", index, " has an empty host"));
  }
  if (server.host.size() > kMaxHostLength) {
    return absl::InvalidArgumentError(absl::StrCat("server ", index, " has a host longer than ",
                                                   kMaxHostLength, " bytes"));
  }
  if (server.host.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("server ", index, " has a NUL byte in its host"));
  }
  return absl::OkStatus();
}

// libmemcached's compare_servers(): strcmp() on the host, then the port.
// std::string's comparison is bytewise unsigned like strcmp(), and hosts hold
// no NUL, so the two agree.
bool HostOrderLess(const ServerSpec& a, const ServerSpec& b) {
  const int c = a.host.compare(b.host);
  if (c != 0) return c < 0;
  return a.port < b.port;
}

// python-memcached's cmemcache_hash(): 15 bits of the CRC-32, never 0.
uint32_t PythonMemcachedHash(absl::string_view key) {
  const uint32_t h = (Crc32(key) >> 16) & 0x7fff;
  return h == 0 ? 1 : h;
}

// Appends what pymemcache's pure-Python murmur3_32 reads of `text` when it
// is a str: the low byte of each character. A valid UTF-8 `text` is read as
// the characters it encodes; anything else byte by byte.
void AppendPythonStrBytes(absl::string_view text, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    uint32_t code = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(text[i + k]);
      valid = (cc & 0xc0) == 0x80;
      code = (code << 6) | (cc & 0x3f);
    }
    if (!valid) {
      // Not UTF-8: Python could not have held it as a str; take the bytes.
      out->append(text.data(), text.size());
      return;
    }
    out->push_back(static_cast<char>(code & 0xff));
    i += len;
  }
}

bool IsAscii(absl::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

absl::string_view NodeName(const std::pair<uint32_t, std::string>& node) {
  return absl::string_view(node.second).substr(0, node.second.size() - 1);
}

// pymemcache's RendezvousHash.get_node() over `nodes` (index, "name-").
size_t RendezvousServerFor(const std::vector<std::pair<uint32_t, std::string>>& nodes,
                           absl::string_view key) {
  std::string text;
  int64_t best_score = -1;
  const std::pair<uint32_t, std::string>* best = nullptr;
  for (const auto& node : nodes) {
    text.assign(node.second);
    if (IsAscii(key)) {
      text.append(key.data(), key.size());
    } else {
      text.clear();
      AppendPythonStrBytes(absl::StrCat(node.second, key), &text);
    }
    const int64_t score = MurmurHash3_x86_32(text, 0);
    // Ties go to the larger name: max(str(node), str(winner)).
    if (score > best_score || (score == best_score && NodeName(node) > NodeName(*best))) {
      best_score = score;
      best = &node;
    }
  }
  return best == nullptr ? Placement::kNoServer : best->first;
}

}  // namespace

absl::string_view DistributionName(Distribution distribution) {
  const size_t index = static_cast<size_t>(distribution);
  if (index >= kDistributionCount) return "unknown";
  return kDistributionNames[index];
}

absl::StatusOr<Distribution> ParseDistribution(absl::string_view name) {
  std::string normal = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  for (char& c : normal) {
    if (c == '-' || c == ' ') c = '_';
  }
  if (normal == "consistent" || normal == "consistent_ketama") return Distribution::kKetama;
  if (normal == "consistent_weighted") return Distribution::kKetamaWeighted;
  if (normal == "consistent_ketama_spy") return Distribution::kKetamaSpy;
  if (normal == "pymemcache") return Distribution::kRendezvous;
  if (normal == "memcache" || normal == "python_memcache") return Distribution::kPythonMemcached;
  for (size_t i = 0; i < kDistributionCount; ++i) {
    if (normal == kDistributionNames[i]) return static_cast<Distribution>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown distribution \"", absl::CEscape(name),
      "\"; expected one of modula, ketama (consistent), ketama_weighted, ketama_spy, "
      "ketama_spy_weighted, random, rendezvous (pymemcache), python_memcached"));
}

absl::StatusOr<std::unique_ptr<Placement>> Placement::Create(std::vector<ServerSpec> servers,
                                                             const PlacementOptions& options) {
  std::vector<bool> live(servers.size(), true);
  return Create(std::move(servers), options, live);
}

absl::StatusOr<std::unique_ptr<Placement>> Placement::Create(std::vector<ServerSpec> servers,
                                                             const PlacementOptions& options,
                                                             const std::vector<bool>& live) {
  if (servers.empty()) return absl::InvalidArgumentError("placement needs at least one server");
  if (servers.size() > kMaxServers) {
    return absl::InvalidArgumentError(absl::StrCat("placement over ", servers.size(),
                                                   " servers; at most ", kMaxServers));
  }
  if (live.size() != servers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("live mask has ", live.size(),
                                                   " entries for ", servers.size(), " servers"));
  }
  if (static_cast<size_t>(options.distribution) >= kDistributionCount) {
    return absl::InvalidArgumentError("unknown distribution value");
  }
  HashAlgorithm hash = options.distribution == Distribution::kKetamaWeighted
                           ? HashAlgorithm::kMd5
                           : HashAlgorithm::kDefault;
  if (options.hash.has_value()) {
    hash = *options.hash;
    if (static_cast<size_t>(hash) >= kAllHashAlgorithms.size()) {
      return absl::InvalidArgumentError("unknown hash algorithm value");
    }
    if (!UsableForPlacement(hash)) {
      return absl::InvalidArgumentError(
          "hash \"hsieh\" is compiled out of Debian's libmemcached, which refuses it as a key "
          "hash; choose another");
    }
  }

  bool any_weight = false;
  for (size_t i = 0; i < servers.size(); ++i) {
    ServerSpec& server = servers[i];
    absl::Status status = ValidateServer(i, server);
    if (!status.ok()) return status;
    if (!server.unix_socket && server.port == 0) server.port = kDefaultPort;
    if (server.weight == 0) server.weight = 1;
    if (server.weight > 1) any_weight = true;
  }

  Distribution distribution = options.distribution;
  if (options.auto_weighted && any_weight) {
    if (distribution == Distribution::kKetama) distribution = Distribution::kKetamaWeighted;
    if (distribution == Distribution::kKetamaSpy) distribution = Distribution::kKetamaSpyWeighted;
  }

  auto placement = std::unique_ptr<Placement>(new Placement());
  placement->distribution_ = distribution;
  placement->hash_ = hash;
  placement->sort_hosts_ = options.sort_hosts;
  placement->live_ = live;
  placement->live_count_ = static_cast<size_t>(std::count(live.begin(), live.end(), true));

  // libmemcached's list order: as added, or stably sorted by (host, port).
  std::vector<uint32_t> order(servers.size());
  std::iota(order.begin(), order.end(), 0u);
  if (options.sort_hosts) {
    std::stable_sort(order.begin(), order.end(), [&servers](uint32_t a, uint32_t b) {
      return HostOrderLess(servers[a], servers[b]);
    });
  }
  for (uint32_t index : order) {
    if (live[index]) placement->live_order_.push_back(index);
  }

  if (distribution == Distribution::kPythonMemcached) {
    // Not kSingle with one live server: python-memcached hashes into every
    // server's buckets, dead ones included, and may give up.
    placement->mode_ = Mode::kBuckets;
    for (uint32_t index = 0; index < servers.size(); ++index) {
      for (uint32_t w = 0; w < servers[index].weight; ++w) {
        placement->python_buckets_.push_back(index);
      }
    }
  } else if (placement->live_count_ == 0) {
    placement->mode_ = Mode::kNone;
  } else if (placement->live_count_ == 1) {
    // Every distribution picks the only live server; libmemcached likewise
    // skips hashing when it has one server.
    placement->mode_ = Mode::kSingle;
    placement->single_ = placement->live_order_[0];
  } else if (distribution == Distribution::kModula) {
    placement->mode_ = Mode::kModula;
  } else if (distribution == Distribution::kRandom) {
    placement->mode_ = Mode::kRandom;
  } else if (distribution == Distribution::kRendezvous) {
    placement->mode_ = Mode::kRendezvous;
    for (uint32_t index = 0; index < servers.size(); ++index) {
      if (!live[index]) continue;
      const ServerSpec& server = servers[index];
      // HashClient names a (host, port) server "host:port" and a socket by
      // its path.
      std::string name = server.unix_socket ? server.host
                                            : absl::StrCat(server.host, ":", server.port);
      name.push_back('-');
      placement->rendezvous_.emplace_back(index, std::move(name));
    }
  } else {
    placement->mode_ = Mode::kRing;
  }

  if (IsRing(distribution) && placement->live_count_ > 0) {
    std::vector<internal::RingServer> ring_servers;
    ring_servers.reserve(order.size());
    for (uint32_t index : order) {
      const ServerSpec& server = servers[index];
      ring_servers.push_back(
          internal::RingServer{server.host, server.port, server.weight, live[index]});
    }
    const bool spy = distribution == Distribution::kKetamaSpy ||
                     distribution == Distribution::kKetamaSpyWeighted;
    const bool weighted = distribution == Distribution::kKetamaWeighted ||
                          distribution == Distribution::kKetamaSpyWeighted;
    std::vector<internal::RingPoint> points = internal::BuildRing(
        ring_servers, spy ? internal::RingStyle::kSpy : internal::RingStyle::kKetama, weighted,
        hash);
    placement->point_values_.reserve(points.size());
    placement->point_servers_.reserve(points.size());
    for (const internal::RingPoint& point : points) {
      placement->point_values_.push_back(point.value);
      placement->point_servers_.push_back(order[point.index]);
    }
    placement->bucket_start_.resize(1025);
    {
      size_t i = 0;
      for (uint32_t b = 0; b < 1024; ++b) {
        while (i < placement->point_values_.size() && (placement->point_values_[i] >> 22) < b) ++i;
        placement->bucket_start_[b] = static_cast<uint32_t>(i);
      }
      placement->bucket_start_[1024] = static_cast<uint32_t>(placement->point_values_.size());
    }
    if (placement->point_values_.empty()) {
      // Possible only if every live server's weight share rounds to zero
      // points, which the formula rules out; guard anyway.
      placement->mode_ = Mode::kNone;
    }
  }

  placement->servers_ = std::move(servers);
  return placement;
}

size_t Placement::ServerFor(absl::string_view key) const {
  switch (mode_) {
    case Mode::kNone:
      return kNoServer;
    case Mode::kSingle:
      return single_;
    case Mode::kRandom:
      return ServerForHash(0);
    case Mode::kRendezvous:
      return RendezvousServerFor(rendezvous_, key);
    case Mode::kBuckets:
      return ServerForHash(PythonMemcachedHash(key));
    case Mode::kModula:
    case Mode::kRing:
      break;
  }
  return ServerForHash(Hash(hash_, key));
}

uint32_t Placement::KeyHash(absl::string_view key) const {
  switch (mode_) {
    case Mode::kRendezvous:
      return 0;
    case Mode::kBuckets:
      return PythonMemcachedHash(key);
    default:
      return Hash(hash_, key);
  }
}

size_t Placement::ServerForHash(uint32_t hash) const {
  switch (mode_) {
    case Mode::kNone:
      return kNoServer;
    case Mode::kSingle:
      return single_;
    case Mode::kModula:
      return live_order_[hash % live_order_.size()];
    case Mode::kRing: {
      // The first point at or after `hash`, wrapping to the first point.
      const uint32_t b = hash >> 22;
      auto it = std::lower_bound(point_values_.begin() + bucket_start_[b],
                                 point_values_.begin() + bucket_start_[b + 1], hash);
      if (it == point_values_.end()) it = point_values_.begin();
      return point_servers_[static_cast<size_t>(it - point_values_.begin())];
    }
    case Mode::kRandom: {
      thread_local absl::InsecureBitGen gen;
      return live_order_[absl::Uniform<size_t>(gen, 0, live_order_.size())];
    }
    case Mode::kRendezvous:
      return kNoServer;
    case Mode::kBuckets: {
      // python-memcached's Client._get_server(): _SERVER_RETRIES (10) tries.
      for (int attempt = 0; attempt < 10; ++attempt) {
        const uint32_t server = python_buckets_[hash % python_buckets_.size()];
        if (live_[server]) return server;
        hash = PythonMemcachedHash(absl::StrCat(hash, attempt));
      }
      return kNoServer;
    }
  }
  return kNoServer;
}

std::vector<ContinuumPoint> Placement::Continuum() const {
  std::vector<ContinuumPoint> points;
  points.reserve(point_values_.size());
  for (size_t i = 0; i < point_values_.size(); ++i) {
    points.push_back(ContinuumPoint{point_values_[i], point_servers_[i]});
  }
  return points;
}

}  // namespace hash
}  // namespace memkit
