// The connection-level half of the front end: lifecycle, protocol
// detection, the parse/dispatch loop, swallowing, yielding, back-pressure,
// faults, write points and holding. The in-order completion of exchanges is
// exchanges.cc; the decoders are text_protocol.cc and binary_protocol.cc.

#include "core/frontend/connection.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/frontend/ascii_auth.h"
#include "core/frontend/binary_protocol.h"
#include "core/frontend/thread_cache.h"
#include "core/frontend/text_protocol.h"
#include "core/net/clock.h"
#include "core/protocol/binary_codes.h"

namespace memkit {
namespace frontend {
namespace {

// Decoded-request objects a thread keeps for reuse: one per Process() running
// at once on the thread (nested only when a back end's call reaches another
// connection), so a few are plenty.
constexpr size_t kKeepDecoded = 4;

}  // namespace

const char* ConnectionStateName(ConnectionState state) {
  switch (state) {
    case ConnectionState::kRead:
      return "conn_read";
    case ConnectionState::kParseCmd:
      return "conn_parse_cmd";
    case ConnectionState::kNread:
      return "conn_nread";
    case ConnectionState::kSwallow:
      return "conn_swallow";
    case ConnectionState::kClosing:
      return "conn_closing";
  }
  return "conn_read";
}

// ---- Connection

Connection::Connection(net::EventLoop* loop, std::shared_ptr<const ConnectionOptions> options,
                       std::unique_ptr<Backend> backend)
    : loop_(loop),
      shared_options_(std::move(options)),
      backend_(std::move(backend)),
      authenticated_(shared_options_->ascii_auth == nullptr),
      binary_authenticated_(shared_options_->binary.authenticated) {}

Connection::~Connection() {
  // The socket's queue first (it may reference pins the back end releases),
  // then the exchanges' buffers, then the back end.
  conn_.reset();
  discard_.reset();
  // Exchanges still pending (only when the loop stopped under them).
  while (pending_head_ != nullptr) {
    Exchange* ex = pending_head_;
    pending_head_ = ex->next_;
    delete ex;
  }
}

Connection::Decoded* Connection::BorrowDecoded() { return internal::ThreadPool<Decoded>::Take(); }

void Connection::ReturnDecoded(Decoded* decoded) {
  // The request's views point into a buffer that is gone; keys' capacity is
  // kept (clear() keeps it), which is the point of reusing the object.
  decoded->ascii.clear();
  if (!internal::ThreadPool<Decoded>::Give(decoded, kKeepDecoded)) delete decoded;
}

net::OutputQueue* Connection::DiscardQueue() {
  if (discard_ == nullptr) discard_ = std::make_unique<net::OutputQueue>();
  return discard_.get();
}


absl::StatusOr<Connection*> Connection::Start(net::EventLoop* loop, net::UniqueFd fd,
                                              const ConnectionOptions& options,
                                              std::unique_ptr<Backend> backend,
                                              std::unique_ptr<net::Transport> transport) {
  return Start(loop, std::move(fd), std::make_shared<const ConnectionOptions>(options),
               std::move(backend), std::move(transport));
}

absl::StatusOr<Connection*> Connection::Start(net::EventLoop* loop, net::UniqueFd fd,
                                              std::shared_ptr<const ConnectionOptions> options,
                                              std::unique_ptr<Backend> backend,
                                              std::unique_ptr<net::Transport> transport) {
  const size_t max_request_bytes = options->max_request_bytes;
  Connection* c = new Connection(loop, std::move(options), std::move(backend));
  c->fd_ = fd.get();
  net::Connection::Options conn_options;
  conn_options.read_buffer.max_capacity = max_request_bytes;
  conn_options.read_buffer.initial_capacity = 16 * 1024;
  auto conn = net::Connection::Create(loop, std::move(fd), c, conn_options, std::move(transport));
  if (!conn.ok()) {
    delete c;
    return conn.status();
  }
  c->conn_ = std::move(*conn);
  c->start_ns_ = loop->cached_now_ns();
  c->last_cmd_ns_.store(c->start_ns_, std::memory_order_relaxed);
  c->backend_->OnOpen(c);
  c->ApplyLatency();
  return c;
}

void Connection::OnClose(net::Connection* conn, const absl::Status& status) {
  (void)conn;
  if (resume_timer_ != 0) {
    loop_->CancelTimer(resume_timer_);
    resume_timer_ = 0;
  }
  socket_closed_ = true;
  closing_ = true;
  SetState(ConnectionState::kClosing);
  backend_->OnClose(status);
  MaybeDestroy();
}

void Connection::MaybeDestroy() {
  if (!socket_closed_ || pending_count_ > 0 || in_process_) return;
  delete this;
}

void Connection::DestroyAfterLoopStopped() {
  if (resume_timer_ != 0) {
    loop_->CancelTimer(resume_timer_);
    resume_timer_ = 0;
  }
  if (!socket_closed_) {
    socket_closed_ = true;
    backend_->OnClose(absl::CancelledError("event loop stopped"));
  }
  // Pending exchanges cannot finish without the loop: their back end is
  // destroyed with them.
  delete this;
}

void Connection::CloseNow(bool reset) {
  if (conn_ == nullptr || conn_->closed()) return;
  closing_ = true;
  SetState(ConnectionState::kClosing);
  if (reset) {
    conn_->Abort();
  } else {
    conn_->Close();
  }
}

void Connection::CloseAfterReplies() {
  closing_ = true;
  SetState(ConnectionState::kClosing);
  if (pending_count_ > 0) {
    close_when_done_ = true;  // DrainFinished closes once the last one is in
    return;
  }
  conn_->CloseAfterFlush();
}

void Connection::ReserveOrClose(size_t bytes_needed) {
  if (!conn_->input().Reserve(bytes_needed).ok()) CloseNow(false);
}

void Connection::CloseGracefully() {
  if (closing_ || conn_ == nullptr || conn_->closed()) return;
  Process(/*limited=*/false);
  if (!closing_) CloseAfterReplies();
}

int64_t Connection::last_activity_ns() const {
  const int64_t last_read = conn_ != nullptr ? conn_->last_read_ns() : 0;
  return last_read > start_ns_ ? last_read : start_ns_;
}

void Connection::ApplyLatency() {
  if (options().faults == nullptr) return;
  const int64_t latency = options().faults->latency_ns();
  if (latency != applied_latency_ns_) {
    applied_latency_ns_ = latency;
    conn_->set_flush_delay(absl::Nanoseconds(latency));
  }
}

void Connection::OnData(net::Connection* conn) {
  (void)conn;
  ApplyLatency();
  backend_->OnBatch();
  last_cmd_ns_.store(loop_->cached_now_ns(), std::memory_order_relaxed);
  Process(/*limited=*/true);
}

void Connection::OnReadEof(net::Connection* conn) {
  (void)conn;
  // memcached answers everything that arrived before the half-close.
  read_eof_ = true;
  Process(/*limited=*/false);
  MaybeCloseAtEof();
}

void Connection::MaybeCloseAtEof() {
  if (!read_eof_ || conn_ == nullptr || conn_->closed() || closing_) return;
  // A pause (an asynchronous back end's max_pending requests unfinished,
  // replies over the high water) leaves requests unparsed in the input:
  // closing now would drop them. Resume() comes back here.
  if (pending_paused_ || output_paused_ || resume_timer_ != 0) return;
  CloseAfterReplies();
}

void Connection::OnDrained(net::Connection* conn) {
  (void)conn;
  if (output_paused_) {
    output_paused_ = false;
    Process(/*limited=*/true);
    conn_->Flush();
    MaybeCloseAtEof();
  }
}

void Connection::ScheduleResume(absl::Duration delay) {
  if (resume_timer_ != 0) return;
  resume_timer_ = loop_->RunAfter(delay, [this] {
    resume_timer_ = 0;
    Resume();
  });
}

void Connection::Resume() {
  if (conn_ == nullptr || conn_->closed()) return;
  if (output_paused_) {
    // Replies are still queued: the socket is full (OnDrained will resume
    // us) or a latency fault holds them back; look again shortly.
    if (!conn_->output().empty()) {
      ScheduleResume(absl::Milliseconds(1));
      return;
    }
    output_paused_ = false;
  }
  Process(/*limited=*/true);
  conn_->Flush();
  MaybeCloseAtEof();
}

void Connection::Process(bool limited) {
  if (closing_ || conn_ == nullptr || conn_->closed()) return;
  net::ReadBuffer& in = conn_->input();
  if (ignore_input_) {
    // memcached stops reading a watcher's socket; this reads (to notice the
    // close) and ignores.
    in.Consume(in.size());
    return;
  }
  in_process_ = true;
  // Nested only if a back end's call came back into this connection.
  const bool borrowed = decoded_ == nullptr;
  if (borrowed) decoded_ = BorrowDecoded();
  int budget = limited ? options().reqs_per_event : INT_MAX;
  SetState(ConnectionState::kParseCmd);
  // Waiting for a value's or a swallow's bytes, memcached reads exactly the
  // bytes it lacks straight off the socket: once they are in, its buffer is
  // empty, so it writes what it has queued before it reads what follows.
  bool resumed = awaited_data_;
  Commit();  // what earlier batches queued is memcached's written output
  bool waiting = false;  // stopped for want of bytes
  while (!closing_) {
    if (swallow_ > 0) {
      const size_t n = std::min(swallow_, in.size());
      in.Consume(n);
      swallow_ -= n;
      if (swallow_ > 0) {
        SetState(ConnectionState::kSwallow);
        waiting = true;
        break;
      }
      if (resumed) {
        resumed = false;
        ReleaseHeld();
        Commit();
      }
    }
    if (in.empty()) break;
    if (in.size() < wait_until_) {
      SetState(ConnectionState::kNread);
      waiting = true;
      break;
    }
    if (conn_->output().size() > options().output_high_water) {
      // Let the connection flush; OnDrained (if the socket blocks) or the
      // resume task (if it did not) carries on.
      output_paused_ = true;
      ScheduleResume(absl::ZeroDuration());
      break;
    }
    if (pending_count_ >= options().max_pending) {
      // DrainFinished resumes once requests finish.
      pending_paused_ = true;
      break;
    }
    if (budget-- <= 0) {
      backend_->OnYield();
      ScheduleResume(absl::ZeroDuration());
      break;
    }
    // Whatever waited for this request's bytes goes out ahead of its reply.
    ReleaseHeld();
    if (!authenticated_) {
      const bool more = AsciiAuth::Step(this);
      if (!more) break;
      continue;
    }
    if (detected_ == Detected::kUnknown) {
      switch (options().protocols) {
        case Protocols::kAuto:
          detected_ = static_cast<uint8_t>(in.data()[0]) == protocol::kBinaryRequestMagic
                          ? Detected::kBinary
                          : Detected::kText;
          break;
        case Protocols::kText:
          detected_ = Detected::kText;
          break;
        case Protocols::kBinary:
          detected_ = Detected::kBinary;
          break;
      }
    }
    const bool more =
        detected_ == Detected::kBinary ? BinaryProtocol::Step(this) : TextProtocol::Step(this);
    if (resumed && !awaiting_value_) {
      // The request whose value was awaited is done (see `resumed`).
      resumed = false;
      Commit();
    }
    if (!more) break;
  }
  if (borrowed) {
    ReturnDecoded(decoded_);
    decoded_ = nullptr;
  }
  in_process_ = false;
  if (socket_closed_) {
    MaybeDestroy();
    return;
  }
  if (close_when_done_ && pending_count_ == 0 && !conn_->closed()) {
    close_when_done_ = false;
    conn_->CloseAfterFlush();
  }
  if (closing_ || conn_->closed()) return;
  awaited_data_ = AwaitingData();
  if (awaited_data_) {
    HoldUncommitted();
  } else {
    ReleaseHeld();
    backend_->OnWritePoint();  // the batch is written now
    if (!waiting) SetState(ConnectionState::kRead);
  }
}

// ---- write points and holding

void Connection::Commit() {
  committed_ = conn_->output().size();
  backend_->OnWritePoint();
}

bool Connection::AwaitingData() const {
  return swallow_ > 0 || (awaiting_value_ && conn_->input().size() < wait_until_);
}

void Connection::CopyOutput(const net::OutputQueue& out, size_t from, size_t to,
                            std::string* dst) {
  std::vector<struct iovec>& iov = internal::IovScratch();
  iov.resize(std::max<size_t>(out.piece_count(), 1));
  const size_t n = out.Gather(iov.data(), iov.size());
  size_t offset = 0;
  for (size_t i = 0; i < n && offset < to; ++i) {
    const char* base = static_cast<const char*>(iov[i].iov_base);
    const size_t len = iov[i].iov_len;
    const size_t begin = std::max(from, offset);
    const size_t end = std::min(to, offset + len);
    if (begin < end) dst->append(base + (begin - offset), end - begin);
    offset += len;
  }
}

void Connection::KeepOnlyCommitted() {
  net::OutputQueue& out = conn_->output();
  std::string& scratch = internal::CopyScratch();
  scratch.clear();
  CopyOutput(out, 0, committed_, &scratch);
  out.Clear();
  if (!scratch.empty()) out.Append(scratch);
  internal::TrimCopyScratch();
}

void Connection::HoldUncommitted() {
  net::OutputQueue& out = conn_->output();
  if (out.size() <= committed_) return;
  // Rare (a value or a swallow split across reads with replies before it in
  // the same batch): copy the held part aside, rebuild the written part.
  if (held_ == nullptr) held_ = std::make_unique<std::string>();
  CopyOutput(out, committed_, out.size(), held_.get());
  KeepOnlyCommitted();
}

void Connection::ReleaseHeld() {
  if (held_ == nullptr) return;
  conn_->output().Append(*held_);
  // Holding is rare (a value or a swallow split across reads): the string
  // is not kept for the connection's lifetime.
  held_.reset();
}

void Connection::DropUncommitted() {
  net::OutputQueue& out = conn_->output();
  if (out.size() <= committed_) return;
  // Rare (a hang-up on bad input, a get with a too-long key): copy the part
  // to keep and start over.
  KeepOnlyCommitted();
  backend_->OnWritePoint();
}

}  // namespace frontend
}  // namespace memkit
