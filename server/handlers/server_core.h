// ServerCore: what a memkit server's parts share, composed of small pieces
// each with its own state and lock:
//   - constant after Create: options, the engine, the clock, the fault
//     switches, the threads, the front end's connection options;
//   - RuntimeSettings (runtime_settings.h): knobs commands change;
//   - ServerCounters (server_counters.h): connection and worker counters;
//   - ListenerSet (listener_set.h): the listening sockets;
//   - ConnectionRegistry (connection_registry.h): live sessions for
//     "stats conns";
//   - WatchLog (watch_log.h): the events "watch" and Cache.Watch stream;
//   - the shutdown request (its own lock and condition variable).
// Server (server.h) owns one; sessions and the stats writer read it.
//
// Thread-safety: constant-after-construction members are read anywhere;
// each component documents its own; Worker::sessions belongs to that
// worker's loop thread.

#ifndef MEMKIT_SERVER_HANDLERS_SERVER_CORE_H_
#define MEMKIT_SERVER_HANDLERS_SERVER_CORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/frontend/backend.h"
#include "core/frontend/connection.h"
#include "core/net/address.h"
#include "core/net/event_loop.h"
#include "core/net/event_loop_thread.h"
#include "core/sync/mutex.h"
#include "server/cache.h"
#include "server/handlers/connection_registry.h"
#include "server/handlers/listener_set.h"
#include "server/handlers/prefix_stats.h"
#include "core/net/tls.h"
#include "server/auth_file.h"
#include "server/handlers/runtime_settings.h"
#include "server/handlers/server_counters.h"
#include "server/handlers/watch_log.h"
#include "server/server.h"
#include "server/server_clock.h"
#include "server/server_faults.h"

namespace memkit {
namespace server {
namespace internal {

class CacheSession;

// Sessions of one worker, linked through CacheSession::worker_prev/next.
struct SessionList {
  CacheSession* head = nullptr;
  size_t size = 0;
};

// The request a worker's session is answering: kept per worker, not per
// session, since a worker answers one request at a time and 10,000 idle
// sessions should not carry four pointers each.
struct RequestScope {
  frontend::Exchange* ex = nullptr;
  net::OutputQueue* out = nullptr;
  const protocol::AsciiRequest* ascii = nullptr;
  const protocol::BinaryRequest* binary = nullptr;
};

struct Worker {
  int index = 0;
  net::EventLoop* loop = nullptr;
  WorkerCounters counters;
  SessionList sessions;  // loop thread only
  net::EventLoop::TimerId idle_timer = 0;
  RequestScope request;  // loop thread only
};

// ServerFaults seen through the front end's fault hooks.
class ServerFaultHooks final : public frontend::FaultHooks {
 public:
  explicit ServerFaultHooks(ServerFaults* faults) : faults_(faults) {}
  bool TakeDrop() override { return faults_->TakeDrop(); }
  bool TakeFailure(std::string* message) override { return faults_->TakeFailure(message); }
  int64_t latency_ns() const override { return faults_->latency_ns(); }

 private:
  ServerFaults* const faults_;
};

class ServerCore {
 public:
  explicit ServerCore(const ServerOptions& options);
  ~ServerCore();

  // ---- constant after Create
  const ServerOptions options;
  ServerClock clock;
  // memcached's log stream ("watch", the admin API's Cache.Watch). Before
  // the engine: its eviction hook writes here.
  WatchLog watch_log;
  std::unique_ptr<Cache> cache;
  ServerFaults faults;
  ServerFaultHooks fault_hooks{&faults};
  // Every client connection's front-end options (decoder limits, -B, -R).
  frontend::ConnectionOptions frontend_options;
  // -Y's and -S's users (security.cc); null when off.
  std::unique_ptr<AuthFile> ascii_users;
  std::unique_ptr<AuthFile> sasl_users;
  // -Z's certificates (security.cc); null when off.
  std::unique_ptr<net::TlsContext> tls;
  // Unix seconds of the last certificate (re)load: time_since_server_cert_refresh.
  std::atomic<int64_t> tls_loaded_at{0};
  std::unique_ptr<net::EventLoopThread> acceptor;
  std::unique_ptr<net::EventLoopGroup> worker_group;
  std::vector<std::unique_ptr<Worker>> workers;
  int64_t pid = 0;

  // ---- components, each thread-safe on its own
  RuntimeSettings settings;
  ServerCounters counters;
  ListenerSet listeners;
  ConnectionRegistry registry;
  PrefixStats prefix_stats;  // "stats detail"

  // ---- availability
  std::atomic<int> outage{0};  // Server::Outage as int; read by the acceptor
  std::atomic<bool> stopping{false};

  // The workers' counters (for ServerCounters' totals).
  std::vector<const WorkerCounters*> worker_counters() const;
  CounterTotals TotalsSinceReset() const { return counters.SinceReset(worker_counters()); }
  // "stats reset": the engine's, the connection counters, the workers'.
  void ResetStats();

  // ---- shutdown
  // Asks the server to stop (see Server::RequestShutdown). Any thread.
  void RequestShutdown();
  // Marks the shutdown requested and wakes the waiters; returns whether it
  // already was.
  bool MarkShutdownRequested() ABSL_LOCKS_EXCLUDED(shutdown_mu_);
  bool shutdown_requested() const ABSL_LOCKS_EXCLUDED(shutdown_mu_);
  // Waits until a shutdown is requested or `timeout` passes.
  bool WaitForShutdownRequest(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(shutdown_mu_);

  // Runs `fn(worker)` on every worker's loop and waits for all of them.
  // Not from a server thread.
  void RunOnWorkers(const std::function<void(Worker*)>& fn);
  // Runs `fn` on the acceptor loop and waits. Not from a server thread.
  void RunOnAcceptor(const std::function<void()>& fn);

  // Opens / closes the listeners (acceptor loop).
  absl::Status OpenListeners();
  void CloseListeners() { listeners.Close(); }
  // Accept callback body (acceptor loop).
  void OnAccept(net::UniqueFd fd, const net::Address& peer, const ListenerSlot* slot);
  // Closes every client session of the calling worker (its loop thread).
  static void CloseSessions(Worker* worker, bool graceful, bool reset);

  void Log(int level, const char* format, ...) const __attribute__((format(printf, 3, 4)));

 private:
  size_t next_worker_ = 0;  // acceptor loop only
  mutable Mutex shutdown_mu_;
  CondVar shutdown_cv_;
  bool shutdown_requested_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_SERVER_CORE_H_
