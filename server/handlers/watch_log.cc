#include "server/handlers/watch_log.h"

#include <sys/time.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace memkit {
namespace server {
namespace internal {

std::string UriEncode(absl::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (unsigned char c : key) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// ---- WatchSubscriber

bool WatchSubscriber::Offer(const std::shared_ptr<const WatchEvent>& e, bool* skipped) {
  MutexLock lock(&mu_);
  // memcached asks its buffer for the line plus 128 bytes (room for a
  // "skipped=" line) and skips the event when that does not fit.
  if (bytes_ + e->line.size() + 128 > capacity_) {
    ++skipped_;
    *skipped = true;
    return false;
  }
  *skipped = false;
  const bool was_empty = queue_.empty();
  queue_.push_back(Entry{skipped_, e});
  skipped_ = 0;
  bytes_ += e->line.size();
  return was_empty;
}

std::vector<WatchSubscriber::Entry> WatchSubscriber::Take() {
  MutexLock lock(&mu_);
  std::vector<Entry> out(std::make_move_iterator(queue_.begin()),
                         std::make_move_iterator(queue_.end()));
  queue_.clear();
  bytes_ = 0;
  return out;
}

uint64_t WatchSubscriber::pending_skipped() const {
  MutexLock lock(&mu_);
  return skipped_;
}

// ---- WatchLog

absl::StatusOr<std::shared_ptr<WatchSubscriber>> WatchLog::Subscribe(
    uint32_t kinds, std::function<void()> wake) {
  MutexLock lock(&mu_);
  if (static_cast<int>(subscribers_.size()) >= options_.max_watchers) {
    return absl::ResourceExhaustedError("log watcher limit reached");
  }
  std::shared_ptr<WatchSubscriber> sub(
      new WatchSubscriber(kinds, options_.watcher_buffer_bytes, std::move(wake)));
  subscribers_.push_back(sub);
  // memcached's logger_add_watcher takes a gid (the watcher's min_gid).
  gid_.fetch_add(1, std::memory_order_relaxed);
  UpdateMask();
  return sub;
}

void WatchLog::Unsubscribe(const WatchSubscriber* subscriber) {
  MutexLock lock(&mu_);
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [subscriber](const std::shared_ptr<WatchSubscriber>& s) {
                                      return s.get() == subscriber;
                                    }),
                     subscribers_.end());
  UpdateMask();
}

void WatchLog::UpdateMask() {
  uint32_t mask = 0;
  for (const auto& s : subscribers_) mask |= s->kinds();
  mask_.store(mask, std::memory_order_relaxed);
}

size_t WatchLog::watchers() const {
  MutexLock lock(&mu_);
  return subscribers_.size();
}

void WatchLog::Publish(WatchEvent e, absl::string_view body) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  e.gid = gid_.fetch_add(1, std::memory_order_relaxed) + 1;
  written_.fetch_add(1, std::memory_order_relaxed);
  e.ts_sec = tv.tv_sec;
  e.ts_usec = static_cast<int32_t>(tv.tv_usec);
  // memcached prints the microseconds with %d: not zero-padded.
  e.line = absl::StrFormat("ts=%d.%d gid=%u %s\n", e.ts_sec, e.ts_usec, e.gid, body);
  auto event = std::make_shared<const WatchEvent>(std::move(e));
  MutexLock lock(&mu_);
  for (const auto& s : subscribers_) {
    if ((s->kinds() & event->kind) == 0) continue;
    bool skipped = false;
    if (s->Offer(event, &skipped)) s->wake_();
    if (skipped) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
    } else {
      sent_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

const char* WatchLog::GetStatusName(GetStatus s) {
  switch (s) {
    case GetStatus::kNotFound: return "not_found";
    case GetStatus::kFound: return "found";
    case GetStatus::kFlushed: return "flushed";
    case GetStatus::kExpired: return "expired";
  }
  return "not_found";
}

const char* WatchLog::StoreStatusName(StoreStatus s) {
  switch (s) {
    case StoreStatus::kNotStored: return "not_stored";
    case StoreStatus::kStored: return "stored";
    case StoreStatus::kExists: return "exists";
    case StoreStatus::kNotFound: return "not_found";
    case StoreStatus::kTooLarge: return "too_large";
    case StoreStatus::kNoMemory: return "no_memory";
  }
  return "not_stored";
}

const char* WatchLog::CloseReasonName(CloseReason r) {
  switch (r) {
    case CloseReason::kError: return "error";
    case CloseReason::kNormal: return "normal";
    case CloseReason::kIdleTimeout: return "idle_timeout";
    case CloseReason::kShutdown: return "shutdown";
  }
  return "error";
}

void WatchLog::ItemGet(absl::string_view key, GetStatus status, int clsid, int fd,
                       int64_t size) {
  WatchEvent e;
  e.kind = kWatchFetchers;
  e.type = "item_get";
  e.key = std::string(key);
  e.status = GetStatusName(status);
  e.fd = fd;
  e.size = size;
  Publish(std::move(e), absl::StrFormat("type=item_get key=%s status=%s clsid=%u cfd=%d size=%d",
                                        UriEncode(key), GetStatusName(status), clsid, fd, size));
}

void WatchLog::ItemStore(absl::string_view key, StoreStatus status, absl::string_view command,
                         int64_t ttl, int clsid, int fd, int64_t size) {
  WatchEvent e;
  e.kind = kWatchMutations;
  e.type = "item_store";
  e.key = std::string(key);
  e.status = StoreStatusName(status);
  e.command = std::string(command);
  e.fd = fd;
  e.size = size;
  // memcached prints the ttl as unsigned.
  Publish(std::move(e),
          absl::StrFormat("type=item_store key=%s status=%s cmd=%s ttl=%u clsid=%u cfd=%d size=%d",
                          UriEncode(key), StoreStatusName(status), command,
                          static_cast<uint32_t>(ttl), clsid, fd, size));
}

void WatchLog::Eviction(absl::string_view key, bool fetched, int64_t ttl, uint32_t idle,
                        int clsid, int64_t size) {
  WatchEvent e;
  e.kind = kWatchEvictions;
  e.type = "eviction";
  e.key = std::string(key);
  e.size = size;
  Publish(std::move(e),
          absl::StrFormat("type=eviction key=%s fetch=%s ttl=%d la=%d clsid=%u size=%d",
                          UriEncode(key), fetched ? "yes" : "no", ttl, idle, clsid, size));
}

namespace {

// "tcp:127.0.0.1:5555" -> (tcp, 127.0.0.1, 5555); "unix:/path" -> (local,
// unix, 0), as memcached prints them.
void SplitPeer(absl::string_view peer, absl::string_view* transport, std::string* ip,
               int* port) {
  *port = 0;
  if (absl::StartsWith(peer, "unix:")) {
    *transport = "local";
    *ip = "unix";
    return;
  }
  *transport = absl::StartsWith(peer, "udp:") ? "udp" : "tcp";
  const size_t colon = peer.find(':');
  absl::string_view rest = colon == absl::string_view::npos ? peer : peer.substr(colon + 1);
  const size_t last = rest.rfind(':');
  if (last == absl::string_view::npos) {
    *ip = std::string(rest);
    return;
  }
  absl::string_view host = rest.substr(0, last);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  *ip = std::string(host);
  int p = 0;
  for (char c : rest.substr(last + 1)) {
    if (c < '0' || c > '9') break;
    p = p * 10 + (c - '0');
  }
  *port = p;
}

}  // namespace

void WatchLog::ConnNew(absl::string_view peer, int fd) {
  absl::string_view transport;
  std::string ip;
  int port = 0;
  SplitPeer(peer, &transport, &ip, &port);
  WatchEvent e;
  e.kind = kWatchConnEvents;
  e.type = "conn_new";
  e.fd = fd;
  Publish(std::move(e), absl::StrFormat("type=conn_new rip=%s rport=%d transport=%s cfd=%d", ip,
                                        port, transport, fd));
}

void WatchLog::ConnClose(absl::string_view peer, CloseReason reason, int fd) {
  absl::string_view transport;
  std::string ip;
  int port = 0;
  SplitPeer(peer, &transport, &ip, &port);
  WatchEvent e;
  e.kind = kWatchConnEvents;
  e.type = "conn_close";
  e.status = CloseReasonName(reason);
  e.fd = fd;
  Publish(std::move(e),
          absl::StrFormat("type=conn_close rip=%s rport=%d transport=%s reason=%s cfd=%d", ip,
                          port, transport, CloseReasonName(reason), fd));
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
