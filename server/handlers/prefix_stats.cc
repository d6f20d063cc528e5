#include "server/handlers/prefix_stats.h"

#include <cstring>

#include "absl/strings/str_format.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

inline uint32_t Rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

}  // namespace

uint32_t MemcachedMurmur3(absl::string_view data) {
  constexpr uint32_t c1 = 0xcc9e2d51;
  constexpr uint32_t c2 = 0x1b873593;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const size_t len = data.size();
  uint32_t h = 0;
  const size_t blocks = len / 4;
  for (size_t i = 0; i < blocks; ++i) {
    // memcached reads blocks in host order; x86 and friends are little-endian.
    uint32_t k = uint32_t{bytes[4 * i]} | uint32_t{bytes[4 * i + 1]} << 8 |
                 uint32_t{bytes[4 * i + 2]} << 16 | uint32_t{bytes[4 * i + 3]} << 24;
    k *= c1;
    k = Rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = Rotl32(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const uint8_t* tail = bytes + blocks * 4;
  uint32_t k = 0;
  switch (len & 3) {
    case 3:
      k ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      k ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= c1;
      k = Rotl32(k, 15);
      k *= c2;
      h ^= k;
      break;
    default:
      break;
  }
  h ^= static_cast<uint32_t>(len);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

PrefixStats::Entry* PrefixStats::Find(absl::string_view key) {
  size_t length = 0;
  while (length < key.size() && key[length] != '\0' && key[length] != ':') ++length;
  if (length == key.size() || key[length] != ':') return nullptr;
  const absl::string_view prefix = key.substr(0, length);
  auto& bucket = buckets_[MemcachedMurmur3(prefix) % kBuckets];
  // Newest first; memcached's strncmp(prefix, key, length) also accepts a
  // longer stored prefix that starts with this one.
  for (auto it = bucket.rbegin(); it != bucket.rend(); ++it) {
    const std::string& p = (*it)->prefix;
    if (p.size() >= length && std::memcmp(p.data(), prefix.data(), length) == 0) return it->get();
  }
  if (count_ >= kMaxPrefixes) return nullptr;
  bucket.push_back(std::make_unique<Entry>());
  bucket.back()->prefix = std::string(prefix);
  ++count_;
  return bucket.back().get();
}

void PrefixStats::RecordGet(absl::string_view key, bool hit) {
  MutexLock lock(&mu_);
  Entry* e = Find(key);
  if (e == nullptr) return;
  ++e->gets;
  if (hit) ++e->hits;
}

void PrefixStats::RecordSet(absl::string_view key) {
  MutexLock lock(&mu_);
  if (Entry* e = Find(key)) ++e->sets;
}

void PrefixStats::RecordDelete(absl::string_view key) {
  MutexLock lock(&mu_);
  if (Entry* e = Find(key)) ++e->deletes;
}

std::string PrefixStats::Dump() const {
  std::string out;
  MutexLock lock(&mu_);
  for (const auto& bucket : buckets_) {
    for (auto it = bucket.rbegin(); it != bucket.rend(); ++it) {
      const Entry& e = **it;
      absl::StrAppendFormat(&out, "PREFIX %s get %u hit %u set %u del %u\r\n", e.prefix, e.gets,
                            e.hits, e.sets, e.deletes);
    }
  }
  out += "END\r\n";
  return out;
}

void PrefixStats::Clear() {
  MutexLock lock(&mu_);
  for (auto& bucket : buckets_) bucket.clear();
  count_ = 0;
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
