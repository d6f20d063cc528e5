// CacheSession and the watch log (watch_log.h): the text "watch" command,
// which turns the connection into a watcher fed from its loop thread, and
// the engine calls wrapped so that they report memcached's item_get and
// item_store events while someone watches.

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/protocol/text_reply_writer.h"
#include "server/handlers/cache_session.h"

namespace memkit {
namespace server {
namespace internal {

// A text watcher's link from the log to its connection. The session owns
// it; the log's wake function and the loop tasks hold it weakly, so a task
// that runs after the session closed does nothing.
struct WatchPump {
  CacheSession* session = nullptr;
  std::shared_ptr<WatchSubscriber> subscriber;
  bool retry_pending = false;  // a retry timer is armed (loop thread)
};

namespace {

// Stop moving lines into the socket's queue while this much waits unsent:
// the rest stays in the subscriber's bounded queue (and is skipped past it).
constexpr size_t kWatchOutputHighWater = 256 * 1024;

const char* StoreCommandName(StoreMode mode) {
  switch (mode) {
    case StoreMode::kSet: return "set";
    case StoreMode::kAdd: return "add";
    case StoreMode::kReplace: return "replace";
    case StoreMode::kAppend: return "append";
    case StoreMode::kPrepend: return "prepend";
    case StoreMode::kCas: return "cas";
  }
  return "null";
}

WatchLog::StoreStatus StoreStatusOf(McCode code) {
  switch (code) {
    case McCode::kOk: return WatchLog::StoreStatus::kStored;
    case McCode::kExists: return WatchLog::StoreStatus::kExists;
    case McCode::kNotFound: return WatchLog::StoreStatus::kNotFound;
    case McCode::kTooLarge: return WatchLog::StoreStatus::kTooLarge;
    case McCode::kOutOfMemory: return WatchLog::StoreStatus::kNoMemory;
    default: return WatchLog::StoreStatus::kNotStored;
  }
}

}  // namespace

void CacheSession::AdminWatch(absl::Span<const absl::string_view> args, bool noreply) {
  auto reply = [this, noreply](absl::string_view line) {
    if (!noreply) out()->Append(line);
  };
  if (ex()->HasUnwrittenReplies()) {
    reply("ERROR cannot pipeline other commands before watch\r\n");
    return;
  }
  if (!core_->options.watch_enabled) {
    reply("CLIENT_ERROR watch commands not allowed\r\n");
    return;
  }
  // memkit streams the kinds it has events for; the others (rawcmds,
  // sysevents, proxy*) are accepted, as by memcached, and stay silent.
  static constexpr struct {
    absl::string_view name;
    uint32_t bits;
  } kKinds[] = {{"rawcmds", 0},           {"evictions", kWatchEvictions},
                {"fetchers", kWatchFetchers}, {"mutations", kWatchMutations},
                {"sysevents", 0},         {"connevents", kWatchConnEvents},
                {"proxyreqs", 0},         {"proxyevents", 0},
                {"proxyuser", 0}};
  uint32_t kinds = 0;
  for (absl::string_view arg : args) {
    bool known = false;
    for (const auto& k : kKinds) {
      if (arg == k.name) {
        known = true;
        kinds |= k.bits;
      }
    }
    if (!known) {
      reply(protocol::kTextError);
      return;
    }
  }
  if (args.empty()) kinds = kWatchFetchers;  // memcached's default
  auto pump = std::make_shared<WatchPump>();
  std::weak_ptr<WatchPump> weak = pump;
  net::EventLoop* loop = worker_->loop;
  auto sub = core_->watch_log.Subscribe(kinds, [weak, loop] {
    loop->Post([weak] {
      if (auto p = weak.lock()) {
        if (p->session != nullptr) p->session->FlushWatch();
      }
    });
  });
  if (!sub.ok()) {
    reply("WATCHER_TOO_MANY log watcher limit reached\r\n");
    return;
  }
  pump->session = this;
  pump->subscriber = std::move(*sub);
  watch_ = std::move(pump);
  // memcached hands the connection to its logger thread, which says OK and
  // then only writes log lines; the connection reads nothing more.
  out()->Append(protocol::kTextOk);
  ex()->WritePoint();
  ex()->IgnoreInput();
  ex()->DiscardBufferedInput();
}

void CacheSession::FlushWatch() {
  if (watch_ == nullptr || frontend_ == nullptr) return;
  net::Connection* sock = frontend_->socket();
  if (sock == nullptr || sock->closed()) return;
  if (sock->output().size() > kWatchOutputHighWater) {
    // A slow reader: try again shortly; meanwhile the subscriber's queue
    // fills and the log skips lines for it, as memcached's does.
    if (!watch_->retry_pending) {
      watch_->retry_pending = true;
      std::weak_ptr<WatchPump> weak = watch_;
      worker_->loop->RunAfter(absl::Milliseconds(10), [weak] {
        if (auto p = weak.lock()) {
          p->retry_pending = false;
          if (p->session != nullptr) p->session->FlushWatch();
        }
      });
    }
    return;
  }
  std::string chunk;
  for (const WatchSubscriber::Entry& e : watch_->subscriber->Take()) {
    if (e.skipped_before > 0) absl::StrAppend(&chunk, "skipped=", e.skipped_before, "\n");
    chunk += e.event->line;
  }
  if (chunk.empty()) return;
  sock->output().Append(chunk);
  sock->Flush();
}

void CacheSession::StopWatching() {
  if (watch_ == nullptr) return;
  core_->watch_log.Unsubscribe(watch_->subscriber.get());
  watch_->session = nullptr;
  watch_.reset();
}

// ---- the engine, reporting to the log

void CacheSession::LogLookup(absl::string_view key) {
  ItemInfo info;
  switch (core_->cache->ProbeKey(key, &info)) {
    case Cache::Probe::kLive:
      core_->watch_log.ItemGet(key, WatchLog::GetStatus::kFound, info.slab_class, fd,
                               info.value_length);
      return;
    // memcached has dropped the item by the time it logs: class and size 0.
    case Cache::Probe::kFlushed:
      core_->watch_log.ItemGet(key, WatchLog::GetStatus::kFlushed, 0, fd, 0);
      return;
    case Cache::Probe::kExpired:
      core_->watch_log.ItemGet(key, WatchLog::GetStatus::kExpired, 0, fd, 0);
      return;
    case Cache::Probe::kAbsent:
      break;
  }
  core_->watch_log.ItemGet(key, WatchLog::GetStatus::kNotFound, 0, fd, 0);
}

StoreResult CacheSession::StoreWatched(absl::string_view key, absl::string_view value,
                                       const StoreRequest& request) {
  WatchLookup(key);
  const StoreResult r = core_->cache->Store(key, value, request);
  if (!core_->watch_log.Wants(kWatchMutations)) return r;
  const Cache& cache = *core_->cache;
  int clsid = cache.SlabClassFor(cache.ItemSize(key.size(), request.client_flags, value.size()));
  int64_t ttl = cache.TtlFor(request.exptime);
  int64_t size = static_cast<int64_t>(value.size());
  if (r.code == McCode::kOk &&
      (request.mode == StoreMode::kAppend || request.mode == StoreMode::kPrepend)) {
    // memcached logs the combined item it stored.
    if (const std::optional<ItemInfo> info = core_->cache->Inspect(key)) {
      clsid = info->slab_class;
      ttl = info->ttl < 0 ? 0 : info->ttl;
      size = info->value_length;
    }
  }
  core_->watch_log.ItemStore(key, StoreStatusOf(r.code), StoreCommandName(request.mode), ttl,
                             clsid, fd, size);
  return r;
}

ArithmeticResult CacheSession::ArithmeticWatched(absl::string_view key,
                                                const ArithmeticOptions& options, bool meta) {
  WatchLookup(key);
  const ArithmeticResult r = core_->cache->Arithmetic(key, options);
  if (r.created && core_->watch_log.Wants(kWatchFetchers | kWatchMutations)) {
    // memcached creates the counter with an add, which looks the key up
    // again first (and misses).
    if (core_->watch_log.Wants(kWatchFetchers)) {
      core_->watch_log.ItemGet(key, WatchLog::GetStatus::kNotFound, 0, fd, 0);
    }
    if (core_->watch_log.Wants(kWatchMutations)) {
      const Cache& cache = *core_->cache;
      const size_t length = absl::StrCat(options.initial).size();
      core_->watch_log.ItemStore(key, WatchLog::StoreStatus::kStored, "add",
                                 // ma creates it with no expiry and sets it after.
                                 meta ? 0 : cache.TtlFor(options.vivify_exptime),
                                 cache.SlabClassFor(cache.ItemSize(key.size(), 0, length)), fd,
                                 static_cast<int64_t>(length));
    }
  }
  return r;
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
