// Route: one node of memkit-proxy's route tree (docs/proxy.md, "Routes").
// A session hands each keyed request to the root route of the current
// RouteTable (route_table.h); composite routes (failover, replicated,
// prefix, warm-up, shadow) pass it on to their children and combine the
// answers; leaves (PoolRoute) send it to a server of a pool.
//
// Asynchronous: Send() returns at once; `done` runs exactly once, later or
// during Send(), on the calling worker's loop thread, with the reply.
//
// Two kinds of request reach a route:
//  - kGet: a text get/gets/gat/gats with one or more keys; the reply holds
//    one VALUE element (or "" for a miss) per key position, so routes can
//    split the keys (per prefix, per server) and merge the hits back in the
//    client's key order;
//  - kKeyed: any other request for one key, as bytes ready for a backend
//    (text, meta or binary, with the "mn"/noop that ends a quiet one) and
//    the shape of its reply; the reply is the backend's bytes.
//
// Thread-safety: a route tree is immutable after construction and shared
// by every worker; per-call state lives in the callbacks. Counters (shadow,
// fastest-read latency) are atomics.

#ifndef MEMKIT_PROXY_ROUTE_H_
#define MEMKIT_PROXY_ROUTE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/net/event_loop.h"
#include "core/protocol/ascii_request.h"
#include "proxy/backend_conn.h"

namespace memkit {
namespace proxy {

class RouteTable;
class WorkerPool;
struct MetaTranslation;  // translate.h

struct RouteRequest {
  enum class Kind : uint8_t { kGet, kKeyed };
  Kind kind = Kind::kKeyed;

  // kGet: the command (get, gets, gat, gats), gat's exptime, the keys.
  protocol::AsciiCommand command = protocol::AsciiCommand::kGet;
  int32_t exptime = 0;
  std::vector<std::string> keys;

  // kKeyed: the key, the request bytes, the reply's shape, the protocol.
  std::string key;
  std::string bytes;
  ReplyShape shape = ReplyShape::kTextLine;
  bool binary = false;
  // A read (get, mg, binary get/gat, md): reads go to one replica and a
  // miss is meaningful. Otherwise a write (replicated to every child).
  bool retrieval = false;
  // A delete (text, meta or binary): warm-up sends it to both pools.
  bool is_delete = false;
  // Binary kKeyed requests, when the table has a pool whose servers speak
  // meta (PoolOptions::backend_protocol): the request in meta, which such a
  // pool sends instead of `bytes`. Null otherwise.
  std::shared_ptr<const MetaTranslation> meta;
};

struct RouteReply {
  // Not OK: no server answered (connection failure, timeout, no server up;
  // see NoBackendError). Nothing else is meaningful then.
  absl::Status status;

  // kKeyed: the backend's reply as sent.
  std::string bytes;
  // kKeyed: the reply is ERROR / CLIENT_ERROR / SERVER_ERROR (text).
  bool text_error = false;
  // kKeyed: binary status (0 success).
  uint16_t binary_status = 0;
  // kKeyed retrievals: the key was not found (also: a quiet miss, no bytes).
  bool miss = false;

  // kGet: one VALUE element ("VALUE k f n [cas]\r\n<data>\r\n") per key
  // position, "" for a miss; or error_line, a server's error line.
  std::vector<std::string> values;
  std::string error_line;
};

using RouteDone = absl::AnyInvocable<void(RouteReply)>;

// What a route needs of the calling worker. Copied into callbacks; the
// table reference keeps pools and routes alive until every request sent
// through them (background ones included) has completed.
struct RouteCall {
  std::shared_ptr<const RouteTable> table;
  size_t worker = 0;        // the worker's index: which WorkerPools to use
  net::EventLoop* loop = nullptr;
  uint64_t session = 0;     // picks the same backend connection per client
  // Backend requests sent and not yet answered, background ones included
  // (a drain waits for 0). May be null.
  std::atomic<int64_t>* backend_in_flight = nullptr;
};

class Route {
 public:
  virtual ~Route() = default;
  virtual void Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                    RouteDone done) const = 0;
  // "STAT ...\r\n" lines of this route and its children (shadow counters).
  virtual void AppendStatLines(std::string* out) const { (void)out; }
};

// The status of a request that found no server up in a pool.
absl::Status NoBackendError();
bool IsNoBackend(const absl::Status& status);

// Failed: no server answered, a SERVER_ERROR line (text), a server-side
// error status (binary 0x82 and up), or, for kGet, a server's error line.
bool IsFailure(const RouteReply& reply);
// kGet: any key missed. kKeyed: `miss`.
bool IsMiss(const RouteRequest& request, const RouteReply& reply);
// For "worst answer wins": 3 failed, 2 an error line/status, 1 a miss or
// refusal (NOT_STORED, NOT_FOUND, EXISTS, NS, NF, EX), 0 success.
int Severity(const RouteRequest& request, const RouteReply& reply);

// A kGet request for `keys` (a subset of `request`'s, same command).
std::shared_ptr<const RouteRequest> SubGet(const RouteRequest& request,
                                           std::vector<std::string> keys);

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_ROUTE_H_
