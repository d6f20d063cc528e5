// The connection-level half of a session: protocol detection, the
// parse/execute loop, swallowing, yielding, output backpressure, faults,
// byte counters and the session's registration.

#include "server/handlers/session.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/time/time.h"
#include "core/net/socket.h"

namespace memkit {
namespace server {
namespace internal {
namespace {

// Stop parsing while this many reply bytes wait to be written; resume when
// they drain (a pipeline of large gets cannot queue without bound).
constexpr size_t kOutputHighWater = 4 * 1024 * 1024;
// Scratch strings above this are freed after use rather than kept.
constexpr size_t kKeepScratchBytes = 64 * 1024;

}  // namespace

const char* SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kRead:
      return "conn_read";
    case SessionState::kParseCmd:
      return "conn_parse_cmd";
    case SessionState::kNread:
      return "conn_nread";
    case SessionState::kSwallow:
      return "conn_swallow";
    case SessionState::kClosing:
      return "conn_closing";
  }
  return "conn_read";
}

Session::Session(ServerCore* core, Worker* worker) : core_(core), worker_(worker) {}

Session::~Session() = default;

void Session::Start(ServerCore* core, Worker* worker, const ListenerSlot* slot, net::UniqueFd fd,
                    std::string peer) {
  Session* session = new Session(core, worker);
  session->fd = fd.get();
  session->peer = std::move(peer);
  session->listen_slot = slot;

  net::Connection::Options options;
  // Room for the largest item plus its command line, and for memcached's
  // longest multiget line.
  options.read_buffer.max_capacity =
      std::max(core->options.cache.item_size_max + 64 * 1024, size_t{1024 * 1024 + 16 * 1024});
  options.read_buffer.initial_capacity = 16 * 1024;
  auto conn = net::Connection::Create(worker->loop, std::move(fd), session, options);
  if (!conn.ok()) {
    core->Log(1, "failed to set up connection from %s: %s\n", session->peer.c_str(),
              conn.status().ToString().c_str());
    core->curr_conns.fetch_sub(1, std::memory_order_acq_rel);
    delete session;
    return;
  }
  session->conn_ = std::move(*conn);
  session->out_ = &session->conn_->output();
  session->start_ns_ = worker->loop->cached_now_ns();
  session->last_cmd_ns.store(session->start_ns_, std::memory_order_relaxed);

  // Worker list.
  SessionList& list = worker->sessions;
  session->worker_next = list.head;
  if (list.head != nullptr) list.head->worker_prev = session;
  list.head = session;
  ++list.size;
  // Registry.
  {
    std::lock_guard<std::mutex> lock(core->registry_mu);
    session->registry_next = core->registry_head;
    if (core->registry_head != nullptr) core->registry_head->registry_prev = session;
    core->registry_head = session;
  }
  session->ApplyLatency();
  core->Log(2, "<%d new %s client connection\n", session->fd,
            core->options.protocol == BindingProtocol::kAuto     ? "auto-negotiating"
            : core->options.protocol == BindingProtocol::kBinary ? "binary"
                                                                 : "ascii");
}

void Session::OnClose(net::Connection* conn, const absl::Status& status) {
  (void)conn;
  if (resume_timer_ != 0) {
    worker_->loop->CancelTimer(resume_timer_);
    resume_timer_ = 0;
  }
  SyncByteCounters();
  if (status.ok()) {
    core_->Log(2, "<%d connection closed.\n", fd);
  } else {
    core_->Log(1, "<%d connection closed: %s\n", fd, std::string(status.message()).c_str());
  }
  Unregister();
  // The connection (and its output queue, releasing pins) goes first.
  conn_.reset();
  delete this;
}

void Session::DestroyAfterLoopStopped() {
  if (resume_timer_ != 0) {
    worker_->loop->CancelTimer(resume_timer_);
    resume_timer_ = 0;
  }
  SyncByteCounters();
  Unregister();
  conn_.reset();
  delete this;
}

void Session::Unregister() {
  if (watcher_) core_->watchers.fetch_sub(1, std::memory_order_relaxed);
  // Worker list.
  SessionList& list = worker_->sessions;
  if (worker_prev != nullptr) worker_prev->worker_next = worker_next;
  if (worker_next != nullptr) worker_next->worker_prev = worker_prev;
  if (list.head == this) list.head = worker_next;
  --list.size;
  // Registry.
  {
    std::lock_guard<std::mutex> lock(core_->registry_mu);
    if (registry_prev != nullptr) registry_prev->registry_next = registry_next;
    if (registry_next != nullptr) registry_next->registry_prev = registry_prev;
    if (core_->registry_head == this) core_->registry_head = registry_next;
  }
  core_->curr_conns.fetch_sub(1, std::memory_order_acq_rel);
}

void Session::CloseNow(bool reset) {
  if (conn_ == nullptr || conn_->closed()) return;
  closing_ = true;
  state.store(SessionState::kClosing, std::memory_order_relaxed);
  if (reset) {
    conn_->Abort();
  } else {
    conn_->Close();
  }
}

void Session::CloseAfterReplies() {
  closing_ = true;
  state.store(SessionState::kClosing, std::memory_order_relaxed);
  conn_->CloseAfterFlush();
}

void Session::ReserveOrClose(size_t bytes_needed) {
  if (!conn_->input().Reserve(bytes_needed).ok()) {
    core_->Log(1, "<%d request does not fit the input buffer; closing\n", fd);
    CloseNow(false);
  }
}

void Session::CloseGracefully() {
  if (closing_ || conn_ == nullptr || conn_->closed()) return;
  Process(/*limited=*/false);
  CloseAfterReplies();
}

int64_t Session::last_activity_ns() const {
  const int64_t last_read = conn_ != nullptr ? conn_->last_read_ns() : 0;
  return last_read > start_ns_ ? last_read : start_ns_;
}

void Session::SyncByteCounters() {
  if (conn_ == nullptr) return;
  const uint64_t r = conn_->bytes_read();
  const uint64_t w = conn_->bytes_written();
  worker_->counters.bytes_read.Add(r - counted_read_);
  worker_->counters.bytes_written.Add(w - counted_written_);
  counted_read_ = r;
  counted_written_ = w;
}

void Session::ApplyLatency() {
  const int64_t latency = core_->faults.latency_ns();
  if (latency != applied_latency_ns_) {
    applied_latency_ns_ = latency;
    conn_->set_flush_delay(absl::Nanoseconds(latency));
  }
}

void Session::OnData(net::Connection* conn) {
  (void)conn;
  ApplyLatency();
  SyncByteCounters();
  last_cmd_ns.store(worker_->loop->cached_now_ns(), std::memory_order_relaxed);
  Process(/*limited=*/true);
}

void Session::OnReadEof(net::Connection* conn) {
  // memcached answers everything that arrived before the half-close.
  Process(/*limited=*/false);
  if (!conn->closed()) conn->CloseAfterFlush();
}

void Session::OnDrained(net::Connection* conn) {
  (void)conn;
  if (output_paused_) {
    output_paused_ = false;
    Process(/*limited=*/true);
    conn_->Flush();
  }
}

void Session::ScheduleResume(absl::Duration delay) {
  if (resume_timer_ != 0) return;
  resume_timer_ = worker_->loop->RunAfter(delay, [this] {
    resume_timer_ = 0;
    Resume();
  });
}

void Session::Resume() {
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
}

void Session::Process(bool limited) {
  if (closing_ || conn_ == nullptr || conn_->closed()) return;
  net::ReadBuffer& in = conn_->input();
  if (watcher_) {
    // memcached stops reading a watcher's socket; memkit reads (to notice
    // the close) and ignores.
    in.Consume(in.size());
    return;
  }
  int budget = limited ? core_->options.reqs_per_event : INT_MAX;
  state.store(SessionState::kParseCmd, std::memory_order_relaxed);
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
        state.store(SessionState::kSwallow, std::memory_order_relaxed);
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
      state.store(SessionState::kNread, std::memory_order_relaxed);
      waiting = true;
      break;
    }
    if (conn_->output().size() > kOutputHighWater) {
      // Let the connection flush; OnDrained (if the socket blocks) or the
      // resume task (if it did not) carries on.
      output_paused_ = true;
      ScheduleResume(absl::ZeroDuration());
      break;
    }
    if (budget-- <= 0) {
      worker_->counters.conn_yields.Inc();
      ScheduleResume(absl::ZeroDuration());
      break;
    }
    // Whatever waited for this request's bytes goes out ahead of its reply.
    ReleaseHeld();
    if (protocol_ == Protocol::kUnknown) {
      switch (core_->options.protocol) {
        case BindingProtocol::kAuto:
          protocol_ = static_cast<uint8_t>(in.data()[0]) == protocol::kBinaryRequestMagic
                          ? Protocol::kBinary
                          : Protocol::kAscii;
          break;
        case BindingProtocol::kAscii:
          protocol_ = Protocol::kAscii;
          break;
        case BindingProtocol::kBinary:
          protocol_ = Protocol::kBinary;
          break;
      }
    }
    const Step step = protocol_ == Protocol::kBinary ? StepBinary() : StepAscii();
    if (resumed && !awaiting_value_) {
      // The request whose value was awaited is done (see `resumed`).
      resumed = false;
      Commit();
    }
    if (step == Step::kStop) break;
  }
  if (closing_ || conn_->closed()) return;
  awaited_data_ = AwaitingData();
  if (awaited_data_) {
    HoldUncommitted();
  } else {
    ReleaseHeld();
    reply_refs_.clear();  // the batch is written now
    if (!waiting) state.store(SessionState::kRead, std::memory_order_relaxed);
  }
}

bool Session::AwaitingData() const {
  return swallow_ > 0 || (awaiting_value_ && conn_->input().size() < wait_until_);
}

void Session::CopyOutput(size_t from, size_t to, std::string* dst) {
  const net::OutputQueue& out = conn_->output();
  iov_scratch_.resize(std::max<size_t>(out.piece_count(), 1));
  const size_t n = out.Gather(iov_scratch_.data(), iov_scratch_.size());
  size_t offset = 0;
  for (size_t i = 0; i < n && offset < to; ++i) {
    const char* base = static_cast<const char*>(iov_scratch_[i].iov_base);
    const size_t len = iov_scratch_[i].iov_len;
    const size_t begin = std::max(from, offset);
    const size_t end = std::min(to, offset + len);
    if (begin < end) dst->append(base + (begin - offset), end - begin);
    offset += len;
  }
}

void Session::KeepOnlyCommitted() {
  net::OutputQueue& out = conn_->output();
  copy_scratch_.clear();
  CopyOutput(0, committed_, &copy_scratch_);
  out.Clear();
  if (!copy_scratch_.empty()) out.Append(copy_scratch_);
  if (copy_scratch_.capacity() > kKeepScratchBytes) std::string().swap(copy_scratch_);
}

void Session::HoldUncommitted() {
  net::OutputQueue& out = conn_->output();
  if (out.size() <= committed_) return;
  // Rare (a value or a swallow split across reads with replies before it in
  // the same batch): copy the held part aside, rebuild the written part.
  CopyOutput(committed_, out.size(), &held_);
  KeepOnlyCommitted();
}

void Session::ReleaseHeld() {
  if (held_.empty()) return;
  conn_->output().Append(held_);
  held_.clear();
  // A one-off large hold (a big value queued before a split set) should not
  // pin its memory for the connection's lifetime.
  if (held_.capacity() > kKeepScratchBytes) std::string().swap(held_);
}

bool Session::BeginRequest() {
  out_ = core_->faults.TakeDrop() ? &discard_ : &conn_->output();
  return core_->faults.TakeFailure(&fail_message_);
}

void Session::DropUncommitted() {
  net::OutputQueue& out = conn_->output();
  if (out.size() <= committed_) return;
  // Rare (a hang-up on bad input, a get with a too-long key): copy the part
  // to keep and start over.
  KeepOnlyCommitted();
  reply_refs_.clear();
}

void Session::EndRequest() {
  if (out_ == &discard_) discard_.Clear();
  out_ = &conn_->output();
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
