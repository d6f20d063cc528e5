// WatchLog: memcached's log stream ("watch fetchers mutations evictions
// connevents") inside memkit-server. Request paths report what happened
// (an item looked up, stored, evicted; a connection opened or closed); the
// log numbers each event with a global id (gid), stamps it with the wall
// clock, renders memcached 1.6.18's exact line for it, and hands it to every
// subscriber that asked for its kind: the text watchers (CacheSession) and
// the admin API's Cache.Watch.
//
// Cheap when nobody watches: callers check Wants(kind) first, one relaxed
// atomic load, and build nothing when it is false.
//
// Each subscriber has a bounded queue (memcached's watcher buffer, 256 KiB
// of lines): a publisher never waits for a watcher; when a queue is full the
// event is skipped for that subscriber and counted, and the next event that
// fits carries how many were skipped before it (memcached's "skipped=N"
// line).
//
// Thread-safety: thread-safe. While watchers exist, publishing an event takes
// the log's lock and each interested subscriber's, briefly; never otherwise.

#ifndef MEMKIT_SERVER_HANDLERS_WATCH_LOG_H_
#define MEMKIT_SERVER_HANDLERS_WATCH_LOG_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/sync/mutex.h"
#include "server/log_event.h"

namespace memkit {
namespace server {
namespace internal {

// memcached's uriencode(): everything but [A-Za-z0-9-._~] as %XX. How keys
// appear in watch lines and metadump.
std::string UriEncode(absl::string_view key);

// Event kinds, as bits (memcached's LOG_FETCHERS, ...); log_event.h's LogKind.
enum WatchKind : uint32_t {
  kWatchFetchers = kLogFetchers,
  kWatchMutations = kLogMutations,
  kWatchEvictions = kLogEvictions,
  kWatchConnEvents = kLogConnEvents,
};

// One logged event (log_event.h). Immutable once published; shared by the
// subscribers.
using WatchEvent = LogEvent;

// One watcher's queue. Thread-safe.
class WatchSubscriber {
 public:
  using Entry = LogEntry;

  uint32_t kinds() const { return kinds_; }
  // Everything queued, oldest first; empties the queue (a later event calls
  // the wake function again).
  std::vector<Entry> Take() ABSL_LOCKS_EXCLUDED(mu_);
  // Events skipped and not yet reported with an entry.
  uint64_t pending_skipped() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class WatchLog;
  WatchSubscriber(uint32_t kinds, size_t capacity, std::function<void()> wake)
      : kinds_(kinds), capacity_(capacity), wake_(std::move(wake)) {}
  // Queues `e` or counts it skipped; true if queued into an empty queue
  // (the caller then calls wake_).
  bool Offer(const std::shared_ptr<const WatchEvent>& e, bool* skipped) ABSL_LOCKS_EXCLUDED(mu_);

  const uint32_t kinds_;
  const size_t capacity_;
  const std::function<void()> wake_;
  mutable Mutex mu_;
  std::deque<Entry> queue_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t skipped_ ABSL_GUARDED_BY(mu_) = 0;
};

class WatchLog {
 public:
  struct Options {
    // Bytes of lines one watcher may have waiting (memcached's
    // watcher_logbuf_size).
    size_t watcher_buffer_bytes = 256 * 1024;
    // memcached's WATCHER_LIMIT.
    int max_watchers = 20;
  };

  // memcached's item_get outcomes.
  enum class GetStatus { kNotFound, kFound, kFlushed, kExpired };
  // memcached's store outcomes.
  enum class StoreStatus { kNotStored, kStored, kExists, kNotFound, kTooLarge, kNoMemory };
  // memcached's conn_close reasons.
  enum class CloseReason { kError, kNormal, kIdleTimeout, kShutdown };

  WatchLog() : WatchLog(Options()) {}
  explicit WatchLog(const Options& options) : options_(options) {}
  WatchLog(const WatchLog&) = delete;
  WatchLog& operator=(const WatchLog&) = delete;

  // Whether any subscriber wants `kinds` (any of the bits). One relaxed load.
  bool Wants(uint32_t kinds) const {
    return (mask_.load(std::memory_order_relaxed) & kinds) != 0;
  }

  // Adds a subscriber for `kinds`. `wake` is called, from the publishing
  // thread and without the subscriber's lock, when an event lands in its
  // empty queue; it must not block nor call back into the log. It sees only
  // events published after it joined (as memcached, joining takes a gid).
  // ResourceExhausted when max_watchers subscribe already.
  absl::StatusOr<std::shared_ptr<WatchSubscriber>> Subscribe(uint32_t kinds,
                                                             std::function<void()> wake)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Unsubscribe(const WatchSubscriber* subscriber) ABSL_LOCKS_EXCLUDED(mu_);

  // ---- events (call only when Wants(kind))
  void ItemGet(absl::string_view key, GetStatus status, int clsid, int fd, int64_t size);
  // `ttl`: seconds left (0: never expires).
  void ItemStore(absl::string_view key, StoreStatus status, absl::string_view command,
                 int64_t ttl, int clsid, int fd, int64_t size);
  // `ttl`: seconds left, -1 never; `idle`: seconds since the last access.
  void Eviction(absl::string_view key, bool fetched, int64_t ttl, uint32_t idle, int clsid,
                int64_t size);
  // `peer`: "tcp:HOST:PORT", "udp:HOST:PORT" or "unix:PATH".
  void ConnNew(absl::string_view peer, int fd);
  void ConnClose(absl::string_view peer, CloseReason reason, int fd);

  // ---- "stats"
  // Events logged (memcached's log_worker_written), lines queued to
  // watchers (log_watcher_sent), lines skipped for full watchers.
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }
  size_t watchers() const ABSL_LOCKS_EXCLUDED(mu_);

  static const char* GetStatusName(GetStatus s);
  static const char* StoreStatusName(StoreStatus s);
  static const char* CloseReasonName(CloseReason r);

 private:
  // Stamps (gid, time), renders the line with `body` after "ts=.. gid=.. "
  // and hands it out.
  void Publish(WatchEvent e, absl::string_view body) ABSL_LOCKS_EXCLUDED(mu_);
  void UpdateMask() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  std::atomic<uint32_t> mask_{0};
  std::atomic<uint64_t> gid_{0};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> skipped_{0};
  mutable Mutex mu_;
  std::vector<std::shared_ptr<WatchSubscriber>> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_WATCH_LOG_H_
