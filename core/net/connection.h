// Connection: a non-blocking stream socket on an EventLoop, with a ReadBuffer
// for input and an OutputQueue for replies.
//
// The server wraps every accepted fd in one; the proxy wraps client and
// backend fds (from AsyncConnect) in them, on the same loop. The per-request
// path is:
//
//   fd readable -> one read(2) into input()        (Connection)
//   Handler::OnData(conn): parse requests from conn->input().data(),
//       Consume() them, append replies to conn->output()  (server)
//   after OnData returns -> one sendmsg/writev of all queued replies
//
// so a batch of pipelined requests costs one read and one write, and nothing
// is allocated once the buffers have reached their working size. Write
// interest is registered only while a reply is stuck behind a full socket
// buffer; reading pauses while more than `output_high_water` bytes are
// queued (a client that does not read its replies cannot grow the queue
// without bound), and input is capped by ReadBuffer's max_capacity.
//
// Closing: every Connection that closes for any reason (peer EOF under the
// default OnReadEof, reset, I/O error, input cap, Close()/Abort()) gets
// exactly one Handler::OnClose, delivered from a fresh loop turn, never from
// inside a call the handler made, so OnClose may destroy the Connection.
// Destroying a Connection without closing it first closes the fd silently.
//
// Thread-safety: everything on the loop thread (create it there, or on the
// loop's owning thread before Run()); destroy it on the loop thread.
// To act on it from another thread, EventLoop::RunInLoop().

#ifndef MEMKIT_CORE_NET_CONNECTION_H_
#define MEMKIT_CORE_NET_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/net/event_loop.h"
#include "core/net/output_queue.h"
#include "core/net/read_buffer.h"
#include "core/net/socket.h"
#include "core/net/transport.h"

namespace memkit {
namespace net {

class Connection final : private EventLoop::Watcher {
 public:
  struct Options {
    // Input buffering; the cap bounds the largest request (line + value).
    ReadBuffer::Options read_buffer;
    // Stop reading while more than this many reply bytes wait to be sent;
    // resume once they have drained below it.
    size_t output_high_water = 4 * 1024 * 1024;
    // Hand the input buffer back to the thread's BufferCache when it is
    // empty after a batch and larger than this. 0 (the default): always, so
    // a connection with nothing buffered holds no input buffer (the next
    // read takes one from the cache again, without a malloc).
    size_t shrink_read_buffer_above = 0;
  };

  // Implemented by whoever owns the connection (a server session, a proxy
  // route). All calls are on the loop thread.
  class Handler {
   public:
    virtual ~Handler() = default;

    // New bytes were appended to conn->input(). Parse and Consume() what is
    // complete; append replies to conn->output() (they are flushed when this
    // returns). Views into input() stay valid until OnData returns. If the
    // input is full() after OnData and nothing was consumed, the connection
    // closes with ResourceExhausted (after flushing what OnData queued, e.g.
    // an error line). May call Close(); must not destroy the Connection.
    virtual void OnData(Connection* conn) = 0;

    // The peer shut down its sending side (read returned 0). Data that came
    // before it was delivered to OnData first. Default: CloseAfterFlush(),
    // which reports OnClose with an OK status. Override to keep writing on a
    // half-closed connection (the server does, to answer what was pipelined).
    virtual void OnReadEof(Connection* conn);

    // Queued output has been fully written after having been held up.
    virtual void OnDrained(Connection* conn) { (void)conn; }

    // The connection is closed (fd released). `status` is OK for an orderly
    // close (peer EOF with the default OnReadEof, or Close() with no reason),
    // Unavailable for a reset/I/O error ("Connection reset by peer"),
    // ResourceExhausted for the input cap, or the reason given to Close().
    // Called once; may destroy the Connection.
    virtual void OnClose(Connection* conn, const absl::Status& status) = 0;
  };

  // Takes ownership of `fd` (made non-blocking here) and starts reading.
  // `handler` must outlive the Connection.
  static absl::StatusOr<std::unique_ptr<Connection>> Create(EventLoop* loop, UniqueFd fd,
                                                            Handler* handler,
                                                            const Options& options);
  static absl::StatusOr<std::unique_ptr<Connection>> Create(EventLoop* loop, UniqueFd fd,
                                                            Handler* handler) {
    return Create(loop, std::move(fd), handler, Options());
  }
  // The same, reading and writing through `transport` (TLS) instead of the
  // socket; null: plain.
  static absl::StatusOr<std::unique_ptr<Connection>> Create(EventLoop* loop, UniqueFd fd,
                                                            Handler* handler,
                                                            const Options& options,
                                                            std::unique_ptr<Transport> transport);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  ReadBuffer& input() { return input_; }
  OutputQueue& output() { return output_; }

  // Writes queued output now (one sendmsg). Called automatically after
  // OnData; call it after appending to another connection's output (proxy).
  // An I/O error closes the connection (OnClose reports it).
  void Flush();

  // Stop/resume reading (e.g. the proxy while a backend is slow).
  void PauseReading();
  void ResumeReading();

  // Half-close: once the queued output is written, shutdown(SHUT_WR). Reading
  // continues.
  void ShutdownWrite();

  // Closes now; queued output is dropped. OnClose(reason) follows.
  void Close(absl::Status reason = absl::OkStatus());
  // Stops reading, writes what is queued, then closes with `reason`.
  void CloseAfterFlush(absl::Status reason = absl::OkStatus());
  // Closes now with a reset (RST) so the peer sees ECONNRESET; for fault
  // injection and for refusing abusive clients. OnClose(reason) follows.
  void Abort(absl::Status reason = absl::CancelledError("connection aborted"));

  // Holds every flush back by `delay` (zero: flush at once). A fault-injection
  // hook for added latency: replies appended meanwhile go out together.
  void set_flush_delay(absl::Duration delay) { flush_delay_ns_ = absl::ToInt64Nanoseconds(delay); }

  bool closed() const { return state_ == State::kClosed; }
  bool read_eof() const { return read_eof_; }
  int fd() const { return fd_.get(); }
  EventLoop* loop() const { return loop_; }
  // EventLoop::cached_now_ns() of the last read that returned data.
  int64_t last_read_ns() const { return last_read_ns_; }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  // Writes that left bytes behind (socket buffer full: write interest on).
  uint64_t writes_blocked() const { return writes_blocked_; }

 private:
  enum class State : uint8_t { kOpen, kClosing, kClosed };

  Connection(EventLoop* loop, UniqueFd fd, Handler* handler, const Options& options);

  void OnIoReady(uint32_t events) override;
  void HandleReadable();
  // Writes if possible; closes on error. `from_event`: called from the loop
  // (not from inside a handler's call), so OnDrained may be delivered.
  // Returns false if the connection closed.
  bool FlushNow(bool from_event);
  // Recomputes the epoll interest (one epoll_ctl only when it changed).
  void UpdateInterest();
  void CloseInternal(absl::Status reason, bool reset);
  // The transport's halves of HandleReadable's read and FlushNow's write.
  absl::StatusOr<ssize_t> ReadThroughTransport();
  absl::StatusOr<size_t> WriteThroughTransport();

  // Laid out small (32-bit limits, flags together): a server holds one per
  // client, 10,000 idle ones included.
  EventLoop* const loop_;
  Handler* const handler_;
  UniqueFd fd_;
  uint32_t writes_blocked_ = 0;
  const uint32_t output_high_water_;
  const uint32_t shrink_read_buffer_above_;
  State state_ = State::kOpen;
  bool read_eof_ = false;
  bool reading_paused_ = false;      // by the user
  bool shutdown_pending_ = false;    // ShutdownWrite() requested
  bool write_shut_ = false;          // shutdown(SHUT_WR) done
  bool output_blocked_ = false;      // last write left bytes behind

  ReadBuffer input_;
  OutputQueue output_;
  std::unique_ptr<Transport> transport_;  // null: plain socket I/O

  absl::Status close_reason_;        // for CloseAfterFlush / OnClose
  int64_t flush_delay_ns_ = 0;
  EventLoop::TimerId flush_timer_ = 0;
  EventLoop::TimerId close_timer_ = 0;
  int64_t last_read_ns_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_CONNECTION_H_
