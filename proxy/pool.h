// Pool: one pool of memcached servers as every worker thread shares it: the
// placement (core/hash, libketama-compatible by default) over the servers
// that are up, each server's health and stats, and the prober that brings
// ejected servers back.
//
// Health: a server is ejected after HealthOptions::failure_limit consecutive
// failures (connect errors, resets, read timeouts, seen by any worker). The
// placement is then rebuilt with that server left out of the live mask, so
// only its keys move (Placement::Create with `live`). An ejected server is
// probed ("version" on a fresh connection) after probe_initial, then with a
// doubling backoff (plus up to 25% jitter) capped at probe_max; the first
// probe it answers restores it.
//
// WorkerPool: one worker thread's view of a Pool: its persistent
// connections to each server (BackendOptions::connections_per_server of
// them), a cached copy of the current placement, and a timer that fails
// connections whose oldest request has waited past the read timeout.
//
// Thread-safety: Pool: any thread (the placement behind a mutex, health and
// stats atomic; probes run on the probe loop). WorkerPool: its loop thread.

#ifndef MEMKIT_PROXY_POOL_H_
#define MEMKIT_PROXY_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/hash/placement.h"
#include "core/net/event_loop.h"
#include "core/sync/mutex.h"
#include "proxy/backend_conn.h"
#include "proxy/backend_stats.h"
#include "proxy/config.h"

namespace memkit {
namespace proxy {

class Pool {
 public:
  // `probe_loop` runs the probes; it must outlive the Pool's use.
  static absl::StatusOr<std::unique_ptr<Pool>> Create(const PoolOptions& options,
                                                      net::EventLoop* probe_loop);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  const PoolOptions& options() const { return options_; }
  size_t size() const { return servers_.size(); }

  // The placement over the servers up now, and a number that changes
  // whenever it does (so workers re-read it only then).
  std::shared_ptr<const hash::Placement> placement() const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // A worker's stats, summed by AppendStatLines: `pool` counts client
  // requests, `servers` (one per server) the backend requests. They must
  // outlive the Pool's use.
  void RegisterWorkerStats(const ProxyStats* pool, std::vector<const ProxyStats*> servers);
  bool is_down(size_t i) const { return servers_[i]->down.load(std::memory_order_acquire); }

  void ReportSuccess(size_t i);
  void ReportFailure(size_t i, const absl::Status& status);

  // "STAT pool:<name>:..." then "STAT server:<host:port>:..." lines (with
  // each server's "up" 0/1).
  void AppendStatLines(std::string* out) const;

 private:
  class Probe;
  struct Server {
    ProxyStats stats;  // ejections only; the rest is per worker
    std::atomic<int> failures{0};
    std::atomic<bool> down{false};
    // Probe loop only.
    absl::Duration backoff;
    std::unique_ptr<Probe> probe;
  };

  Pool(const PoolOptions& options, net::EventLoop* probe_loop);
  absl::Status RebuildPlacement();
  // Probe loop only.
  void ScheduleProbe(size_t i);
  void OnProbeResult(size_t i, bool ok);

  const PoolOptions options_;
  net::EventLoop* const probe_loop_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::atomic<uint64_t> generation_{1};
  mutable Mutex mu_;
  std::shared_ptr<const hash::Placement> placement_ ABSL_GUARDED_BY(mu_);
  std::vector<const ProxyStats*> worker_pool_stats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<const ProxyStats*>> worker_server_stats_ ABSL_GUARDED_BY(mu_);
};

class WorkerPool {
 public:
  // On `loop`'s thread.
  WorkerPool(net::EventLoop* loop, Pool* pool);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  Pool* pool() const { return pool_; }
  net::EventLoop* loop() const { return loop_; }
  // The current placement (refreshed when the pool's changed).
  const hash::Placement& placement();
  // The connection to server `i` that client session `session` uses: always
  // the same one, so one client's requests to a server stay in order. Text
  // (and meta) and binary requests use separate connections, since memcached
  // fixes a connection's protocol by its first byte.
  BackendConn* Conn(size_t i, uint64_t session, bool binary);
  // This worker's stats: client requests routed to the pool, and per server.
  ProxyStats& stats() { return stats_; }
  ProxyStats& server_stats(size_t i) { return *server_stats_[i]; }

 private:
  class Observer;
  void Tick();
  void RequestFlush(BackendConn* conn);
  void FlushPending();

  net::EventLoop* const loop_;
  Pool* const pool_;
  std::vector<std::unique_ptr<Observer>> observers_;
  // [binary][server][k]
  std::vector<std::vector<std::unique_ptr<BackendConn>>> conns_[2];
  std::shared_ptr<const hash::Placement> placement_;
  uint64_t generation_ = 0;
  ProxyStats stats_;
  std::vector<std::unique_ptr<ProxyStats>> server_stats_;
  net::EventLoop::TimerId tick_ = 0;
  // Connections with requests queued this turn, written at its end.
  std::vector<BackendConn*> to_flush_;
  bool flush_scheduled_ = false;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_POOL_H_
