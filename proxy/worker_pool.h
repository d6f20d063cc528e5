// WorkerPool: one worker thread's view of a Pool (pool.h): its persistent
// connections to each member (BackendOptions::connections_per_server of
// them, opened on first use), a cached copy of the current placement, and a
// timer that fails connections whose oldest request has waited past the
// read timeout and closes idle connections to removed members.
//
// Thread-safety: its loop thread only.

#ifndef MEMKIT_PROXY_WORKER_POOL_H_
#define MEMKIT_PROXY_WORKER_POOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/hash/placement.h"
#include "core/net/event_loop.h"
#include "proxy/backend_conn.h"
#include "proxy/backend_stats.h"
#include "proxy/pool.h"

namespace memkit {
namespace proxy {

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
  // The connection to member `i` that client session `session` uses: always
  // the same one, so one client's requests to a server stay in order. Text
  // (and meta) and binary requests use separate connections, since memcached
  // fixes a connection's protocol by its first byte.
  BackendConn* Conn(size_t i, uint64_t session, bool binary);
  // This worker's stats: client requests routed to the pool, and per member.
  ProxyStats& stats() { return stats_; }
  ProxyStats& server_stats(size_t i);

 private:
  class Observer;
  // Grows the per-member vectors to `n` members.
  void Grow(size_t n);
  void Tick();
  void RequestFlush(BackendConn* conn);
  void FlushPending();

  net::EventLoop* const loop_;
  Pool* const pool_;
  size_t worker_ = 0;
  std::vector<std::unique_ptr<Observer>> observers_;
  // [binary][member][k]; null until first used (and after a removed
  // member's idle connections are closed).
  std::vector<std::vector<std::unique_ptr<BackendConn>>> conns_[2];
  std::shared_ptr<const hash::Placement> placement_;
  uint64_t generation_ = 0;
  ProxyStats stats_;
  std::vector<ProxyStats*> server_stats_;
  net::EventLoop::TimerId tick_ = 0;
  // Connections with requests queued this turn, written at its end.
  std::vector<BackendConn*> to_flush_;
  bool flush_scheduled_ = false;
  net::EventLoop::TimerId flush_timer_ = 0;
};


}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_WORKER_POOL_H_
