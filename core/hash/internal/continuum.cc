#include "core/hash/internal/continuum.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/hash/internal/md5.h"

namespace memkit {
namespace hash {
namespace internal {
namespace {

constexpr uint16_t kDefaultPort = 11211;

// Appends `i`'s label to `out`, which the caller clears; reusing one string
// keeps the build to a handful of allocations.
void AppendLabel(RingStyle style, absl::string_view host, uint16_t port, uint32_t i,
                 std::string* out) {
  if (style == RingStyle::kSpy) {
    absl::StrAppend(out, "/", host, ":", port, "-", i);
  } else if (port == kDefaultPort) {
    absl::StrAppend(out, host, "-", i);
  } else {
    absl::StrAppend(out, host, ":", port, "-", i);
  }
}

}  // namespace

std::string RingLabel(RingStyle style, absl::string_view host, uint16_t port, uint32_t i) {
  std::string label;
  AppendLabel(style, host, port, i, &label);
  return label;
}

uint32_t WeightedPoints(uint32_t weight, uint64_t total_weight, uint32_t live_servers) {
  // Step by step in float, as libmemcached computes
  //   floor((float)(pct * 160 / 4 * (float)live + 0.0000000001F)) * 4
  // with pct = (float)weight / (float)total. Rounding at each float step is
  // what decides borderline counts (29/60 of 3 servers gives 57.99999, so 57
  // groups, where double arithmetic gives 58), so the order of operations
  // matters. The 1e-10 is libketama's guard for double; in float it changes
  // nothing, but it is kept to mirror the formula.
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float x = pct * static_cast<float>(kPointsPerServerWeighted);
  x = x / 4.0f;
  x = x * static_cast<float>(live_servers);
  x = x + 0.0000000001f;
  return static_cast<uint32_t>(std::floor(x)) * 4;
}

std::vector<RingPoint> BuildRing(absl::Span<const RingServer> servers, RingStyle style,
                                 bool weighted, HashAlgorithm hash) {
  uint32_t live_servers = 0;
  uint64_t total_weight = 0;
  for (const RingServer& server : servers) {
    if (!server.live) continue;
    ++live_servers;
    total_weight += server.weight;
  }

  std::vector<RingPoint> points;
  points.reserve(static_cast<size_t>(live_servers) *
                 (weighted ? kPointsPerServerWeighted : kPointsPerServer));
  std::string label;
  for (size_t index = 0; index < servers.size(); ++index) {
    const RingServer& server = servers[index];
    if (!server.live) continue;
    const uint32_t i32 = static_cast<uint32_t>(index);
    if (weighted) {
      const uint32_t groups = WeightedPoints(server.weight, total_weight, live_servers) / 4;
      for (uint32_t i = 0; i < groups; ++i) {
        label.clear();
        AppendLabel(style, server.host, server.port, i, &label);
        const Md5Digest digest = Md5(label);
        for (int word = 0; word < 4; ++word) {
          points.push_back(RingPoint{Md5Word(digest, word), i32});
        }
      }
    } else {
      for (uint32_t i = 0; i < kPointsPerServer; ++i) {
        label.clear();
        AppendLabel(style, server.host, server.port, i, &label);
        points.push_back(RingPoint{Hash(hash, label), i32});
      }
    }
  }
  std::sort(points.begin(), points.end(), [](const RingPoint& a, const RingPoint& b) {
    return a.value != b.value ? a.value < b.value : a.index < b.index;
  });
  return points;
}

}  // namespace internal
}  // namespace hash
}  // namespace memkit
