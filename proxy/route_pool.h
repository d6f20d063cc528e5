// PoolRoute: the leaf of the route tree. A kKeyed request goes, as its
// bytes, to the server that pool's placement picks for the key (a binary
// one to a meta pool as its meta form, translate.h); a kGet is
// split per server (one get/gat request each) and the hits merged back per
// key position. No server up: NoBackendError(). Counts each request in the
// pool's and the server's stats.
//
// Thread-safety: as Route.

#ifndef MEMKIT_PROXY_ROUTE_POOL_H_
#define MEMKIT_PROXY_ROUTE_POOL_H_

#include <memory>

#include "proxy/backend_stats.h"
#include "proxy/route.h"

namespace memkit {
namespace proxy {

// Per backend request: counts it, times it, and accounts its outcome on a
// worker's stats of the server. Copyable into the reply callback.
class BackendTracker {
 public:
  BackendTracker(ProxyStats* stats, int64_t now_ns);
  void Done(const BackendReply& reply, int64_t now_ns, uint64_t hits, uint64_t misses) const;

 private:
  ProxyStats* stats_;
  int64_t start_ns_;
};

class PoolRoute final : public Route {
 public:
  // `pool`: the index in the RouteTable.
  explicit PoolRoute(size_t pool) : pool_(pool) {}
  void Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
            RouteDone done) const override;

 private:
  void SendKeyed(const RouteCall& call, WorkerPool* worker, const RouteRequest& request,
                 RouteDone done) const;
  void SendGet(const RouteCall& call, WorkerPool* worker, const RouteRequest& request,
               RouteDone done) const;
  // A binary request to a pool whose servers speak meta: its meta form
  // (request.meta) on the text connection, the reply translated back.
  void SendTranslated(const RouteCall& call, WorkerPool* worker, size_t server,
                      const RouteRequest& request, RouteDone done) const;

  const size_t pool_;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ROUTE_POOL_H_
