// frontend::Connection: one client connection of any memcached listener
// (memkit-server, the proxy, a test fake), speaking memcached 1.6.18's text,
// meta and binary protocols byte for byte, in front of a Backend
// (backend.h) that answers the decoded requests.
//
// What it owns, so that no back end repeats it:
//  - lifecycle: reading, half-close (everything pipelined before a FIN is
//    answered), closing after "quit" or a hopeless request, idle closes;
//  - protocol detection on the first byte (0x80: binary, else text/meta, as
//    memcached's -B auto), then one small decoder per protocol
//    (text_protocol.h, meta_protocol.h, binary_protocol.h);
//  - memcached's error behaviour: bytes swallowed after a refused storage
//    command, "HTTP/" and bad magic close, noreply, quiet binary opcodes;
//  - ordering: replies go out in request order even when a back end
//    finishes a request later (another loop turn, or another thread through
//    RunInLoop). A request finished at once writes straight into the
//    socket's output queue (the synchronous path copies nothing); one that
//    is still pending makes every later request reply into its own buffer,
//    which is appended in order once everything before it has finished;
//  - memcached's write points and holding: replies are "written" after a
//    get, mn, a binary error or noop, or when the input runs dry; while a
//    value or a swallow is still arriving (conn_nread / conn_swallow)
//    memcached writes nothing, so the replies queued since the last write
//    point are held back; when it hangs up on bad input the unwritten rest
//    is dropped;
//  - back-pressure: parsing pauses while more than
//    ConnectionOptions::output_high_water reply bytes wait, or
//    max_pending requests are unfinished; -R's yield after reqs_per_event.
//
// The object owns itself: Start() creates it, and it deletes itself (and
// its Backend) once the socket has closed and no Exchange is pending.
//
// Thread-safety: created, used and destroyed on its loop thread; state() and
// last_cmd_ns() may be read from any thread ("stats conns").

#ifndef MEMKIT_CORE_FRONTEND_CONNECTION_H_
#define MEMKIT_CORE_FRONTEND_CONNECTION_H_

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/frontend/authenticator.h"
#include "core/frontend/backend.h"
#include "core/net/connection.h"
#include "core/net/event_loop.h"
#include "core/net/output_queue.h"
#include "core/net/socket.h"
#include "core/protocol/ascii_parser.h"
#include "core/protocol/ascii_request.h"
#include "core/protocol/binary_request_parser.h"
#include "core/stats/histogram.h"

namespace memkit {
namespace frontend {

// memcached's -B.
enum class Protocols : uint8_t { kAuto, kText, kBinary };

struct ConnectionOptions {
  // Which protocols a connection may speak (kAuto: chosen by its first byte).
  Protocols protocols = Protocols::kAuto;
  // Decoder limits (largest value, CAS on/off).
  protocol::AsciiParserOptions ascii;
  protocol::BinaryParserOptions binary;
  // memcached's -R: requests run per read event before yielding to others.
  int reqs_per_event = 20;
  // The input buffer's cap: room for the largest item plus its line.
  size_t max_request_bytes = 1024 * 1024 + 64 * 1024;
  // Stop parsing while this many reply bytes wait to be written.
  size_t output_high_water = 4 * 1024 * 1024;
  // Stop parsing while this many requests are unfinished (asynchronous
  // back ends); parsing resumes as they finish.
  size_t max_pending = 1024;
  // Optional fault injection; not owned, must outlive the connection.
  FaultHooks* faults = nullptr;
  // When set, each request's service time (from its decoding to its
  // Exchange being finished, in nanoseconds) is recorded here: the admin
  // API's and /metrics' request latency. Null costs nothing per request;
  // set, two monotonic clock reads. Not owned; must outlive the connection.
  stats::Histogram* request_latency = nullptr;
  // memcached's -Y: when set, a connection must log in with the ASCII auth
  // command before anything else runs (ascii_auth.h). Not owned; must
  // outlive the connection. (Binary SASL, -S, is binary.sasl_enabled; the
  // back end answers the SASL opcodes and calls Exchange::MarkAuthenticated.)
  Authenticator* ascii_auth = nullptr;
};

// What "stats conns" reports as a connection's state.
enum class ConnectionState : uint8_t { kRead, kParseCmd, kNread, kSwallow, kClosing };
// memcached's names: "conn_read", "conn_parse_cmd", ...
const char* ConnectionStateName(ConnectionState state);

class Connection;

// One request's reply. The front end hands it to the Backend with the
// request; the back end appends the reply to out() and calls Finish(),
// before returning (synchronous) or later (asynchronous). Every Exchange
// must be finished exactly once, on the connection's loop thread, even after
// the connection closed (its reply is then discarded).
class Exchange {
 public:
  Exchange() = default;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Where this request's reply goes, in the client's protocol. Valid until
  // Finish().
  net::OutputQueue* out() { return out_; }
  // The request is answered. The Exchange must not be used afterwards.
  void Finish();

  Connection* connection() const { return conn_; }
  // The request's bytes as received (a text line with its data block, or a
  // binary packet); valid during the back end's call only (logging).
  absl::string_view request_bytes() const { return request_bytes_; }
  // The connection's loop, to come back to from another thread.
  net::EventLoop* loop() const;

  // ---- connection-level controls, only while the back end's call runs
  // (synchronous back ends: the server's admin commands).
  // A write point: memcached would write what is queued now.
  void WritePoint();
  // Parse nothing more; close once the replies are written.
  void CloseAfterReplies();
  // Throw away replies queued since the last write point (memcached's
  // silent hang-up).
  void DropUnwritten();
  // Replies are queued that memcached would not have written yet.
  bool HasUnwrittenReplies() const;
  // Discard the input buffered after this request (memcached hands the
  // connection to another thread for watch and lru_crawler metadump,
  // losing it).
  void DiscardBufferedInput();
  // From now on the connection only sends (watch): input is read and ignored.
  void IgnoreInput();
  // The client has authenticated (binary SASL): its later requests run.
  void MarkAuthenticated();

 private:
  friend class Connection;
  friend class TextProtocol;
  friend class BinaryProtocol;

  Connection* conn_ = nullptr;
  net::OutputQueue* out_ = nullptr;
  absl::string_view request_bytes_;
  net::OutputQueue buffer_;  // replies of a request behind a pending one
  Exchange* next_ = nullptr;  // pending list
  bool finished_ = false;
  bool listed_ = false;   // in the pending list
  bool direct_ = false;   // out_ is the socket's queue (or the drop sink)
  bool drop_ = false;     // a fault drops this reply
  int64_t start_ns_ = 0;  // monotonic; set only with request_latency
};

class Connection final : private net::Connection::Handler {
 public:
  // Wraps `fd` on `loop` (the calling thread must be `loop`'s) and starts
  // reading. On success the Connection owns itself and `backend`, and has
  // called backend->OnOpen(). On failure `backend` is destroyed unopened.
  // With `transport` (TLS, net/transport.h) the connection's bytes go
  // through it; null: the socket's own.
  static absl::StatusOr<Connection*> Start(net::EventLoop* loop, net::UniqueFd fd,
                                           const ConnectionOptions& options,
                                           std::unique_ptr<Backend> backend,
                                           std::unique_ptr<net::Transport> transport = nullptr);
  // The same with options shared by many connections instead of copied into
  // each (a server's thousands of connections share one set): `options` must
  // not change while a connection uses it.
  static absl::StatusOr<Connection*> Start(net::EventLoop* loop, net::UniqueFd fd,
                                           std::shared_ptr<const ConnectionOptions> options,
                                           std::unique_ptr<Backend> backend,
                                           std::unique_ptr<net::Transport> transport = nullptr);

  Backend* backend() const { return backend_.get(); }
  net::EventLoop* loop() const { return loop_; }
  // The socket (byte counters, fd); null once destroyed.
  net::Connection* socket() const { return conn_.get(); }
  int fd() const { return fd_; }

  // Any thread.
  ConnectionState state() const { return state_.load(std::memory_order_relaxed); }
  // Monotonic ns (the loop's cached clock) of the last request batch.
  int64_t last_cmd_ns() const { return last_cmd_ns_.load(std::memory_order_relaxed); }

  // Monotonic ns of the last read, or of the start if nothing was read.
  int64_t last_activity_ns() const;
  // Requests handed to the back end and not finished yet.
  size_t pending() const { return pending_count_; }

  // Closes now (FIN, or RST when `reset`); pending output is dropped.
  void CloseNow(bool reset);
  // Answers what is buffered, then closes once the output is written.
  void CloseGracefully();
  // Closes and destroys at once without a loop (its loop has stopped): the
  // owner's last step at shutdown, on the thread that owned the loop.
  void DestroyAfterLoopStopped();

 private:
  friend class Exchange;
  friend class TextProtocol;
  friend class MetaProtocol;
  friend class BinaryProtocol;
  friend class AsciiAuth;

  enum class Detected : uint8_t { kUnknown, kText, kBinary };

  Connection(net::EventLoop* loop, std::shared_ptr<const ConnectionOptions> options,
             std::unique_ptr<Backend> backend);
  ~Connection() override;

  // net::Connection::Handler
  void OnData(net::Connection* conn) override;
  void OnReadEof(net::Connection* conn) override;
  void OnDrained(net::Connection* conn) override;
  void OnClose(net::Connection* conn, const absl::Status& status) override;

  // Runs buffered requests; `limited`: stop after -R requests and yield.
  void Process(bool limited);
  void ScheduleResume(absl::Duration delay);
  void Resume();
  // After a half-close, closes once parsing is not merely paused (by
  // max_pending, output_high_water or the per-event budget).
  void MaybeCloseAtEof();
  void ApplyLatency();
  void MaybeDestroy();

  // ---- requests and their exchanges
  // Starts a request: an Exchange replying in order. With `consult_faults`
  // (a request for the back end, not a reply of the front end's own) sets
  // `*fail` (and fail_message_) if a fault says to answer it with a failure
  // instead of running it, and may route its reply to the drop sink.
  Exchange* BeginExchange(bool consult_faults, bool* fail);
  // The front end's own reply (an error line, mn, noop): in order like any.
  Exchange* BeginOwnReply() { return BeginExchange(false, nullptr); }
  // After the back end's call returned: recycles a finished direct exchange;
  // keeps an unfinished one in the pending list.
  void EndExchange(Exchange* ex);
  // Exchange::Finish.
  void OnFinished(Exchange* ex);
  // Appends the finished exchanges at the head of the pending list to the
  // socket's queue, in order.
  void DrainFinished();
  void Recycle(Exchange* ex);

  // ---- write points and holding (see the class comment)
  void Commit();
  void DropUncommitted();
  void CloseAfterReplies();
  void ReserveOrClose(size_t bytes_needed);
  bool AwaitingData() const;
  void HoldUncommitted();
  void ReleaseHeld();
  // Appends bytes [from, to) of `out` to `dst`.
  static void CopyOutput(const net::OutputQueue& out, size_t from, size_t to, std::string* dst);
  net::OutputQueue* DiscardQueue();
  void KeepOnlyCommitted();
  void SetState(ConnectionState s) { state_.store(s, std::memory_order_relaxed); }

  // The decoders' request objects: 1.4 KB, mostly the text parser's token
  // tables. A request is decoded and handed to the back end within one
  // Process() (the parsers start over on every call), so a connection
  // borrows them from a per-thread pool for that long instead of holding
  // them: an idle connection costs a few hundred bytes, as memcached's do.
  struct Decoded {
    protocol::AsciiRequest ascii;
    protocol::BinaryRequest binary;
    std::string fail_message;  // an injected failure's, for its reply
  };
  protocol::AsciiRequest& ascii() { return decoded_->ascii; }
  protocol::BinaryRequest& binary() { return decoded_->binary; }
  std::string& fail_message() { return decoded_->fail_message; }
  static Decoded* BorrowDecoded();
  static void ReturnDecoded(Decoded* decoded);

  const ConnectionOptions& options() const { return *shared_options_; }
  static uint32_t Saturate32(size_t n) {
    return n > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(n);
  }

  // The fields are ordered pointers, 64-bit counters, then flags, so that
  // nothing pads: a server holds one Connection per client, 10,000 idle
  // ones included.
  net::EventLoop* const loop_;
  const std::shared_ptr<const ConnectionOptions> shared_options_;
  // Declared before conn_ and the exchanges: the output queues hold
  // references (pins) the back end releases.
  std::unique_ptr<Backend> backend_;
  // Replies that a fault drops; made on the first such fault.
  std::unique_ptr<net::OutputQueue> discard_;
  Exchange* pending_head_ = nullptr;  // unfinished or not yet appended, in order
  Exchange* pending_tail_ = nullptr;
  std::unique_ptr<net::Connection> conn_;
  // Replies held in conn_nread/conn_swallow (rare: made on first use).
  std::unique_ptr<std::string> held_;
  Decoded* decoded_ = nullptr;  // set during Process() only

  std::atomic<int64_t> last_cmd_ns_{0};
  size_t swallow_ = 0;       // bytes still to discard after a refused command
  size_t committed_ = 0;     // output bytes memcached would have written by now
  int64_t start_ns_ = 0;
  net::EventLoop::TimerId resume_timer_ = 0;
  int64_t applied_latency_ns_ = 0;

  // Don't reparse until input holds this many bytes (a request is < 4 GiB).
  uint32_t wait_until_ = 0;
  uint32_t auth_value_bytes_ = 0;   // the ascii_auth command's data still to read
  uint32_t pending_count_ = 0;
  int fd_ = -1;
  std::atomic<ConnectionState> state_{ConnectionState::kRead};
  Detected detected_ = Detected::kUnknown;
  // The request being parsed is a storage command whose value is still
  // arriving (memcached's conn_nread), as opposed to a partial line/header.
  bool awaiting_value_ = false;
  // The last batch ended waiting for a value's or a swallow's bytes.
  bool awaited_data_ = false;
  bool closing_ = false;        // quit/close requested: parse nothing more
  bool close_when_done_ = false;  // close once the pending exchanges finish
  bool socket_closed_ = false;  // OnClose ran
  bool ignore_input_ = false;   // watch: input is read and ignored
  bool drop_buffered_input_ = false;
  bool output_paused_ = false;
  bool pending_paused_ = false;  // max_pending reached
  // The client half-closed: close once every request that arrived before
  // is parsed and answered (MaybeCloseAtEof).
  bool read_eof_ = false;
  bool in_process_ = false;
  bool authenticated_ = true;     // false until an ascii_auth login succeeds
  // A SASL login's outcome: the parser's options().binary.authenticated for
  // this connection.
  bool binary_authenticated_ = false;
};

}  // namespace frontend
}  // namespace memkit

#endif  // MEMKIT_CORE_FRONTEND_CONNECTION_H_
