#include "server/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/net/socket.h"
#include "server/handlers/server_core.h"
#include "server/handlers/cache_session.h"
#include "server/persist.h"

namespace memkit {
namespace server {

using internal::ListenerSlot;
using internal::ServerCore;
using internal::CacheSession;
using internal::Worker;

absl::Status ValidateServerOptions(const ServerOptions& o) {
  auto bad = [](absl::string_view message) { return absl::InvalidArgumentError(message); };
  if (o.num_threads <= 0) return bad("Number of threads must be greater than 0");
  if (o.num_threads > 1024) return bad("Number of threads must be at most 1024");
  if (o.max_connections <= 0) return bad("Maximum connections must be greater than 0");
  if (o.reqs_per_event <= 0) return bad("Number of requests per event must be greater than 0");
  if (!(o.growth_factor > 1.0)) return bad("Factor must be greater than 1");
  if (o.chunk_size == 0) return bad("Chunk size must be greater than 0");
  if (o.port < 0 || o.port > 65535) return bad("Port must be between 0 and 65535");
  if (o.backlog <= 0) return bad("Listen backlog must be greater than 0");
  if (o.memory_limit < 1024 * 1024) return bad("Memory limit must be at least 1 megabyte");
  if (o.item_size_max < 1024) return bad("Item max size cannot be less than 1024 bytes.");
  if (o.item_size_max > size_t{1024} * 1024 * 1024) {
    return bad("Cannot set item size limit higher than 1 gigabytes.");
  }
  if (o.item_size_max > o.memory_limit / 2) {
    return bad("Cannot set item size limit higher than 1/2 of memory max.");
  }
  if (o.slab_chunk_max > o.item_size_max) {
    return bad(absl::StrCat("slab_chunk_max (bytes: ", o.slab_chunk_max,
                            ") cannot be larger than -I (item_size_max ", o.item_size_max, ")"));
  }
  if (o.hash_power != 0 && (o.hash_power < 12 || o.hash_power > 32)) {
    return bad("Hash power must be in the range 12 to 32");
  }
  if (o.unix_socket.size() > 107) return bad("Unix socket path is too long");
  if (o.unix_mask < 0 || o.unix_mask > 0777) return bad("Invalid unix socket mask");
  if (o.verbosity < 0) return bad("Verbosity must not be negative");
  if (o.idle_timeout < absl::ZeroDuration()) return bad("idle_timeout must not be negative");
  if (o.cache_shards < 1 || (o.cache_shards & (o.cache_shards - 1)) != 0 ||
      o.cache_shards > 1024) {
    return bad("cache_shards must be a power of two from 1 to 1024");
  }
  if (o.persist_interval < absl::ZeroDuration()) return bad("persist_interval must not be negative");
  if (o.persist_dir.empty() && o.persist_interval > absl::ZeroDuration()) {
    return bad("persist_interval needs -o persist=DIR");
  }
  if (o.persist_dir.empty() && o.persist_strict) return bad("persist_strict needs -o persist=DIR");
  return absl::OkStatus();
}

namespace internal {

ServerCore::ServerCore(const ServerOptions& o) : options(o), clock(o.clock) {
  verbosity.store(o.verbosity, std::memory_order_relaxed);
  lru_crawler_enabled.store(o.lru_crawler, std::memory_order_relaxed);
  pid = static_cast<int64_t>(getpid());
  frontend_options.protocols = o.protocol == BindingProtocol::kAuto    ? frontend::Protocols::kAuto
                               : o.protocol == BindingProtocol::kAscii ? frontend::Protocols::kText
                                                                       : frontend::Protocols::kBinary;
  frontend_options.ascii.max_value_size = o.item_size_max;
  frontend_options.binary.item_size_max = o.item_size_max;
  frontend_options.binary.use_cas = o.use_cas;
  frontend_options.reqs_per_event = o.reqs_per_event;
  // Room for the largest item plus its command line, and for memcached's
  // longest multiget line.
  frontend_options.max_request_bytes =
      std::max(o.item_size_max + 64 * 1024, size_t{1024 * 1024 + 16 * 1024});
  frontend_options.faults = &fault_hooks;
}

ServerCore::~ServerCore() = default;

CounterTotals ServerCore::Totals() const {
  CounterTotals t;
  for (const auto& w : workers) {
    t.bytes_read += w->counters.bytes_read.Get();
    t.bytes_written += w->counters.bytes_written.Get();
    t.meta_cmds += w->counters.meta_cmds.Get();
    t.conn_yields += w->counters.conn_yields.Get();
    t.flush_cmds_refused += w->counters.flush_cmds_refused.Get();
  }
  return t;
}

CounterTotals ServerCore::TotalsSinceReset() const {
  CounterTotals t = Totals();
  std::lock_guard<std::mutex> lock(reset_mu_);
  t.bytes_read -= baseline_.bytes_read;
  t.bytes_written -= baseline_.bytes_written;
  t.meta_cmds -= baseline_.meta_cmds;
  t.conn_yields -= baseline_.conn_yields;
  t.flush_cmds_refused -= baseline_.flush_cmds_refused;
  return t;
}

void ServerCore::ResetStats() {
  cache->ResetStats();
  // memcached's stats_reset() zeroes these too.
  total_conns.store(0, std::memory_order_relaxed);
  rejected_conns.store(0, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(reset_mu_);
  baseline_ = Totals();
}

void ServerCore::Log(int level, const char* format, ...) const {
  if (verbosity.load(std::memory_order_relaxed) < level) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
}

void ServerCore::RequestShutdown() {
  {
    std::lock_guard<std::mutex> lock(shutdown_mu);
    if (shutdown_requested) return;
    shutdown_requested = true;
  }
  shutdown_cv.notify_all();
  stopping.store(true, std::memory_order_release);
  // Stop serving now; the owner joins the threads in Server::Shutdown().
  if (acceptor != nullptr) acceptor->loop()->Post([this] { CloseListeners(); });
  for (const auto& w : workers) {
    Worker* worker = w.get();
    worker->loop->Post([worker] { CloseSessions(worker, /*graceful=*/true, /*reset=*/false); });
  }
}

void ServerCore::RunOnWorkers(const std::function<void(Worker*)>& fn) {
  std::mutex mu;
  std::condition_variable cv;
  size_t done = 0;
  for (const auto& w : workers) {
    Worker* worker = w.get();
    worker->loop->Post([&, worker] {
      fn(worker);
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == workers.size(); });
}

void ServerCore::RunOnAcceptor(const std::function<void()>& fn) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  acceptor->loop()->Post([&] {
    fn();
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
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
  net::Listener::Options lo;
  lo.backlog = options.backlog;
  lo.unix_socket_mode = options.unix_mask;
  absl::Status result;
  for (const auto& slot : listeners) {
    if (slot->listener == nullptr) {
      auto listener = net::Listener::Create(slot->address, lo);
      if (!listener.ok()) {
        result.Update(listener.status());
        continue;
      }
      slot->listener = std::move(*listener);
      slot->started = false;
    }
    if (slot->started) continue;
    ListenerSlot* raw = slot.get();
    absl::Status started = slot->listener->Start(
        acceptor->loop(), [this, raw](net::UniqueFd fd, const net::Address& peer) {
          OnAccept(std::move(fd), peer, raw);
        });
    if (!started.ok()) {
      result.Update(started);
      slot->listener.reset();
      continue;
    }
    slot->started = true;
    slot->fd.store(slot->listener->fd(), std::memory_order_relaxed);
  }
  accepting.store(true, std::memory_order_relaxed);
  return result;
}

void ServerCore::CloseListeners() {
  for (const auto& slot : listeners) {
    slot->fd.store(-1, std::memory_order_relaxed);
    if (slot->listener != nullptr) {
      slot->listener->Stop();
      slot->listener.reset();
    }
    slot->started = false;
  }
  accepting.store(false, std::memory_order_relaxed);
}

void ServerCore::OnAccept(net::UniqueFd fd, const net::Address& peer, const ListenerSlot* slot) {
  if (stopping.load(std::memory_order_acquire)) return;  // fd closes
  if (outage.load(std::memory_order_acquire) == static_cast<int>(Server::Outage::kReset)) {
    net::ResetAndClose(std::move(fd));
    return;
  }
  if (curr_conns.load(std::memory_order_acquire) >= options.max_connections) {
    static constexpr char kTooMany[] = "ERROR Too many open connections\r\n";
    ssize_t ignored = ::send(fd.get(), kTooMany, sizeof(kTooMany) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
    rejected_conns.fetch_add(1, std::memory_order_relaxed);
    Log(1, "Too many open connections\n");
    return;
  }
  curr_conns.fetch_add(1, std::memory_order_acq_rel);
  total_conns.fetch_add(1, std::memory_order_relaxed);
  std::string name;
  if (slot->address.is_unix()) {
    name = absl::StrCat("unix:", slot->address.host());
  } else {
    name = absl::StrCat("tcp:", peer.ToString());
  }
  Worker* worker = workers[next_worker_++ % workers.size()].get();
  worker->loop->Post([this, worker, slot, fd = std::move(fd), name = std::move(name)]() mutable {
    CacheSession::Start(this, worker, slot, std::move(fd), std::move(name));
  });
}

}  // namespace internal

// ---- Server -----------------------------------------------------------------

namespace {

// The address a client on this machine uses to reach `bound`.
net::Address ClientAddress(const net::Address& bound) {
  if (bound.family() == net::Address::Family::kIPv4 && bound.host() == "0.0.0.0") {
    return net::Address::IPv4Loopback(bound.port());
  }
  if (bound.family() == net::Address::Family::kIPv6 && bound.host() == "::") {
    return net::Address::IPv6Loopback(bound.port());
  }
  return bound;
}

std::string StatsName(const net::Address& a) {
  if (a.is_unix()) return absl::StrCat("unix:", a.host());
  return absl::StrCat("tcp:", a.ToString());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  absl::Status valid = ValidateServerOptions(options);
  if (!valid.ok()) return valid;
  auto core = std::make_unique<ServerCore>(options);

  CacheOptions co;
  co.memory_limit = options.memory_limit;
  co.item_size_max = options.item_size_max;
  co.slab_chunk_max = options.slab_chunk_max;
  co.chunk_size = options.chunk_size;
  co.growth_factor = options.growth_factor;
  co.evict = options.evict;
  co.use_cas = options.use_cas;
  co.num_shards = options.cache_shards;
  if (options.hash_power != 0) co.hash_power = options.hash_power;
  // The engine reads the adjustable clock only when something may move it.
  co.clock = options.adjustable_clock || options.enable_debugtime ? &core->clock : options.clock;
  co.reclaim_interval = options.lru_crawler ? absl::Seconds(1) : absl::ZeroDuration();
  auto cache = Cache::Create(co);
  if (!cache.ok()) return cache.status();
  core->cache = std::move(*cache);

  // Persistence: lock the directory now, load once the threads are up.
  std::unique_ptr<Persister> persister;
  if (!options.persist_dir.empty()) {
    PersistOptions po;
    po.dir = options.persist_dir;
    po.interval = options.persist_interval;
    po.strict = options.persist_strict;
    ServerCore* log_core = core.get();
    po.log = [log_core](int level, absl::string_view line) {
      log_core->Log(level, "%.*s\n", static_cast<int>(line.size()), line.data());
    };
    auto p = Persister::Create(po, core->cache.get());
    if (!p.ok()) return p.status();
    persister = std::move(*p);
  }

  // Where to listen.
  std::vector<net::Address> addresses;
  bool wildcard = false;
  if (!options.unix_socket.empty()) {
    auto a = net::Address::Unix(options.unix_socket);
    if (!a.ok()) return a.status();
    addresses.push_back(*a);
  } else if (options.listen.empty()) {
    wildcard = true;
    addresses.push_back(net::Address::IPv4Any(static_cast<uint16_t>(options.port)));
  } else {
    for (const std::string& text : options.listen) {
      net::ResolveOptions ro;
      ro.default_port = options.port;
      auto resolved = net::Resolve(text, ro);
      if (!resolved.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot resolve listen address \"", text, "\": ",
                         resolved.status().message()));
      }
      for (const net::Address& a : *resolved) addresses.push_back(a);
    }
  }

  net::Listener::Options lo;
  lo.backlog = options.backlog;
  lo.unix_socket_mode = options.unix_mask;
  std::vector<std::unique_ptr<net::Listener>> bound;
  for (net::Address a : addresses) {
    // Several listeners on port 0 share the port the first one got.
    if (a.is_ip() && a.port() == 0 && core->tcp_port != 0) {
      a = a.WithPort(static_cast<uint16_t>(core->tcp_port));
    }
    auto listener = net::Listener::Create(a, lo);
    if (!listener.ok()) {
      return absl::Status(listener.status().code(),
                          absl::StrCat("failed to listen on ", a.ToString(), ": ",
                                       listener.status().message()));
    }
    if (a.is_ip() && core->tcp_port == 0) core->tcp_port = (*listener)->address().port();
    bound.push_back(std::move(*listener));
  }
  if (wildcard) {
    // memcached's INADDR_ANY also takes IPv6 when the machine has it.
    auto v6 = net::Address::Parse(absl::StrCat("[::]:", core->tcp_port));
    if (v6.ok()) {
      auto listener = net::Listener::Create(*v6, lo);
      if (listener.ok()) bound.push_back(std::move(*listener));
    }
  }
  for (auto& listener : bound) {
    auto slot = std::make_unique<ListenerSlot>();
    slot->address = listener->address();
    slot->stats_name = StatsName(slot->address);
    slot->listener = std::move(listener);
    core->listen_addresses.push_back(slot->address);
    core->listeners.push_back(std::move(slot));
  }
  core->client_address = ClientAddress(core->listen_addresses.front());

  // Threads.
  net::EventLoop::Options wo;
  wo.name = "worker";
  auto group = net::EventLoopGroup::Start(options.num_threads, wo);
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

  // The snapshot goes in before the first connection is accepted. Loading
  // removes it (persist.h), so from here on a failed start must still write
  // it back: the Server below owns the persister and its Shutdown() does.
  if (persister != nullptr) {
    auto loaded = persister->Load();
    if (!loaded.ok()) return loaded.status();
    // The loaded items stay; the stores that put them back were not client
    // commands, so the counters (cmd_set, total_items, ...) start at zero.
    core->cache->ResetStats();
  }

  ServerCore* raw = core.get();
  if (options.idle_timeout > absl::ZeroDuration()) {
    const int64_t limit_ns = absl::ToInt64Nanoseconds(options.idle_timeout);
    raw->RunOnWorkers([limit_ns](Worker* worker) {
      worker->idle_timer = worker->loop->RunEvery(absl::Seconds(1), [worker, limit_ns] {
        const int64_t now = worker->loop->cached_now_ns();
        for (CacheSession* s = worker->sessions.head; s != nullptr; s = s->worker_next) {
          const frontend::Connection* c = s->frontend();
          if (now - c->last_activity_ns() > limit_ns) s->frontend()->CloseNow(/*reset=*/false);
        }
      });
    });
  }
  absl::Status started;
  raw->RunOnAcceptor([raw, &started] { started = raw->OpenListeners(); });
  std::unique_ptr<Server> server(new Server(std::move(core)));
  server->persister_ = std::move(persister);
  if (!started.ok()) return started;
  if (server->persister_ != nullptr) server->persister_->StartBackground();
  raw->Log(1, "memkit-server %s listening on %s\n", options.version.c_str(),
           raw->client_address.ToString().c_str());
  return server;
}

Server::Server(std::unique_ptr<ServerCore> core) : core_(std::move(core)) {}

Server::~Server() { Shutdown(); }

int Server::port() const { return core_->tcp_port; }
const net::Address& Server::address() const { return core_->client_address; }
const std::vector<net::Address>& Server::listen_addresses() const {
  return core_->listen_addresses;
}
const ServerOptions& Server::options() const { return core_->options; }
Cache* Server::cache() { return core_->cache.get(); }
ServerClock* Server::clock() { return &core_->clock; }
ServerFaults* Server::faults() { return &core_->faults; }

void Server::RequestShutdown() { core_->RequestShutdown(); }

bool Server::WaitForShutdownRequest(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(core_->shutdown_mu);
  if (timeout == absl::InfiniteDuration()) {
    core_->shutdown_cv.wait(lock, [this] { return core_->shutdown_requested; });
    return true;
  }
  return core_->shutdown_cv.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                                     [this] { return core_->shutdown_requested; });
}

bool Server::shutdown_requested() const {
  std::lock_guard<std::mutex> lock(core_->shutdown_mu);
  return core_->shutdown_requested;
}

int64_t Server::connection_count() const {
  return core_->curr_conns.load(std::memory_order_acquire);
}

void Server::CloseAllConnections(bool reset) {
  if (core_->worker_group == nullptr || shut_down_) return;
  core_->RunOnWorkers(
      [reset](Worker* worker) { ServerCore::CloseSessions(worker, /*graceful=*/false, reset); });
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
  {
    std::lock_guard<std::mutex> lock(core->shutdown_mu);
    core->shutdown_requested = true;
  }
  core->shutdown_cv.notify_all();
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
    while (core->curr_conns.load(std::memory_order_acquire) > 0 && absl::Now() < deadline) {
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
