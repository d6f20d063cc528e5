// Builds libmemcached 1.1.4's ketama continuum (update_continuum() in
// libmemcached/hosts.cc), the part of placement where every detail changes
// where keys go: the label format, points per server, the float32 weighting
// formula, and the (value, index) order of the points.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_CORE_HASH_INTERNAL_CONTINUUM_H_
#define MEMKIT_CORE_HASH_INTERNAL_CONTINUUM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/hash/hash.h"

namespace memkit {
namespace hash {
namespace internal {

// libmemcached's MEMCACHED_POINTS_PER_SERVER and _KETAMA.
inline constexpr uint32_t kPointsPerServer = 100;
inline constexpr uint32_t kPointsPerServerWeighted = 160;

// One server in libmemcached's list order (after sort-hosts).
struct RingServer {
  absl::string_view host;
  uint16_t port;    // As libmemcached stores it: 11211 for a default TCP port, 0 for unix sockets.
  uint32_t weight;  // >= 1.
  bool live;
};

struct RingPoint {
  uint32_t value;
  uint32_t index;  // Position in the RingServer list.
};

enum class RingStyle {
  kKetama,  // "host-i", or "host:port-i" when port != 11211.
  kSpy,     // "/host:port-i".
};

// The label of point group `i` of a server.
std::string RingLabel(RingStyle style, absl::string_view host, uint16_t port, uint32_t i);

// Points a server gets in a weighted ring: libmemcached's float32
// floor(w / W * 160 / 4 * live + 1e-10f) * 4.
uint32_t WeightedPoints(uint32_t weight, uint64_t total_weight, uint32_t live_servers);

// All points of the live servers, sorted by (value, index). Unweighted: 100
// labels per server, each hashed with `hash`. Weighted: WeightedPoints() / 4
// labels per server, each giving the four little-endian words of its MD5.
std::vector<RingPoint> BuildRing(absl::Span<const RingServer> servers, RingStyle style,
                                 bool weighted, HashAlgorithm hash);

}  // namespace internal
}  // namespace hash
}  // namespace memkit

#endif  // MEMKIT_CORE_HASH_INTERNAL_CONTINUUM_H_
