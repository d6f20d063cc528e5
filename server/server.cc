#include "server/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/net/socket.h"
#include "server/handlers/server_core.h"
#include "server/handlers/cache_session.h"
#include "server/persist.h"
#include "server/security.h"

namespace memkit {
namespace server {

using internal::ListenerSlot;
using internal::ServerCore;
using internal::CacheSession;
using internal::Worker;

absl::Status ValidateServerOptions(const ServerOptions& o) {
  auto bad = [](absl::string_view message) { return absl::InvalidArgumentError(message); };
  if (absl::Status s = internal::ValidateSecurityOptions(o); !s.ok()) return s;
  if (o.num_threads <= 0) return bad("Number of threads must be greater than 0");
  if (o.num_threads > 1024) return bad("Number of threads must be at most 1024");
  if (o.max_connections <= 0) return bad("Maximum connections must be greater than 0");
  if (o.reqs_per_event <= 0) return bad("Number of requests per event must be greater than 0");
  if (!(o.cache.growth_factor > 1.0)) return bad("Factor must be greater than 1");
  if (o.cache.chunk_size == 0) return bad("Chunk size must be greater than 0");
  if (o.port < 0 || o.port > 65535) return bad("Port must be between 0 and 65535");
  if (o.backlog <= 0) return bad("Listen backlog must be greater than 0");
  if (o.cache.memory_limit < 1024 * 1024) return bad("Memory limit must be at least 1 megabyte");
  if (o.cache.item_size_max < 1024) return bad("Item max size cannot be less than 1024 bytes.");
  if (o.cache.item_size_max > size_t{1024} * 1024 * 1024) {
    return bad("Cannot set item size limit higher than 1 gigabytes.");
  }
  if (o.cache.item_size_max > o.cache.memory_limit / 2) {
    return bad("Cannot set item size limit higher than 1/2 of memory max.");
  }
  if (o.cache.slab_chunk_max > o.cache.item_size_max) {
    return bad(absl::StrCat("slab_chunk_max (bytes: ", o.cache.slab_chunk_max,
                            ") cannot be larger than -I (item_size_max ", o.cache.item_size_max, ")"));
  }
  if (o.cache.hash_power != 0 && (o.cache.hash_power < 12 || o.cache.hash_power > 32)) {
    return bad("Hash power must be in the range 12 to 32");
  }
  if (o.unix_socket.size() > 107) return bad("Unix socket path is too long");
  if (o.unix_mask < 0 || o.unix_mask > 0777) return bad("Invalid unix socket mask");
  if (o.verbosity < 0) return bad("Verbosity must not be negative");
  if (o.idle_timeout < absl::ZeroDuration()) return bad("idle_timeout must not be negative");
  if (o.cache.num_shards < 1 || (o.cache.num_shards & (o.cache.num_shards - 1)) != 0 ||
      o.cache.num_shards > 1024) {
    return bad("num_shards must be a power of two from 1 to 1024");
  }
  if (o.persist_interval < absl::ZeroDuration()) return bad("persist_interval must not be negative");
  if (o.persist_dir.empty() && o.persist_interval > absl::ZeroDuration()) {
    return bad("persist_interval needs -o persist=DIR");
  }
  if (o.persist_dir.empty() && o.persist_strict) return bad("persist_strict needs -o persist=DIR");
  return absl::OkStatus();
}

namespace internal {

ServerCore::ServerCore(const ServerOptions& o)
    : options(o),
      clock(o.clock),
      settings(o.verbosity, o.cache.reclaim_interval > absl::ZeroDuration(), o.track_sizes),
      prefix_stats(o.tunables.prefix_delimiter) {
  pid = static_cast<int64_t>(getpid());
  frontend_options.protocols = o.protocol == BindingProtocol::kAuto    ? frontend::Protocols::kAuto
                               : o.protocol == BindingProtocol::kAscii ? frontend::Protocols::kText
                                                                       : frontend::Protocols::kBinary;
  frontend_options.ascii.max_value_size = o.cache.item_size_max;
  frontend_options.binary.item_size_max = o.cache.item_size_max;
  frontend_options.binary.use_cas = o.cache.use_cas;
  frontend_options.reqs_per_event = o.reqs_per_event;
  // Room for the largest item plus its command line, and for memcached's
  // longest multiget line.
  frontend_options.max_request_bytes =
      std::max(o.cache.item_size_max + 64 * 1024, size_t{1024 * 1024 + 16 * 1024});
  frontend_options.faults = &fault_hooks;
  frontend_options.request_latency = o.request_latency;
  // The command line's starting values of what admin commands change later.
  const Tunables& t = o.tunables;
  settings.Update([&t](RuntimeSettings::Knobs* k) { *k = t.live; });
  if (t.detail_enabled) settings.set_detail_enabled(true);  // -D
}

ServerCore::~ServerCore() = default;

std::vector<const WorkerCounters*> ServerCore::worker_counters() const {
  std::vector<const WorkerCounters*> all;
  all.reserve(workers.size());
  for (const auto& w : workers) all.push_back(&w->counters);
  return all;
}

void ServerCore::ResetStats() {
  cache->ResetStats();
  if (ascii_users != nullptr) ascii_users->ResetCounters();
  if (sasl_users != nullptr) sasl_users->ResetCounters();
  counters.Reset(worker_counters());
}

void ServerCore::Log(int level, const char* format, ...) const {
  if (settings.verbosity() < level) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
}

bool ServerCore::MarkShutdownRequested() {
  {
    MutexLock lock(&shutdown_mu_);
    if (shutdown_requested_) return true;
    shutdown_requested_ = true;
  }
  shutdown_cv_.SignalAll();
  return false;
}

bool ServerCore::shutdown_requested() const {
  MutexLock lock(&shutdown_mu_);
  return shutdown_requested_;
}

bool ServerCore::WaitForShutdownRequest(absl::Duration timeout) {
  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  MutexLock lock(&shutdown_mu_);
  while (!shutdown_requested_) {
    if (deadline == absl::InfiniteFuture()) {
      shutdown_cv_.Wait(&shutdown_mu_);
      continue;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    shutdown_cv_.WaitWithTimeout(&shutdown_mu_, left);
  }
  return true;
}

void ServerCore::RequestShutdown() {
  if (MarkShutdownRequested()) return;
  stopping.store(true, std::memory_order_release);
  // Stop serving now; the owner joins the threads in Server::Shutdown().
  if (acceptor != nullptr) acceptor->loop()->Post([this] { CloseListeners(); });
  for (const auto& w : workers) {
    Worker* worker = w.get();
    worker->loop->Post([worker] { CloseSessions(worker, /*graceful=*/true, /*reset=*/false); });
  }
}

void ServerCore::RunOnWorkers(const std::function<void(Worker*)>& fn) {
  Mutex mu;
  CondVar cv;
  size_t done = 0;
  for (const auto& w : workers) {
    Worker* worker = w.get();
    worker->loop->Post([&, worker] {
      fn(worker);
      MutexLock lock(&mu);
      ++done;
      cv.SignalAll();
    });
  }
  MutexLock lock(&mu);
  while (done != workers.size()) cv.Wait(&mu);
}

void ServerCore::RunOnAcceptor(const std::function<void()>& fn) {
  Mutex mu;
  CondVar cv;
  bool done = false;
  acceptor->loop()->Post([&] {
    fn();
    MutexLock lock(&mu);
    done = true;
    cv.SignalAll();
  });
  MutexLock lock(&mu);
  while (!done) cv.Wait(&mu);
}

void ServerCore::CloseSessions(Worker* worker, bool graceful, bool reset) {
  // Closing never unlinks synchronously (OnClose comes on a later turn), so
  // the list can be walked while closing.
  for (CacheSession* s = worker->sessions.head; s != nullptr; s = s->worker_next) {
    if (graceful) {
      s->frontend()->CloseGracefully();
    } else {
      s->frontend()->CloseNow(reset);
    }
  }
}

absl::Status ServerCore::OpenListeners() {
  return listeners.Open(acceptor->loop(),
                        [this](net::UniqueFd fd, const net::Address& peer, const ListenerSlot* slot) {
                          OnAccept(std::move(fd), peer, slot);
                        });
}

void ServerCore::OnAccept(net::UniqueFd fd, const net::Address& peer, const ListenerSlot* slot) {
  if (stopping.load(std::memory_order_acquire)) return;  // fd closes
  if (outage.load(std::memory_order_acquire) == static_cast<int>(Server::Outage::kReset)) {
    net::ResetAndClose(std::move(fd));
    return;
  }
  if (counters.curr_conns() >= options.max_connections) {
    static constexpr char kTooMany[] = "ERROR Too many open connections\r\n";
    ssize_t ignored = ::send(fd.get(), kTooMany, sizeof(kTooMany) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
    counters.ConnectionRejected();
    Log(1, "Too many open connections\n");
    return;
  }
  counters.ConnectionOpened();
  Worker* worker = workers[next_worker_++ % workers.size()].get();
  worker->loop->Post(
      [this, worker, slot, fd = std::move(fd), ip = net::CompactIpAddress(peer)]() mutable {
        CacheSession::Start(this, worker, slot, std::move(fd), ip);
      });
}

}  // namespace internal

// ---- Server -----------------------------------------------------------------

namespace {

// The clock items expire by: the server's own adjustable one when a test or
// debugtime may move it, else the options' (RealClock when null).
const net::Clock* ItemClock(ServerCore& core) {
  const ServerOptions& options = core.options;
  return options.adjustable_clock || options.enable_debugtime ? &core.clock : options.clock;
}

// The item store, on the clock the options choose.
absl::Status CreateEngine(ServerCore* core) {
  CacheOptions co = core->options.cache;
  co.clock = ItemClock(*core);
  // "watch evictions": the engine reports each eviction to the watch log
  // (declared before the engine in ServerCore, so it outlives it).
  internal::WatchLog* watch_log = &core->watch_log;
  std::function<void(const EvictedItem&)> user_hook = std::move(co.on_evict);
  co.on_evict = [watch_log, user_hook](const EvictedItem& e) {
    if (user_hook) user_hook(e);
    if (watch_log->Wants(internal::kWatchEvictions)) {
      watch_log->Eviction(e.key, e.fetched, e.ttl, e.idle, e.slab_class,
                          static_cast<int64_t>(e.value_length));
    }
  };
  auto cache = Cache::Create(co);
  if (!cache.ok()) return cache.status();
  core->cache = std::move(*cache);
  return absl::OkStatus();
}

// Persistence: locks the directory now (the snapshot is loaded once the
// threads are up). Null when persist_dir is not set.
absl::StatusOr<std::unique_ptr<Persister>> CreatePersister(ServerCore* core) {
  const ServerOptions& options = core->options;
  if (options.persist_dir.empty()) return std::unique_ptr<Persister>();
  PersistOptions po;
  po.dir = options.persist_dir;
  po.interval = options.persist_interval;
  po.strict = options.persist_strict;
  po.clock = ItemClock(*core);  // debugtime moves the interval snapshots too
  po.log = [core](int level, absl::string_view line) {
    core->Log(level, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
  return Persister::Create(po, core->cache.get());
}

// The worker loops (-t) and the acceptor loop.
absl::Status StartThreads(ServerCore* core) {
  net::EventLoop::Options wo;
  wo.name = "worker";
  auto group = net::EventLoopGroup::Start(core->options.num_threads, wo);
  if (!group.ok()) return group.status();
  core->worker_group = std::move(*group);
  for (size_t i = 0; i < core->worker_group->size(); ++i) {
    auto w = std::make_unique<Worker>();
    w->index = static_cast<int>(i);
    w->loop = core->worker_group->loop(i);
    core->workers.push_back(std::move(w));
  }
  net::EventLoop::Options ao;
  ao.name = "acceptor";
  auto acceptor = net::EventLoopThread::Start(ao);
  if (!acceptor.ok()) return acceptor.status();
  core->acceptor = std::move(*acceptor);
  return absl::OkStatus();
}

// The snapshot goes in before the first connection is accepted.
absl::Status LoadSnapshot(ServerCore* core, Persister* persister) {
  auto loaded = persister->Load();
  if (!loaded.ok()) return loaded.status();
  // The loaded items stay; the stores that put them back were not client
  // commands, so the counters (cmd_set, total_items, ...) start at zero.
  core->cache->ResetStats();
  return absl::OkStatus();
}

// -o idle_timeout: each worker closes its sessions idle that long, checking
// once a second.
void StartIdleSweep(ServerCore* core) {
  if (core->options.idle_timeout <= absl::ZeroDuration()) return;
  const int64_t limit_ns = absl::ToInt64Nanoseconds(core->options.idle_timeout);
  core->RunOnWorkers([limit_ns](Worker* worker) {
    worker->idle_timer = worker->loop->RunEvery(absl::Seconds(1), [worker, limit_ns] {
      const int64_t now = worker->loop->cached_now_ns();
      for (CacheSession* s = worker->sessions.head; s != nullptr; s = s->worker_next) {
        frontend::Connection* c = s->frontend();
        // memcached's idle kicker never sees watchers (its logger owns them).
        if (s->watching()) continue;
        if (now - c->last_activity_ns() > limit_ns) {
          s->set_close_reason(internal::WatchLog::CloseReason::kIdleTimeout);
          c->CloseNow(/*reset=*/false);
        }
      }
    });
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  absl::Status valid = ValidateServerOptions(options);
  if (!valid.ok()) return valid;
  auto core = std::make_unique<ServerCore>(options);
  ServerCore* raw = core.get();
  absl::Status security = SetUpSecurity(raw);
  if (!security.ok()) return security;

  absl::Status engine = CreateEngine(raw);
  if (!engine.ok()) return engine;
  auto persister = CreatePersister(raw);
  if (!persister.ok()) return persister.status();
  absl::Status bound = raw->listeners.Bind(options);
  if (!bound.ok()) return bound;
  absl::Status threads = StartThreads(raw);
  if (!threads.ok()) return threads;
  // Loading removes the snapshot (persist.h), so from here on a failed start
  // must still write it back: the Server below owns the persister and its
  // Shutdown() does.
  if (*persister != nullptr) {
    absl::Status loaded = LoadSnapshot(raw, persister->get());
    if (!loaded.ok()) return loaded;
  }
  StartIdleSweep(raw);

  absl::Status started;
  raw->RunOnAcceptor([raw, &started] { started = raw->OpenListeners(); });
  std::unique_ptr<Server> server(new Server(std::move(core)));
  server->persister_ = std::move(*persister);
  if (!started.ok()) return started;
  if (server->persister_ != nullptr) server->persister_->StartBackground();
  raw->Log(1, "memkit-server %s listening on %s\n", options.version.c_str(),
           raw->listeners.client_address().ToString().c_str());
  return server;
}

Server::Server(std::unique_ptr<ServerCore> core) : core_(std::move(core)) {}

Server::~Server() { Shutdown(); }

int Server::port() const { return core_->listeners.tcp_port(); }
const net::Address& Server::address() const { return core_->listeners.client_address(); }
const std::vector<net::Address>& Server::listen_addresses() const {
  return core_->listeners.addresses();
}
std::vector<net::Address> Server::udp_addresses() const {
  return core_->listeners.udp_addresses();
}
const ServerOptions& Server::options() const { return core_->options; }
Cache* Server::cache() { return core_->cache.get(); }
ServerClock* Server::clock() { return &core_->clock; }
ServerFaults* Server::faults() { return &core_->faults; }

void Server::RequestShutdown() { core_->RequestShutdown(); }

absl::Status Server::ReloadAuthFiles() {
  absl::Status status;
  for (AuthFile* users : {core_->ascii_users.get(), core_->sasl_users.get()}) {
    if (users != nullptr) status.Update(users->Reload());
  }
  return status;
}

bool Server::WaitForShutdownRequest(absl::Duration timeout) {
  return core_->WaitForShutdownRequest(timeout);
}

bool Server::shutdown_requested() const { return core_->shutdown_requested(); }

int64_t Server::connection_count() const { return core_->counters.curr_conns(); }

std::vector<Server::ConnectionActivity> Server::ConnectionActivities() const {
  std::vector<ConnectionActivity> out;
  core_->registry.ForEach([&out](const CacheSession& s) {
    ConnectionActivity a;
    a.id = s.fd;
    a.protocol = s.protocol_name();
    a.requests = s.requests();
    out.push_back(std::move(a));
  });
  return out;
}

void Server::CloseAllConnections(bool reset) {
  if (core_->worker_group == nullptr || shut_down_) return;
  core_->RunOnWorkers(
      [reset](Worker* worker) { ServerCore::CloseSessions(worker, /*graceful=*/false, reset); });
}

absl::Status Server::CloseConnection(int64_t id, bool reset) {
  if (core_->worker_group == nullptr || shut_down_) {
    return absl::FailedPreconditionError("server is shut down");
  }
  if (CloseConnections({id}, reset) == 0) {
    return absl::NotFoundError(absl::StrCat("no client connection ", id));
  }
  return absl::OkStatus();
}

int64_t Server::CloseConnections(absl::Span<const int64_t> ids, bool reset) {
  if (core_->worker_group == nullptr || shut_down_ || ids.empty()) return 0;
  const absl::flat_hash_set<int64_t> wanted(ids.begin(), ids.end());
  std::atomic<int64_t> closed{0};
  // One pass over every worker's sessions, however many ids.
  core_->RunOnWorkers([&wanted, reset, &closed](Worker* worker) {
    // Closing never unlinks synchronously (see CloseSessions).
    for (CacheSession* s = worker->sessions.head; s != nullptr; s = s->worker_next) {
      if (!wanted.contains(s->fd) || s->frontend() == nullptr) continue;
      s->frontend()->CloseNow(reset);
      closed.fetch_add(1, std::memory_order_relaxed);
    }
  });
  return closed.load(std::memory_order_relaxed);
}

namespace {

// Server::SubscribeLog's subscription: a WatchLog subscriber whose wake-up
// signals a condition variable the reader waits on.
class ServerLogSubscription final : public LogSubscription {
 public:
  explicit ServerLogSubscription(internal::WatchLog* log) : log_(log) {}
  ~ServerLogSubscription() override {
    // After Unsubscribe returns the log calls the wake function no more.
    if (subscriber_ != nullptr) log_->Unsubscribe(subscriber_.get());
  }

  absl::Status Start(uint32_t kinds) {
    auto sub = log_->Subscribe(kinds, [this] {
      MutexLock lock(&mu_);
      ready_ = true;
      cv_.SignalAll();
    });
    if (!sub.ok()) return sub.status();
    subscriber_ = std::move(*sub);
    return absl::OkStatus();
  }

  std::vector<LogEntry> Wait(absl::Duration timeout) override {
    std::vector<LogEntry> entries = subscriber_->Take();
    if (!entries.empty()) return entries;
    const absl::Time deadline = absl::Now() + timeout;
    {
      MutexLock lock(&mu_);
      while (!ready_) {
        const absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) break;
        cv_.WaitWithTimeout(&mu_, left);
      }
      ready_ = false;
    }
    return subscriber_->Take();
  }

 private:
  internal::WatchLog* const log_;
  std::shared_ptr<internal::WatchSubscriber> subscriber_;
  Mutex mu_;
  CondVar cv_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogSubscription>> Server::SubscribeLog(uint32_t kinds) {
  if (!core_->options.watch_enabled) {
    return absl::FailedPreconditionError("watch commands not allowed (-W)");
  }
  auto sub = std::make_unique<ServerLogSubscription>(&core_->watch_log);
  if (absl::Status s = sub->Start(kinds); !s.ok()) return s;
  return std::unique_ptr<LogSubscription>(std::move(sub));
}

absl::Status Server::SetOutage(Outage outage) {
  if (shut_down_) return absl::FailedPreconditionError("server is shut down");
  core_->outage.store(static_cast<int>(outage), std::memory_order_release);
  absl::Status status;
  switch (outage) {
    case Outage::kRefuse:
      core_->RunOnAcceptor([this] { core_->CloseListeners(); });
      CloseAllConnections(/*reset=*/false);
      break;
    case Outage::kReset:
      core_->RunOnAcceptor([this, &status] { status = core_->OpenListeners(); });
      CloseAllConnections(/*reset=*/true);
      break;
    case Outage::kNone:
      core_->RunOnAcceptor([this, &status] { status = core_->OpenListeners(); });
      break;
  }
  return status;
}

void Server::Shutdown(absl::Duration drain_timeout) {
  if (shut_down_) return;
  shut_down_ = true;
  ServerCore* core = core_.get();
  core->MarkShutdownRequested();
  core->stopping.store(true, std::memory_order_release);
  if (core->acceptor != nullptr) {
    core->RunOnAcceptor([core] { core->CloseListeners(); });
  }
  if (core->worker_group != nullptr) {
    core->RunOnWorkers([](Worker* worker) {
      if (worker->idle_timer != 0) worker->loop->CancelTimer(worker->idle_timer);
      worker->idle_timer = 0;
      ServerCore::CloseSessions(worker, /*graceful=*/true, /*reset=*/false);
    });
    // Let replies drain; then close whatever is left.
    const absl::Time deadline = absl::Now() + drain_timeout;
    while (core->counters.curr_conns() > 0 && absl::Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    core->RunOnWorkers(
        [](Worker* worker) { ServerCore::CloseSessions(worker, /*graceful=*/false, false); });
  }
  if (core->acceptor != nullptr) core->acceptor->Stop();
  if (core->worker_group != nullptr) {
    core->worker_group->Stop();
    // Sessions whose OnClose never ran (their loop stopped first).
    for (const auto& w : core->workers) {
      while (w->sessions.head != nullptr) w->sessions.head->frontend()->DestroyAfterLoopStopped();
    }
  }
  if (persister_ != nullptr) {
    // Nothing changes the cache any more: this snapshot has every reply sent.
    persister_->StopBackground();
    persister_->Snapshot().IgnoreError();  // a failure is logged
  }
  core->Log(1, "memkit-server stopped\n");
}

}  // namespace server
}  // namespace memkit
