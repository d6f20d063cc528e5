#include "server/handlers/prefix_stats.h"

#include <cstring>

#include "absl/strings/str_format.h"
#include "core/hash/hash.h"

namespace memkit {
namespace server {
namespace internal {

PrefixStats::Entry* PrefixStats::Find(absl::string_view key) {
  size_t length = 0;
  while (length < key.size() && key[length] != '\0' && key[length] != delimiter_) ++length;
  if (length == key.size() || key[length] != delimiter_) return nullptr;
  const absl::string_view prefix = key.substr(0, length);
  auto& bucket = buckets_[hash::MurmurHash3_x86_32(prefix, 0) % kBuckets];
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
