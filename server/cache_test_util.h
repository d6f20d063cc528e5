// Helpers for the storage engine's tests: a cache on a ManualClock with the
// background sweep off, and one-line store/get wrappers.

#ifndef MEMKIT_SERVER_CACHE_TEST_UTIL_H_
#define MEMKIT_SERVER_CACHE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/net/clock.h"
#include "gtest/gtest.h"
#include "server/cache.h"

namespace memkit {
namespace server {
namespace testing {

// Options for a deterministic cache: the given clock, no sweeper thread.
inline CacheOptions TestOptions(const net::Clock* clock) {
  CacheOptions options;
  options.clock = clock;
  options.reclaim_interval = absl::ZeroDuration();
  options.num_shards = 4;
  options.hash_power = 8;
  return options;
}

inline std::unique_ptr<Cache> MakeCache(const CacheOptions& options) {
  auto cache = Cache::Create(options);
  EXPECT_TRUE(cache.ok()) << cache.status();
  return cache.ok() ? std::move(*cache) : nullptr;
}

inline StoreResult StoreAs(Cache& cache, StoreMode mode, absl::string_view key,
                           absl::string_view value, int64_t exptime = 0, uint32_t flags = 0,
                           uint64_t cas = 0) {
  StoreRequest request;
  request.mode = mode;
  request.exptime = exptime;
  request.client_flags = flags;
  request.cas = cas;
  return cache.Store(key, value, request);
}

inline StoreResult Set(Cache& cache, absl::string_view key, absl::string_view value,
                       int64_t exptime = 0, uint32_t flags = 0) {
  return StoreAs(cache, StoreMode::kSet, key, value, exptime, flags);
}

// The value stored under `key`, or "<miss>". Counts as a get.
inline std::string ValueOf(Cache& cache, absl::string_view key) {
  GetResult r = cache.Get(key);
  return r.hit() ? std::string(r.item.value()) : std::string("<miss>");
}

// Peeks without bumping or counting a hit (like `me`).
inline bool Present(Cache& cache, absl::string_view key) { return cache.Inspect(key).has_value(); }

}  // namespace testing
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_CACHE_TEST_UTIL_H_
