// The state a memkit server's sessions share: options, the item store, the
// clock, fault switches, connection counters, the workers and their session
// lists. Server (server.h) owns one; sessions and the stats writer read it.
//
// Thread-safety: constant-after-construction members are read anywhere;
// counters are atomics; Worker::sessions belongs to that worker's loop
// thread; the connection registry is guarded by registry_mu.

#ifndef MEMKIT_SERVER_HANDLERS_SERVER_CORE_H_
#define MEMKIT_SERVER_HANDLERS_SERVER_CORE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/frontend/backend.h"
#include "core/frontend/connection.h"
#include "core/net/address.h"
#include "core/net/event_loop.h"
#include "core/net/event_loop_thread.h"
#include "core/net/listener.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/binary_request_parser.h"
#include "server/cache.h"
#include "server/handlers/prefix_stats.h"
#include "server/server.h"
#include "server/server_clock.h"
#include "server/server_faults.h"

namespace memkit {
namespace server {
namespace internal {

class CacheSession;

// A counter written by one thread (its worker) and read by any: a relaxed
// load and store instead of a locked read-modify-write.
class Counter {
 public:
  void Add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Per-worker counters memcached keeps per thread (the engine counts the rest).
struct WorkerCounters {
  Counter bytes_read;
  Counter bytes_written;
  Counter meta_cmds;    // cmd_meta: memcached 1.6.18 counts "me" only
  Counter conn_yields;  // -R reached with requests still buffered
  Counter flush_cmds_refused;  // flush_all while -F (memcached counts those too)
};

// The sum of all workers' counters.
struct CounterTotals {
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t meta_cmds = 0;
  uint64_t conn_yields = 0;
  uint64_t flush_cmds_refused = 0;
};

// Sessions of one worker, linked through CacheSession::worker_prev/next.
struct SessionList {
  CacheSession* head = nullptr;
  size_t size = 0;
};

struct Worker {
  int index = 0;
  net::EventLoop* loop = nullptr;
  WorkerCounters counters;
  SessionList sessions;  // loop thread only
  net::EventLoop::TimerId idle_timer = 0;
};

// One listening socket and what "stats conns" says of it.
struct ListenerSlot {
  net::Address address;    // as bound (real port)
  std::string stats_name;  // "tcp:127.0.0.1:11211", "unix:/tmp/mc.sock"
  std::unique_ptr<net::Listener> listener;  // acceptor loop only; null while refused
  std::atomic<int> fd{-1};  // the listening fd for "stats conns"; -1 while closed
  bool started = false;     // acceptor loop only
};

// memcached's run-time knobs that admin commands set ("slabs automove",
// "lru_crawler sleep", "lru tune|mode|temp_ttl", "extstore ...") and
// "stats settings" reports. memkit has no slab mover, segmented LRU or
// extstore: it keeps the values so that what a client sets is what it reads
// back, with memcached 1.6.18's defaults.
struct RuntimeSettings {
  uint32_t slab_automove = 1;
  double slab_automove_ratio = 0.8;
  uint32_t lru_crawler_sleep = 100;    // microseconds
  uint32_t lru_crawler_tocrawl = 0;
  bool lru_segmented = true;
  uint32_t hot_lru_pct = 20;
  uint32_t warm_lru_pct = 40;
  double hot_max_factor = 0.2;
  double warm_max_factor = 2.0;
  bool temp_lru = false;
  int32_t temporary_ttl = 61;
  uint32_t ext_item_size = 512;
  uint32_t ext_item_age = UINT32_MAX;
  uint32_t ext_low_ttl = 0;
  uint32_t ext_recache_rate = 2000;
  uint32_t ext_compact_under = 0;
  uint32_t ext_drop_under = 0;
  uint32_t ext_max_sleep = 1000000;
  double ext_max_frag = 0.8;
  bool ext_drop_unread = false;
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
  std::unique_ptr<Cache> cache;
  ServerFaults faults;
  std::unique_ptr<net::EventLoopThread> acceptor;
  std::unique_ptr<net::EventLoopGroup> worker_group;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::unique_ptr<ListenerSlot>> listeners;  // fixed after Create
  ServerFaultHooks fault_hooks{&faults};
  // Every client connection's front-end options (decoder limits, -B, -R).
  frontend::ConnectionOptions frontend_options;
  std::vector<net::Address> listen_addresses;
  net::Address client_address;
  int tcp_port = 0;
  int64_t pid = 0;

  // ---- mutable settings
  std::atomic<int> verbosity{0};
  std::atomic<bool> detail_enabled{false};  // "stats detail on": count into prefix_stats
  PrefixStats prefix_stats;
  std::atomic<bool> lru_crawler_enabled{true};
  // "stats sizes": -o track_sizes, or "stats sizes_enable" which counts
  // only items with a CAS from `sizes_min_cas` on.
  std::atomic<bool> track_sizes{options.track_sizes};
  std::atomic<uint64_t> sizes_min_cas{0};
  std::atomic<uint64_t> crawler_starts{0};  // "lru_crawler crawl" runs
  std::atomic<uint64_t> watchers{0};        // connections turned "watch"
  mutable std::mutex settings_mu;  // admin commands and "stats settings" only
  RuntimeSettings settings ABSL_GUARDED_BY(settings_mu);
  RuntimeSettings Settings() const {
    std::lock_guard<std::mutex> lock(settings_mu);
    return settings;
  }

  // ---- connection counters
  std::atomic<int64_t> curr_conns{0};
  std::atomic<uint64_t> total_conns{0};
  std::atomic<uint64_t> rejected_conns{0};
  std::atomic<int> outage{0};  // Server::Outage as int; read by the acceptor
  std::atomic<bool> accepting{true};

  // ---- shutdown
  std::mutex shutdown_mu;
  std::condition_variable shutdown_cv;
  bool shutdown_requested ABSL_GUARDED_BY(shutdown_mu) = false;
  std::atomic<bool> stopping{false};

  // ---- "stats conns": every live session, across workers
  std::mutex registry_mu;
  CacheSession* registry_head ABSL_GUARDED_BY(registry_mu) = nullptr;

  // ---- stats reset: counters are reported relative to this baseline
  CounterTotals Totals() const;
  CounterTotals TotalsSinceReset() const;
  void ResetStats();

  // Asks the server to stop (see Server::RequestShutdown). Any thread.
  void RequestShutdown();

  // Runs `fn(worker)` on every worker's loop and waits for all of them.
  // Not from a server thread.
  void RunOnWorkers(const std::function<void(Worker*)>& fn);
  // Runs `fn` on the acceptor loop and waits. Not from a server thread.
  void RunOnAcceptor(const std::function<void()>& fn);

  // Accept callback body (acceptor loop).
  void OnAccept(net::UniqueFd fd, const net::Address& peer, const ListenerSlot* slot);
  // (Re)creates and starts the listener of every slot that has none
  // (acceptor loop).
  absl::Status OpenListeners();
  // Closes every listening socket (acceptor loop).
  void CloseListeners();
  // Closes every client session of the calling worker (its loop thread).
  static void CloseSessions(Worker* worker, bool graceful, bool reset);

  void Log(int level, const char* format, ...) const __attribute__((format(printf, 3, 4)));

 private:
  size_t next_worker_ = 0;  // acceptor loop only
  mutable std::mutex reset_mu_;
  CounterTotals baseline_ ABSL_GUARDED_BY(reset_mu_);
};

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_HANDLERS_SERVER_CORE_H_
