#include "proxy/route_pool.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/protocol/text_request_writer.h"
#include "proxy/pool.h"
#include "proxy/worker_pool.h"
#include "proxy/route_table.h"
#include "proxy/translate.h"

namespace memkit {
namespace proxy {
namespace {

// A kGet split over several servers: the hits of each, per key position,
// until every server has answered.
struct SplitGet {
  RouteDone done;
  RouteReply reply;
  size_t remaining = 0;
};

}  // namespace

BackendTracker::BackendTracker(ProxyStats* stats, int64_t now_ns)
    : stats_(stats), start_ns_(now_ns) {
  stats_->requests.Increment();
  stats_->in_flight.Add(1);
}

void BackendTracker::Done(const BackendReply& reply, int64_t now_ns, uint64_t hits,
                          uint64_t misses) const {
  ProxyStats& s = *stats_;
  s.in_flight.Add(-1);
  if (!reply.status.ok()) {
    s.errors.Increment();
    if (reply.status.code() == absl::StatusCode::kDeadlineExceeded) s.timeouts.Increment();
    return;
  }
  s.latency_ns.Record(now_ns - start_ns_);
  if (hits != 0) s.hits.Add(hits);
  if (misses != 0) s.misses.Add(misses);
}

void PoolRoute::Send(const RouteCall& call, std::shared_ptr<const RouteRequest> request,
                     RouteDone done) const {
  WorkerPool* worker = call.table->worker_pool(pool_, call.worker);
  worker->stats().requests.Increment();
  if (call.backend_in_flight != nullptr) {
    std::atomic<int64_t>* counter = call.backend_in_flight;
    counter->fetch_add(1, std::memory_order_relaxed);
    done = [counter, done = std::move(done)](RouteReply reply) mutable {
      done(std::move(reply));
      counter->fetch_sub(1, std::memory_order_release);
    };
  }
  if (request->kind == RouteRequest::Kind::kGet) {
    SendGet(call, worker, *request, std::move(done));
  } else {
    SendKeyed(call, worker, *request, std::move(done));
  }
}

void PoolRoute::SendKeyed(const RouteCall& call, WorkerPool* worker, const RouteRequest& request,
                          RouteDone done) const {
  const size_t server = worker->placement().ServerFor(request.key);
  if (server == hash::Placement::kNoServer) {
    RouteReply reply;
    reply.status = NoBackendError();
    done(std::move(reply));
    return;
  }
  if (request.binary && worker->pool()->options().backend_protocol == BackendProtocol::kMeta) {
    SendTranslated(call, worker, server, request, std::move(done));
    return;
  }
  net::EventLoop* loop = call.loop;
  BackendConn* conn = worker->Conn(server, call.session, request.binary);
  conn->sink()->Append(request.bytes);
  BackendTracker tracker(&worker->server_stats(server), loop->cached_now_ns());
  const bool retrieval = request.retrieval;
  const bool binary = request.binary;
  conn->Send(request.shape, [tracker, loop, retrieval, binary, table = call.table,
                             done = std::move(done)](const BackendReply& backend) mutable {
    RouteReply reply;
    reply.status = backend.status;
    uint64_t hits = 0, misses = 0;
    if (backend.status.ok()) {
      reply.bytes = std::string(backend.bytes);
      reply.text_error = backend.text_error;
      reply.binary_status = backend.binary_status;
      if (retrieval && !backend.text_error) {
        // A quiet miss sends nothing: no bytes is a miss too.
        reply.miss = backend.bytes.empty() ||
                     (binary ? backend.binary_status == 0x0001 : backend.miss);
        (reply.miss ? misses : hits) = 1;
      }
    }
    tracker.Done(backend, loop->cached_now_ns(), hits, misses);
    done(std::move(reply));
  });
}

void PoolRoute::SendTranslated(const RouteCall& call, WorkerPool* worker, size_t server,
                               const RouteRequest& request, RouteDone done) const {
  RouteReply reply;
  if (request.meta == nullptr) {
    // The session translates whenever the table has a meta pool; this is
    // memkit's bug, answered as a failure rather than sent in binary.
    reply.status = absl::InternalError("binary request without its meta form");
    done(std::move(reply));
    return;
  }
  std::shared_ptr<const MetaTranslation> meta = request.meta;
  if (!meta->status.ok()) {
    reply.bytes = UntranslatablePacket(*meta);
    reply.binary_status = PacketStatus(reply.bytes);
    done(std::move(reply));
    return;
  }
  net::EventLoop* loop = call.loop;
  BackendConn* conn = worker->Conn(server, call.session, /*binary=*/false);
  conn->sink()->Append(meta->bytes);
  BackendTracker tracker(&worker->server_stats(server), loop->cached_now_ns());
  conn->Send(ReplyShape::kTextLine, [tracker, loop, meta, table = call.table,
                                     done = std::move(done)](const BackendReply& backend) mutable {
    RouteReply reply;
    reply.status = backend.status;
    uint64_t hits = 0, misses = 0;
    if (backend.status.ok()) {
      bool hit = false;
      // A quiet opcode's reply may be "": the client sees nothing.
      reply.bytes = BinaryForMetaReply(meta->reply, backend.bytes, &hit);
      reply.binary_status = PacketStatus(reply.bytes);
      if (meta->retrieval) {
        reply.miss = !hit;
        (hit ? hits : misses) = 1;
      }
    }
    tracker.Done(backend, loop->cached_now_ns(), hits, misses);
    done(std::move(reply));
  });
}

void PoolRoute::SendGet(const RouteCall& call, WorkerPool* worker, const RouteRequest& request,
                        RouteDone done) const {
  const hash::Placement& placement = worker->placement();
  const size_t n = request.keys.size();
  if (placement.live_count() == 0) {
    RouteReply reply;
    reply.status = NoBackendError();
    done(std::move(reply));
    return;
  }
  absl::InlinedVector<size_t, 16> server_of(n);
  for (size_t i = 0; i < n; ++i) server_of[i] = placement.ServerFor(request.keys[i]);
  // Positions per server, in first-seen order.
  std::vector<std::pair<size_t, std::vector<size_t>>> groups;
  for (size_t i = 0; i < n; ++i) {
    bool placed = false;
    for (auto& g : groups) {
      if (g.first == server_of[i]) {
        g.second.push_back(i);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push_back({server_of[i], {i}});
  }
  auto split = std::make_shared<SplitGet>();
  split->done = std::move(done);
  split->reply.values.resize(n);
  split->remaining = groups.size();
  net::EventLoop* loop = call.loop;
  const bool gat = request.command == protocol::AsciiCommand::kGat ||
                   request.command == protocol::AsciiCommand::kGats;
  std::vector<absl::string_view> keys;
  for (auto& group : groups) {
    const size_t server = group.first;
    keys.clear();
    for (size_t p : group.second) keys.push_back(request.keys[p]);
    BackendConn* conn = worker->Conn(server, call.session, false);
    absl::Status written =
        gat ? protocol::WriteGatRequest(conn->sink(), request.command, request.exptime, keys)
            : protocol::WriteGetRequest(conn->sink(), request.command, keys);
    if (!written.ok()) {
      // The front end validated the keys; a refusal here is memkit's bug.
      if (split->reply.status.ok()) split->reply.status = written;
      if (--split->remaining == 0) split->done(std::move(split->reply));
      continue;
    }
    BackendTracker tracker(&worker->server_stats(server), loop->cached_now_ns());
    std::vector<std::string> wanted;
    for (size_t p : group.second) wanted.push_back(request.keys[p]);
    conn->Send(ReplyShape::kTextGet, [split, positions = std::move(group.second),
                                      wanted = std::move(wanted), tracker, loop,
                                      table = call.table](const BackendReply& backend) {
      const size_t hits = backend.values.size();
      tracker.Done(backend, loop->cached_now_ns(), hits,
                   positions.size() > hits ? positions.size() - hits : 0);
      RouteReply& reply = split->reply;
      if (!backend.status.ok()) {
        if (reply.status.ok()) reply.status = backend.status;
      } else if (backend.text_error) {
        if (reply.error_line.empty()) reply.error_line = std::string(backend.bytes);
      } else {
        // memcached answers hits in the order asked: walk both in step.
        size_t v = 0;
        for (size_t k = 0; k < positions.size(); ++k) {
          if (v < backend.values.size() && backend.values[v].key == wanted[k]) {
            reply.values[positions[k]] = std::string(backend.values[v].bytes);
            ++v;
          }
        }
      }
      if (--split->remaining == 0) split->done(std::move(split->reply));
    });
  }
}

}  // namespace proxy
}  // namespace memkit
