// ProxySession: memkit-proxy's frontend::Backend, one per client
// connection. It hands each decoded request (core/frontend decodes the
// text, meta and binary protocols and keeps replies in request order) to the
// root route of the worker's current RouteTable (route.h) and finishes the
// request's Exchange when the route answers:
//
//  - keyed text, meta and binary requests go, as the client sent them, to
//    the route as kKeyed requests; noreply (text), q (meta) and quiet binary
//    opcodes are followed by "mn" / a noop so that the server's own quiet
//    rules decide what the client sees;
//  - get/gets/gat/gats go as one kGet; routes split the keys (per prefix,
//    per server) and merge the hits back in the client's key order;
//  - version, stats and binary stat are the proxy's own; flush_all (text
//    and binary) and verbosity go to every server up in every pool,
//    answered once all have;
//  - what cannot be routed gets "SERVER_ERROR not supported by memkit-proxy"
//    (binary: Unknown command); a failed or timed-out server gets
//    "SERVER_ERROR backend unavailable: ..." / "SERVER_ERROR backend timeout"
//    (binary: status 0x86 Temporary failure with that text).
//
// docs/proxy.md lists every command's route.
//
// Thread-safety: the client connection's loop thread only.

#ifndef MEMKIT_PROXY_SESSION_H_
#define MEMKIT_PROXY_SESSION_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "core/frontend/backend.h"
#include "core/frontend/connection.h"
#include "core/sync/mutex.h"
#include "proxy/config.h"
#include "proxy/pool.h"
#include "proxy/route.h"
#include "proxy/route_table.h"

namespace memkit {
namespace proxy {

class ProxySession;

// What every session shares: the route tables and proxy-wide counters.
struct ProxyContext {
  // Constant after start-up.
  std::string version;
  int threads = 0;
  absl::Time started = absl::Now();
  // Client requests handed to a route and not yet answered by it (a drain
  // waits for 0).
  std::atomic<int64_t> in_flight{0};
  // Requests a route sent to a pool and not yet answered, including the
  // background ones (all_async replicas, shadow copies, warm-up fills).
  std::atomic<int64_t> backend_in_flight{0};
  // Reloads that took effect, and that were refused.
  std::atomic<uint64_t> reloads{0};
  std::atomic<uint64_t> reload_failures{0};
  std::atomic<int64_t> curr_connections{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> cmd_get{0};
  std::atomic<uint64_t> cmd_other{0};

  // The proxy's "stats" (general, then pools, servers and routes) and
  // "stats proxy" (pools, servers and routes only) as STAT lines, without
  // the END.
  std::string StatLines(bool general) const;

  // The table new requests use. Any thread.
  std::shared_ptr<const RouteTable> current() const {
    MutexLock lock(&mu);
    return table;
  }
  mutable Mutex mu;
  std::shared_ptr<const RouteTable> table ABSL_GUARDED_BY(mu);
  // Worker w's copy of `table`, read and written on worker w's thread only
  // (a reload posts the new one to each worker), so a request takes no lock.
  std::vector<std::shared_ptr<const RouteTable>> worker_tables;
  // Worker w's open sessions (its thread only; the proxy's owner once the
  // loops stopped), so Proxy::Stop can close them.
  std::vector<absl::flat_hash_set<ProxySession*>> worker_sessions;
};

class ProxySession final : public frontend::Backend {
 public:
  // `worker`: the index of the worker thread whose `loop` runs the session.
  ProxySession(ProxyContext* context, size_t worker, net::EventLoop* loop, uint64_t id);
  ~ProxySession() override;

  // The client connection (set by OnOpen).
  frontend::Connection* connection() const { return connection_; }

  void OnOpen(frontend::Connection* conn) override;
  void OnTextRequest(const protocol::AsciiRequest& request, frontend::Exchange* ex) override;
  void OnBinaryRequest(const protocol::BinaryRequest& request, frontend::Exchange* ex) override;
  // A set refused as too large: memcached also unlinks the key's old value,
  // so the proxy deletes it on the key's server.
  bool OnTextError(absl::string_view line, const protocol::AsciiRequest& request,
                   const protocol::ProtocolError& error, net::OutputQueue* out) override;
  void OnBinaryError(const protocol::BinaryRequest& request,
                     const protocol::ProtocolError& error) override;

 private:
  // The call context of a request (the worker's current table).
  RouteCall Call() const;
  // Hands `request` to the root route, counting it in flight until `done`.
  void Dispatch(std::shared_ptr<const RouteRequest> request, RouteDone done);
  void Get(const protocol::AsciiRequest& request, frontend::Exchange* ex);
  void ForwardText(absl::string_view key, bool quiet, bool finish_now, bool retrieval,
                   bool is_delete, frontend::Exchange* ex);
  void ForwardBinary(const protocol::BinaryRequest& request, frontend::Exchange* ex);
  void BroadcastText(const protocol::AsciiRequest& request, frontend::Exchange* ex);
  void BroadcastBinaryFlush(const protocol::BinaryRequest& request, frontend::Exchange* ex);
  void TextStats(const protocol::AsciiRequest& request, frontend::Exchange* ex);
  void BinaryStats(const protocol::BinaryRequest& request, frontend::Exchange* ex);
  // Deletes `key` on its server, answering nobody.
  void UnlinkQuietly(absl::string_view key, bool binary);

  ProxyContext* const context_;
  const size_t worker_;
  net::EventLoop* const loop_;
  const uint64_t id_;
  frontend::Connection* connection_ = nullptr;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_SESSION_H_
