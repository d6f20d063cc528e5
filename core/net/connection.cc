#include "core/net/connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status/status.h"

namespace memkit {
namespace net {
namespace {

// Options are size_t; a connection keeps 32-bit limits (see connection.h).
uint32_t Saturate32(size_t n) { return static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX)); }

}  // namespace

void Connection::Handler::OnReadEof(Connection* conn) { conn->CloseAfterFlush(); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Create(EventLoop* loop, UniqueFd fd,
                                                               Handler* handler,
                                                               const Options& options) {
  if (loop == nullptr || handler == nullptr || !fd.valid()) {
    return absl::InvalidArgumentError("Connection::Create: null loop/handler or bad fd");
  }
  absl::Status s = SetNonBlocking(fd.get(), true);
  if (!s.ok()) return s;
  std::unique_ptr<Connection> conn(new Connection(loop, std::move(fd), handler, options));
  s = loop->Watch(conn->fd_.get(), EventLoop::kReadable, conn.get());
  if (!s.ok()) {
    conn->state_ = State::kClosed;  // not watched: the destructor only closes the fd
    return s;
  }
  return conn;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Create(
    EventLoop* loop, UniqueFd fd, Handler* handler, const Options& options,
    std::unique_ptr<Transport> transport) {
  auto conn = Create(loop, std::move(fd), handler, options);
  if (conn.ok()) (*conn)->transport_ = std::move(transport);
  return conn;
}

Connection::Connection(EventLoop* loop, UniqueFd fd, Handler* handler, const Options& options)
    : loop_(loop),
      handler_(handler),
      fd_(std::move(fd)),
      output_high_water_(Saturate32(options.output_high_water)),
      shrink_read_buffer_above_(Saturate32(options.shrink_read_buffer_above)),
      input_(options.read_buffer) {}

Connection::~Connection() {
  if (close_timer_ != 0) loop_->CancelTimer(close_timer_);
  if (flush_timer_ != 0) loop_->CancelTimer(flush_timer_);
  if (state_ != State::kClosed) loop_->Unwatch(this);
  // fd_ closes itself; output_ releases its references.
}

void Connection::OnIoReady(uint32_t events) {
  if (state_ == State::kClosed) return;
  if (events & EventLoop::kReadable) {
    HandleReadable();
  } else if (events & EventLoop::kError) {
    absl::Status s = SocketError(fd_.get(), "socket");
    CloseInternal(s.ok() ? ConnectionError("socket error") : s, false);
    return;
  }
  if (state_ == State::kClosed) return;
  if (events & EventLoop::kWritable) {
    // A TLS read (the handshake) waited to write: go on reading.
    if (transport_ != nullptr && transport_->WantsWritable() && !(events & EventLoop::kReadable)) {
      HandleReadable();
      if (state_ == State::kClosed) return;
    }
    if (!FlushNow(/*from_event=*/true)) return;
  }
  // EPOLLHUP: both directions are gone (or the socket never connected);
  // it cannot be masked, so a level-triggered loop must act on it.
  if ((events & EventLoop::kHangup) && state_ != State::kClosed &&
      (read_eof_ || !(events & EventLoop::kReadable))) {
    CloseInternal(read_eof_ && write_shut_ ? absl::OkStatus()
                                           : ConnectionError("connection hung up"),
                  false);
  }
}

void Connection::HandleReadable() {
  if (state_ != State::kOpen || read_eof_) return;
  absl::StatusOr<ssize_t> n =
      transport_ == nullptr ? input_.ReadFrom(fd_.get()) : ReadThroughTransport();
  if (!n.ok()) {
    CloseInternal(std::move(n).status(), false);
    return;
  }
  if (*n == ReadBuffer::kWouldBlock) {
    input_.ShrinkIfEmpty(shrink_read_buffer_above_);
    if (transport_ != nullptr) UpdateInterest();  // it may wait to write
    return;
  }
  if (*n == 0) {
    input_.ShrinkIfEmpty(shrink_read_buffer_above_);
    read_eof_ = true;
    UpdateInterest();
    handler_->OnReadEof(this);
    return;
  }
  bytes_read_ += static_cast<uint64_t>(*n);
  last_read_ns_ = loop_->cached_now_ns();
  handler_->OnData(this);
  if (state_ == State::kClosed) return;
  if (input_.full()) {
    // The handler cannot make progress without more bytes than the cap
    // allows: a request larger than any we accept.
    CloseAfterFlush(absl::ResourceExhaustedError(absl::StrCat(
        "request exceeds the read buffer limit of ", input_.max_capacity(), " bytes")));
    return;
  }
  if (input_.empty()) input_.ShrinkIfEmpty(shrink_read_buffer_above_);
  Flush();
}

void Connection::Flush() {
  if (state_ == State::kClosed) return;
  if (flush_delay_ns_ > 0) {
    if (flush_timer_ == 0 && (!output_.empty() || shutdown_pending_)) {
      flush_timer_ = loop_->RunAfter(absl::Nanoseconds(flush_delay_ns_), [this] {
        flush_timer_ = 0;
        FlushNow(/*from_event=*/true);
      });
    }
    return;
  }
  // While blocked, the kernel tells us (EPOLLOUT) when writing can resume;
  // trying before that would only return EAGAIN.
  if (output_blocked_) {
    UpdateInterest();
    return;
  }
  FlushNow(/*from_event=*/false);
}

bool Connection::FlushNow(bool from_event) {
  if (state_ == State::kClosed) return false;
  bool drained = false;
  if (!output_.empty() && !write_shut_) {
    absl::StatusOr<size_t> n =
        transport_ == nullptr ? output_.WriteTo(fd_.get()) : WriteThroughTransport();
    if (!n.ok()) {
      CloseInternal(std::move(n).status(), false);
      return false;
    }
    bytes_written_ += *n;
    const bool was_blocked = output_blocked_;
    output_blocked_ = !output_.empty();
    if (output_blocked_ && !was_blocked) ++writes_blocked_;
    drained = was_blocked && !output_blocked_;
  }
  if (output_.empty()) {
    if (shutdown_pending_ && !write_shut_) {
      if (transport_ != nullptr) transport_->Shutdown();
      ::shutdown(fd_.get(), SHUT_WR);
      write_shut_ = true;
    }
    if (state_ == State::kClosing) {
      CloseInternal(close_reason_, false);
      return false;
    }
  }
  UpdateInterest();
  if (state_ == State::kClosed) return false;
  if (drained && from_event) handler_->OnDrained(this);
  return state_ != State::kClosed;
}

void Connection::UpdateInterest() {
  if (state_ == State::kClosed) return;
  uint32_t want = 0;
  if (state_ == State::kOpen && !read_eof_ && !reading_paused_ &&
      output_.size() <= output_high_water_) {
    want |= EventLoop::kReadable;
  }
  if (output_blocked_ && !output_.empty() && flush_timer_ == 0) want |= EventLoop::kWritable;
  if (transport_ != nullptr && transport_->WantsWritable()) want |= EventLoop::kWritable;
  absl::Status s = loop_->UpdateInterest(this, want);
  if (!s.ok()) CloseInternal(s, false);
}

void Connection::PauseReading() {
  reading_paused_ = true;
  UpdateInterest();
}

void Connection::ResumeReading() {
  reading_paused_ = false;
  UpdateInterest();
}

void Connection::ShutdownWrite() {
  if (state_ == State::kClosed || write_shut_) return;
  shutdown_pending_ = true;
  Flush();
}

void Connection::Close(absl::Status reason) { CloseInternal(std::move(reason), false); }

void Connection::Abort(absl::Status reason) { CloseInternal(std::move(reason), true); }

void Connection::CloseAfterFlush(absl::Status reason) {
  if (state_ != State::kOpen) return;
  close_reason_ = std::move(reason);
  state_ = State::kClosing;
  if (output_.empty() || write_shut_) {
    CloseInternal(close_reason_, false);
    return;
  }
  Flush();
  UpdateInterest();
}

void Connection::CloseInternal(absl::Status reason, bool reset) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (flush_timer_ != 0) {
    loop_->CancelTimer(flush_timer_);
    flush_timer_ = 0;
  }
  loop_->Unwatch(this);
  if (transport_ != nullptr && !reset) transport_->Shutdown();
  if (reset) {
    ResetAndClose(std::move(fd_));
  } else {
    fd_.reset();
  }
  output_.Clear();
  close_reason_ = std::move(reason);
  // Never call the handler from inside a call it made: deliver on a fresh
  // turn, where OnClose may destroy this Connection.
  close_timer_ = loop_->RunAfter(absl::ZeroDuration(), [this] {
    close_timer_ = 0;
    const absl::Status status = close_reason_;
    handler_->OnClose(this, status);
  });
}

absl::StatusOr<ssize_t> Connection::ReadThroughTransport() {
  if (input_.full()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("read buffer full (", input_.max_capacity(), " bytes)"));
  }
  ssize_t total = 0;
  // A TLS record is decrypted whole: what does not fit stays inside the
  // transport, where epoll cannot see it, so keep reading while it has some.
  do {
    const size_t room = input_.max_capacity() - input_.size();
    absl::StatusOr<absl::Span<char>> space = input_.PrepareAppend(std::min<size_t>(16 * 1024, room));
    if (!space.ok()) return space.status();
    absl::StatusOr<ssize_t> n = transport_->Read(space->data(), std::min(space->size(), room));
    if (!n.ok()) return n;
    if (*n <= 0) return total > 0 ? total : *n;
    input_.CommitAppend(static_cast<size_t>(*n));
    total += *n;
  } while (!input_.full() && transport_->HasBufferedInput());
  return total;
}

absl::StatusOr<size_t> Connection::WriteThroughTransport() {
  // One TLS record per small reply would cost a header and a MAC each:
  // small pieces are coalesced into one write of up to kChunk bytes.
  constexpr size_t kChunk = 16 * 1024;
  constexpr size_t kMaxIov = 64;
  struct iovec iov[kMaxIov];
  // Per thread, not per connection: filled and written within this call
  // (a retried TLS write is rebuilt from the same queued bytes).
  thread_local std::string scratch;
  size_t total = 0;
  while (!output_.empty()) {
    const size_t count = output_.Gather(iov, kMaxIov);
    absl::string_view chunk(static_cast<const char*>(iov[0].iov_base), iov[0].iov_len);
    if (count > 1 && chunk.size() < kChunk) {
      scratch.clear();
      for (size_t i = 0; i < count && scratch.size() < kChunk; ++i) {
        const size_t take = std::min(iov[i].iov_len, kChunk - scratch.size());
        scratch.append(static_cast<const char*>(iov[i].iov_base), take);
      }
      chunk = scratch;
    }
    absl::StatusOr<size_t> n = transport_->Write(chunk);
    if (!n.ok()) return n;
    if (*n == 0) break;
    output_.Consume(*n);
    total += *n;
    if (*n < chunk.size()) break;
  }
  if (scratch.capacity() > 2 * kChunk) std::string().swap(scratch);
  return total;
}

}  // namespace net
}  // namespace memkit
