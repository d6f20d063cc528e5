// The server's log stream as its readers see it: memcached's "watch" events
// (LogEvent, with memcached 1.6.18's line), in the entries a LogSubscription
// (Server::SubscribeLog) hands over. A small header of its own so that the
// log (server/handlers/watch_log.h) and Server share the types without
// depending on each other.
//
// Thread-safety: LogEvent is immutable once published and shared by the
// subscribers; a LogSubscription has one reader at a time.

#ifndef MEMKIT_SERVER_LOG_EVENT_H_
#define MEMKIT_SERVER_LOG_EVENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace memkit {
namespace server {

// Event kinds, as bits (memcached's watch fetchers / mutations / evictions /
// connevents).
enum LogKind : uint32_t {
  kLogFetchers = 1u << 0,
  kLogMutations = 1u << 1,
  kLogEvictions = 1u << 2,
  kLogConnEvents = 1u << 3,
};

// One event, with memcached 1.6.18's line for it.
struct LogEvent {
  uint64_t gid = 0;      // global id, in logging order
  int64_t ts_sec = 0;    // wall clock
  int32_t ts_usec = 0;
  uint32_t kind = 0;     // one LogKind
  std::string type;      // "item_get", "item_store", "eviction", "conn_new", "conn_close"
  std::string key;       // raw bytes (item events)
  std::string status;    // found, not_found, stored, exists, ...; the close reason
  std::string command;   // item_store: set, add, replace, append, prepend, cas
  int fd = -1;           // the client connection (cfd, its id); -1 for evictions
  int64_t size = 0;      // value bytes
  std::string line;      // memcached's line, '\n'-terminated
};

struct LogEntry {
  uint64_t skipped_before = 0;  // events this subscriber missed (fell behind) before it
  std::shared_ptr<const LogEvent> event;
};

// A subscription to the log stream. Thread-compatible (one reader); must not
// outlive its Server.
class LogSubscription {
 public:
  virtual ~LogSubscription() = default;
  // Waits until events are queued or `timeout` passes; returns them, oldest
  // first (empty on timeout).
  virtual std::vector<LogEntry> Wait(absl::Duration timeout) = 0;
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_LOG_EVENT_H_
