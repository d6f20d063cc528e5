// Exchanges: the per-request handle a back end answers through, and the
// connection's in-order completion of them (a reply written only once every
// request before it is answered). Connection's lifecycle and parse loop are
// connection.cc.

#include <cstddef>
#include <string>

#include "core/frontend/connection.h"
#include "core/frontend/thread_cache.h"
#include "core/net/clock.h"

namespace memkit {
namespace frontend {
namespace {

// Exchanges a thread keeps for reuse: about the number of requests its
// connections have in flight at once (each connection recycles its own at
// the end of every request).
constexpr size_t kKeepExchanges = 1024;

}  // namespace

// ---- Exchange

void Exchange::Finish() { conn_->OnFinished(this); }
net::EventLoop* Exchange::loop() const { return conn_->loop(); }
void Exchange::WritePoint() {
  if (direct_) conn_->Commit();
}
void Exchange::CloseAfterReplies() { conn_->CloseAfterReplies(); }
void Exchange::DropUnwritten() {
  if (direct_) conn_->DropUncommitted();
}
bool Exchange::HasUnwrittenReplies() const {
  if (!direct_ || conn_->conn_ == nullptr) return true;
  return conn_->conn_->output().size() > conn_->committed_;
}
void Exchange::DiscardBufferedInput() { conn_->drop_buffered_input_ = true; }
void Exchange::IgnoreInput() { conn_->ignore_input_ = true; }
void Exchange::MarkAuthenticated() { conn_->binary_authenticated_ = true; }

// ---- exchanges

Exchange* Connection::BeginExchange(bool consult_faults, bool* fail) {
  // From the thread's pool, not the connection's: an idle connection holds
  // no Exchange, and a busy one costs a pop and a push per request.
  Exchange* ex = internal::ThreadPool<Exchange>::Take();
  ex->conn_ = this;
  ex->next_ = nullptr;
  ex->finished_ = false;
  ex->listed_ = false;
  ex->drop_ = consult_faults && options().faults != nullptr && options().faults->TakeDrop();
  if (options().request_latency != nullptr) ex->start_ns_ = net::MonotonicNanos();
  ex->direct_ = pending_head_ == nullptr;
  if (ex->direct_) {
    ex->out_ = ex->drop_ ? DiscardQueue() : &conn_->output();
  } else {
    ex->out_ = &ex->buffer_;
  }
  if (fail != nullptr) {
    *fail = consult_faults && options().faults != nullptr &&
            options().faults->TakeFailure(&fail_message());
  }
  return ex;
}

void Connection::EndExchange(Exchange* ex) {
  if (ex->finished_ && ex->direct_) {
    if (ex->drop_) discard_->Clear();
    Recycle(ex);
    return;
  }
  // Unfinished, or finished into its own buffer behind a pending one: it
  // joins the pending list in request order.
  ex->listed_ = true;
  if (pending_tail_ != nullptr) {
    pending_tail_->next_ = ex;
  } else {
    pending_head_ = ex;
  }
  pending_tail_ = ex;
  ++pending_count_;
  // The back end may have finished the ones before it meanwhile.
  if (pending_head_->finished_) DrainFinished();
}

void Connection::OnFinished(Exchange* ex) {
  ex->finished_ = true;
  if (options().request_latency != nullptr) {
    options().request_latency->Record(net::MonotonicNanos() - ex->start_ns_);
  }
  // Still inside the back end's call: EndExchange files it.
  if (!ex->listed_) return;
  if (ex == pending_head_) DrainFinished();
}

void Connection::DrainFinished() {
  bool appended = false;
  while (pending_head_ != nullptr && pending_head_->finished_) {
    Exchange* ex = pending_head_;
    pending_head_ = ex->next_;
    if (pending_head_ == nullptr) pending_tail_ = nullptr;
    --pending_count_;
    if (!socket_closed_ && conn_ != nullptr && !conn_->closed()) {
      if (ex->direct_) {
        if (ex->drop_) discard_->Clear();
      } else if (!ex->drop_ && !ex->buffer_.empty()) {
        // The asynchronous path copies the reply once, from the exchange's
        // buffer into the socket's queue; pins are released with the buffer.
        std::string& scratch = internal::CopyScratch();
        CopyOutput(ex->buffer_, 0, ex->buffer_.size(), &scratch);
        conn_->output().Append(scratch);
        scratch.clear();
        appended = true;
      }
    }
    ex->buffer_.Clear();
    Recycle(ex);
  }
  internal::TrimCopyScratch();
  if (socket_closed_) {
    MaybeDestroy();
    return;
  }
  if (in_process_ || conn_ == nullptr || conn_->closed()) return;
  // Finished outside a batch (a later loop turn): these replies are written now.
  Commit();
  if (close_when_done_ && pending_count_ == 0) {
    close_when_done_ = false;
    conn_->CloseAfterFlush();
    return;
  }
  // A direct reply finished on a later turn is in the socket's queue too.
  if (appended || !conn_->output().empty()) conn_->Flush();
  if (pending_paused_ && pending_count_ < options().max_pending) {
    pending_paused_ = false;
    ScheduleResume(absl::ZeroDuration());
  }
}

void Connection::Recycle(Exchange* ex) {
  ex->buffer_.Clear();
  ex->out_ = nullptr;
  ex->conn_ = nullptr;
  ex->request_bytes_ = absl::string_view();
  if (!internal::ThreadPool<Exchange>::Give(ex, kKeepExchanges)) delete ex;
}

}  // namespace frontend
}  // namespace memkit
