// frontend::Backend: the one narrow interface behind core/frontend. A back
// end (the server's cache engine, the proxy's router, a test fake) answers
// decoded requests; the front end (connection.h) owns everything else about
// a memcached client connection: reading, protocol detection, decoding with
// memcached's exact error behaviour, ordering replies, write points,
// holding, back-pressure and closing.
//
// One Backend object serves one client connection (it may keep per-
// connection state, e.g. pinned items). The front end calls it on the
// connection's loop thread only:
//
//   OnOpen(conn)                               once, first
//   OnBatch()                                  before each batch of requests
//   OnTextRequest / OnBinaryRequest(req, ex)   one per request, in order
//   OnTextError / OnBinaryError(...)           a request the decoder refused
//   OnWritePoint()                             replies so far are "written"
//   OnYield()                                  -R budget reached
//   OnClose(status)                            once, last; then destroyed
//
// Requests: text and meta arrive as protocol::AsciiRequest (command, keys,
// value, flags, exptime, cas, delta/initial, meta flags, noreply/quiet),
// binary as protocol::BinaryRequest (opcode, key, value, extras, cas,
// opaque); both are views into the connection's input, valid until the
// Exchange is finished or the call returns, whichever is first (an
// asynchronous back end copies what it needs). Replies are written to
// Exchange::out() in the client's protocol, using core/protocol's writers;
// value bytes may be appended by reference (net::OutputQueue::AppendRef),
// pinned until written, never copied on the synchronous path.
//
// Commands that are inherently the memcached server's (stats groups,
// lru_crawler, slabs, watch, verbosity, shutdown, cache_memlimit, ...)
// reach OnTextRequest like any other, already tokenised by the parser
// (AsciiCommand::kAdmin with command_name and args); the back end writes its
// raw reply text to out(). A back end that does not serve one answers
// "ERROR\r\n" (protocol::kTextError), as memcached does for unknown commands.
//
// What the front end answers itself, never asking the back end: protocol
// errors (CLIENT_ERROR lines, bad binary magic, HTTP/ ...), "quit", meta
// "mn", binary noop and quit, and an injected failure (FaultHooks).
//
// Thread-safety: every call on the connection's loop thread. An Exchange
// must be finished on that thread too: an asynchronous back end hops back
// with Exchange::loop()->RunInLoop().

#ifndef MEMKIT_CORE_FRONTEND_BACKEND_H_
#define MEMKIT_CORE_FRONTEND_BACKEND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/binary_request_parser.h"
#include "core/protocol/parse_result.h"

namespace memkit {
namespace net {
class OutputQueue;
}  // namespace net
namespace frontend {

class Connection;
class Exchange;

class Backend {
 public:
  virtual ~Backend() = default;

  // The connection is set up; `conn` outlives every other call.
  virtual void OnOpen(Connection* conn) { (void)conn; }

  // A text or meta request. Write the reply to exchange->out() and call
  // exchange->Finish(), now or later (see Exchange).
  virtual void OnTextRequest(const protocol::AsciiRequest& request, Exchange* exchange) = 0;
  // A binary request (not noop or quit, which the front end answers).
  virtual void OnBinaryRequest(const protocol::BinaryRequest& request, Exchange* exchange) = 0;

  // The decoder refused a text/meta request line: `request` holds what it
  // decoded before the error (e.g. the key and flags of a storage command
  // whose value is too large), `error` what the front end will do (reply,
  // bytes to swallow, close). For the back end's side effects only (memcached
  // counts and unlinks a too-large item) -- unless it answers the line itself:
  // then it appends its reply to `out` and returns true, and the front end
  // does nothing more with it (memcached-debug's "debugtime").
  virtual bool OnTextError(absl::string_view line, const protocol::AsciiRequest& request,
                           const protocol::ProtocolError& error, net::OutputQueue* out) {
    (void)line, (void)request, (void)error, (void)out;
    return false;
  }
  // The decoder refused a binary packet; side effects only (the front end
  // writes the error response).
  virtual void OnBinaryError(const protocol::BinaryRequest& request,
                             const protocol::ProtocolError& error) {
    (void)request, (void)error;
  }

  // Before each batch of requests read from the socket.
  virtual void OnBatch() {}
  // A write point (memcached's): what was queued so far counts as written.
  // A back end that holds references for replies "until written" drops them.
  virtual void OnWritePoint() {}
  // The connection yielded after ConnectionOptions::reqs_per_event requests.
  virtual void OnYield() {}
  // The connection closed (`status` as net::Connection::Handler::OnClose).
  // Exchanges still pending may be finished afterwards; their replies are
  // discarded. The Backend is destroyed once none is pending.
  virtual void OnClose(const absl::Status& status) { (void)status; }
};

// Optional fault injection, asked by the front end before each request
// (FakeServer's "drop the next N replies", "fail the next N commands",
// latency). Thread-safety: called from every connection's loop thread.
class FaultHooks {
 public:
  virtual ~FaultHooks() = default;
  // True: the next request runs, but its reply is thrown away.
  virtual bool TakeDrop() = 0;
  // True: the next request is not run; it is answered "SERVER_ERROR
  // <message>" (text/meta) or the binary status memcached sends for that text.
  virtual bool TakeFailure(std::string* message) = 0;
  // Added latency before each flush, in nanoseconds (0: none).
  virtual int64_t latency_ns() const = 0;
};

}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_BACKEND_H_
