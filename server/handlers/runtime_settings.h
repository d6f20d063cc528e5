// RuntimeSettings: the server's knobs that commands change while it runs
// ("verbosity", "stats detail on", "lru_crawler enable", "stats
// sizes_enable", and the admin commands' "slabs automove", "lru tune",
// "extstore ...") and that "stats settings" reports.
//
// memkit has no slab mover, segmented LRU or extstore: it keeps those
// values (Knobs) so that what a client sets is what it reads back, with
// memcached 1.6.18's defaults.
//
// Thread-safety: thread-safe. The flags read on the request path are
// atomics; Knobs are copied out and updated under the settings' own lock.

#ifndef MEMKIT_SERVER_HANDLERS_RUNTIME_SETTINGS_H_
#define MEMKIT_SERVER_HANDLERS_RUNTIME_SETTINGS_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "core/sync/mutex.h"
#include "server/tunables.h"

namespace memkit {
namespace server {
namespace internal {

class RuntimeSettings {
 public:
  // What admin commands set and "stats settings" prints; memcached's defaults.
  // What the admin commands change (their starting values come from
  // ServerOptions::tunables.live).
  using Knobs = LiveTunables;

  RuntimeSettings(int verbosity, bool lru_crawler, bool track_sizes)
      : verbosity_(verbosity), lru_crawler_enabled_(lru_crawler), track_sizes_(track_sizes) {}
  RuntimeSettings(const RuntimeSettings&) = delete;
  RuntimeSettings& operator=(const RuntimeSettings&) = delete;

  // A copy of the knobs.
  Knobs Get() const ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    return knobs_;
  }
  // Changes the knobs under the lock.
  void Update(absl::FunctionRef<void(Knobs*)> change) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    change(&knobs_);
  }

  // -v / "verbosity": 0, 1 (errors, connections) or 2 (every command).
  int verbosity() const { return verbosity_.load(std::memory_order_relaxed); }
  void set_verbosity(int level) { verbosity_.store(level, std::memory_order_relaxed); }
  // "stats detail on|off": count per key prefix.
  bool detail_enabled() const { return detail_enabled_.load(std::memory_order_relaxed); }
  void set_detail_enabled(bool on) { detail_enabled_.store(on, std::memory_order_relaxed); }
  // "lru_crawler enable|disable".
  bool lru_crawler_enabled() const { return lru_crawler_enabled_.load(std::memory_order_relaxed); }
  // Enables it; returns whether it already was.
  bool EnableLruCrawler() { return lru_crawler_enabled_.exchange(true, std::memory_order_relaxed); }
  void DisableLruCrawler() { lru_crawler_enabled_.store(false, std::memory_order_relaxed); }
  // "stats sizes": -o track_sizes, or "stats sizes_enable", which counts
  // only items with a CAS from sizes_min_cas() on.
  bool track_sizes() const { return track_sizes_.load(std::memory_order_acquire); }
  uint64_t sizes_min_cas() const { return sizes_min_cas_.load(std::memory_order_acquire); }
  void EnableSizes(uint64_t min_cas) {
    sizes_min_cas_.store(min_cas, std::memory_order_release);
    track_sizes_.store(true, std::memory_order_release);
  }
  void DisableSizes() { track_sizes_.store(false, std::memory_order_release); }

 private:
  mutable Mutex mu_;
  Knobs knobs_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> verbosity_;
  std::atomic<bool> detail_enabled_{false};
  std::atomic<bool> lru_crawler_enabled_;
  std::atomic<bool> track_sizes_;
  std::atomic<uint64_t> sizes_min_cas_{0};
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_RUNTIME_SETTINGS_H_
