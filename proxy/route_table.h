// RouteTable: one generation of memkit-proxy's routing: the pools (each
// with one WorkerPool per worker thread) and the route tree over them,
// built from one ProxyOptions. The proxy swaps in a new table on reload;
// requests hold a shared_ptr to the table they started on, so in-flight
// requests finish on the old one, and its pools' connections close once
// the last of them is done.
//
// A reload keeps (shares) the pools whose options did not change, with
// their connections, health and stats; a pool that changed or went away is
// retired: once no table uses it, its WorkerPools (the connections) are
// destroyed on their loops, and then its Pool object (placement, health, a
// possibly running probe) on the probe loop, worker 0's. Until then the
// Graveyard holds it, and frees what is left when the proxy is destroyed
// (loops that stopped first never ran the frees).
//
// Thread-safety: immutable after Create(); any thread. Create() blocks
// until every worker has made its WorkerPools, so it must not run on a
// worker thread.

#ifndef MEMKIT_PROXY_ROUTE_TABLE_H_
#define MEMKIT_PROXY_ROUTE_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/net/event_loop_thread.h"
#include "core/sync/mutex.h"
#include "proxy/config.h"
#include "proxy/pool.h"
#include "proxy/route.h"
#include "proxy/worker_pool.h"

namespace memkit {
namespace proxy {

// Retired Pool objects not yet freed (see the file comment). Any thread.
class Graveyard {
 public:
  void Bury(std::unique_ptr<Pool> pool) {
    MutexLock lock(&mu_);
    pools_.push_back(std::move(pool));
  }
  // Frees `pool`, if buried. On the pool's probe loop (or after it stopped).
  void Free(const Pool* pool) {
    std::unique_ptr<Pool> freed;
    {
      MutexLock lock(&mu_);
      for (auto it = pools_.begin(); it != pools_.end(); ++it) {
        if (it->get() == pool) {
          freed = std::move(*it);
          pools_.erase(it);
          break;
        }
      }
    }
    // Destroyed outside the lock (its destructor cancels probe timers).
  }
  size_t size() const {
    MutexLock lock(&mu_);
    return pools_.size();
  }

 private:
  mutable Mutex mu_;
  std::vector<std::unique_ptr<Pool>> pools_ ABSL_GUARDED_BY(mu_);
};

// Runs `task` on `loop`'s thread and returns when it has run (waits on a
// memkit::CondVar, which TSan sees, unlike Debian's absl::Notification).
// Not on `loop`'s own thread.
void RunOnLoopAndWait(net::EventLoop* loop, absl::FunctionRef<void()> task);

// A Pool and its WorkerPools, shared by the tables that use it.
class PoolInstance;

class RouteTable {
 public:
  // `workers` and `graveyard` must outlive the table. `previous` (may be
  // null) lends its unchanged pools.
  static absl::StatusOr<std::shared_ptr<const RouteTable>> Create(
      const ProxyOptions& options, net::EventLoopGroup* workers,
      std::shared_ptr<Graveyard> graveyard, const RouteTable* previous);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  const ProxyOptions& options() const { return options_; }
  const Route& root() const { return *root_; }
  size_t pool_count() const;
  Pool* pool(size_t i) const;
  // Pool `i`'s WorkerPool of worker `worker` (use on that worker's thread).
  WorkerPool* worker_pool(size_t i, size_t worker) const;
  // Some pool's servers speak meta (binary requests then carry their meta
  // form, RouteRequest::meta).
  bool has_meta_pool() const { return has_meta_pool_; }
  // Pool `name`'s index, or -1.
  int pool_index(const std::string& name) const;
  // Pool, server, then route stat lines ("stats proxy").
  void AppendStatLines(std::string* out) const;

 private:
  explicit RouteTable(const ProxyOptions& options) : options_(options) {}

  const ProxyOptions options_;
  std::vector<std::shared_ptr<PoolInstance>> pools_;
  std::unique_ptr<Route> root_;
  bool has_meta_pool_ = false;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ROUTE_TABLE_H_
