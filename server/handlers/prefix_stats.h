// PrefixStats: memcached's "stats detail" counters. While detail is on
// ("stats detail on"), every text get/gets/gat/gats key, text storage
// command, text delete, and binary get/touch/gat, storage and delete counts
// against the key's prefix (the bytes before its first delimiter, ':' unless
// memcached's -D chose another); "stats detail
// dump" prints them as memcached does:
//
//   PREFIX foo get 2 hit 1 set 1 del 0\r\n ... END\r\n
//
// in memcached's order (its 256-bucket table under MurmurHash3, newest
// first within a bucket), with its quirks: keys without ':' (or with a NUL
// before it) are not counted, a prefix matches an existing longer one that
// starts with it and shares its bucket, and at most 65536 prefixes are kept.
// Meta commands, incr/decr and text touch are not counted (memcached 1.6.18
// does not count them either).
//
// Thread-safety: all methods may be called from any thread (one mutex).

#ifndef MEMKIT_SERVER_HANDLERS_PREFIX_STATS_H_
#define MEMKIT_SERVER_HANDLERS_PREFIX_STATS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "core/sync/mutex.h"

namespace memkit {
namespace server {
namespace internal {

class PrefixStats {
 public:
  explicit PrefixStats(char delimiter = ':') : delimiter_(delimiter) {}
  PrefixStats(const PrefixStats&) = delete;
  PrefixStats& operator=(const PrefixStats&) = delete;

  void RecordGet(absl::string_view key, bool hit);
  void RecordSet(absl::string_view key);
  void RecordDelete(absl::string_view key);

  // The "stats detail dump" reply, "END\r\n" included.
  std::string Dump() const;
  // "stats reset" forgets every prefix.
  void Clear();

 private:
  struct Entry {
    std::string prefix;
    uint64_t gets = 0;
    uint64_t hits = 0;
    uint64_t sets = 0;
    uint64_t deletes = 0;
  };
  static constexpr size_t kBuckets = 256;  // memcached's PREFIX_HASH_SIZE
  static constexpr size_t kMaxPrefixes = 65536;

  // memcached's stats_prefix_find(): the entry for `key`'s prefix, created
  // if needed; null when the key has no prefix or the table is full.
  Entry* Find(absl::string_view key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const char delimiter_;
  mutable Mutex mu_;
  // Each bucket oldest first (memcached prepends; Dump() walks backwards).
  std::array<std::vector<std::unique_ptr<Entry>>, kBuckets> buckets_ ABSL_GUARDED_BY(mu_);
  size_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_PREFIX_STATS_H_
