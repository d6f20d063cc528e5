// BackendConn: one persistent, pipelined connection from a proxy worker
// thread to one memcached server. Requests are written in order and their
// replies matched in order (memcached answers a connection's requests in
// the order sent); each request says what shape its reply has, so the
// connection knows where one reply ends:
//
//   kTextLine        one reply element (a status line, a number, VA + data)
//   kTextGet         VALUE elements until END (or an error line)
//   kTextUntilMn     everything before "MN": the proxy sends a quiet or
//                    noreply request followed by "mn", so the server's own
//                    quiet rules decide what the client sees
//   kBinary          one binary response packet
//   kBinaryUntilNoop every packet before a noop response (quiet opcodes,
//                    followed by a noop the same way)
//
// The connection is opened on the first request (AsyncConnect, with the
// connect timeout) and reopened on the next request after a failure. A
// failure (refused, reset, a reply that does not parse or that no request
// of its shape is answered with, or the oldest
// request unanswered past the read timeout, see CheckTimeout) answers every
// pending request's callback with Unavailable or DeadlineExceeded, so no
// client waits forever, and is reported to the Observer (health).
//
// Thread-safety: the worker's loop thread only.

#ifndef MEMKIT_PROXY_BACKEND_CONN_H_
#define MEMKIT_PROXY_BACKEND_CONN_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/net/address.h"
#include "core/net/connection.h"
#include "core/net/connector.h"
#include "core/net/event_loop.h"
#include "core/protocol/ascii_sink.h"
#include "proxy/config.h"

namespace memkit {
namespace proxy {

enum class ReplyShape : uint8_t { kTextLine, kTextGet, kTextUntilMn, kBinary, kBinaryUntilNoop };

// One VALUE element of a get reply: its key and its bytes on the wire
// ("VALUE ...\r\n<data>\r\n").
struct ValueElement {
  absl::string_view key;
  absl::string_view bytes;
};

// What a request's callback gets. Views are valid during the callback only.
struct BackendReply {
  // OK: the server answered (even with an error line). Unavailable /
  // DeadlineExceeded: the connection failed; nothing else is set.
  absl::Status status;
  // The reply as sent (for kTextGet including END; for the *Until* shapes
  // without the trailing MN / noop response).
  absl::string_view bytes;
  // kTextGet: the VALUE elements in order.
  absl::Span<const ValueElement> values;
  // Text shapes: the reply is ERROR / CLIENT_ERROR / SERVER_ERROR.
  bool text_error = false;
  // Text: a miss (END alone, NOT_FOUND, EN, NF). Binary: the status code.
  bool miss = false;
  uint16_t binary_status = 0;
};

using ReplyCallback = absl::AnyInvocable<void(const BackendReply&)>;

class BackendConn final : private net::Connection::Handler {
 public:
  // Told about the connection's health (the pool's ejection logic).
  class Observer {
   public:
    virtual ~Observer() = default;
    // The server answered a request.
    virtual void OnBackendSuccess() = 0;
    // The connection failed with requests pending or while connecting.
    virtual void OnBackendFailure(const absl::Status& status) = 0;
    // Requests were queued: call conn->Flush() soon (the worker does it once
    // per loop turn, so requests of many clients go out in one write).
    virtual void OnPendingOutput(BackendConn* conn) = 0;
    // The connection opened (+1) or closed (-1): for the open-connection
    // gauge.
    virtual void OnConnectionCountChange(int delta) { (void)delta; }
  };

  // `observer` must outlive the BackendConn. On `loop`'s thread.
  BackendConn(net::EventLoop* loop, const net::Address& address, const BackendOptions& options,
              Observer* observer);
  ~BackendConn() override;
  BackendConn(const BackendConn&) = delete;
  BackendConn& operator=(const BackendConn&) = delete;

  // Where the next request's bytes go (copied). Then Send().
  protocol::AsciiSink* sink() { return &sink_; }
  // The bytes written to sink() since the last Send() are one request whose
  // reply has `shape`; `done` runs once with it (or with the failure).
  void Send(ReplyShape shape, ReplyCallback done);

  // Writes the queued requests (see Observer::OnPendingOutput).
  void Flush();

  // Fails the connection if its oldest request has waited past the read
  // timeout. `now_ns`: the loop's cached monotonic clock.
  void CheckTimeout(int64_t now_ns);

  size_t pending() const { return ops_.size(); }

 private:
  struct Op {
    ReplyShape shape;
    ReplyCallback done;
    int64_t start_ns;
    // Parse progress (offsets into the input, which is not consumed until
    // the whole reply is in).
    size_t parsed = 0;
    std::vector<std::pair<size_t, size_t>> value_keys;   // offset, length
    std::vector<std::pair<size_t, size_t>> value_bytes;  // offset, length
  };
  enum class State : uint8_t { kIdle, kConnecting, kConnected };
  enum class Parse : uint8_t { kDone, kMore, kBad };

  class Sink final : public protocol::AsciiSink {
   public:
    explicit Sink(BackendConn* c) : c_(c) {}
    void Append(absl::string_view bytes) override;

   private:
    BackendConn* c_;
  };

  void StartConnect();
  void OnConnected(absl::StatusOr<net::UniqueFd> fd);
  // Fails every pending request with `status` and drops the connection.
  void Fail(const absl::Status& status);
  // Parses the front op's reply from `data`; kDone sets *end and fills `reply`.
  Parse ParseReply(Op& op, absl::string_view data, size_t* end, BackendReply* reply);

  // net::Connection::Handler
  void OnData(net::Connection* conn) override;
  void OnClose(net::Connection* conn, const absl::Status& status) override;

  net::EventLoop* const loop_;
  const net::Address address_;
  const BackendOptions options_;
  Observer* const observer_;
  Sink sink_{this};

  State state_ = State::kIdle;
  std::unique_ptr<net::AsyncConnect> connect_;
  std::unique_ptr<net::Connection> conn_;
  // Closed connections waiting for their OnClose.
  std::vector<std::unique_ptr<net::Connection>> closing_;
  std::string unsent_;  // requests written while connecting
  std::deque<Op> ops_;
  std::vector<ValueElement> values_scratch_;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_BACKEND_CONN_H_
