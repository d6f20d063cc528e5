#include "proxy/worker_pool.h"

#include <algorithm>
#include <utility>

#include "absl/time/time.h"

namespace memkit {
namespace proxy {

class WorkerPool::Observer final : public BackendConn::Observer {
 public:
  // `stats`: this worker's of the member (owned by the Pool, which outlives
  // the worker's connections).
  Observer(WorkerPool* worker, Pool* pool, size_t index, ProxyStats* stats)
      : worker_(worker), pool_(pool), index_(index), stats_(stats) {}
  void OnPendingOutput(BackendConn* conn) override { worker_->RequestFlush(conn); }
  void OnConnectionCountChange(int delta) override { stats_->connections.Add(delta); }
  void OnBackendSuccess() override { pool_->ReportSuccess(index_); }
  void OnBackendFailure(const absl::Status& status) override {
    pool_->ReportFailure(index_, status);
  }

 private:
  WorkerPool* const worker_;
  Pool* const pool_;
  const size_t index_;
  ProxyStats* const stats_;
};

WorkerPool::WorkerPool(net::EventLoop* loop, Pool* pool) : loop_(loop), pool_(pool) {
  worker_ = pool->RegisterWorker(&stats_);
  Grow(pool->size());
  const BackendOptions& bo = pool->options().backend;
  const absl::Duration tick =
      std::clamp(bo.read_timeout / 8, absl::Milliseconds(5), absl::Milliseconds(100));
  tick_ = loop_->RunEvery(tick, [this] { Tick(); });
}

WorkerPool::~WorkerPool() {
  if (tick_ != 0) loop_->CancelTimer(tick_);
  if (flush_timer_ != 0) loop_->CancelTimer(flush_timer_);
}

void WorkerPool::Grow(size_t n) {
  for (size_t i = observers_.size(); i < n; ++i) {
    server_stats_.push_back(pool_->WorkerServerStats(worker_, i));
    observers_.push_back(std::make_unique<Observer>(this, pool_, i, server_stats_.back()));
    for (auto& by_server : conns_) {
      by_server.emplace_back(pool_->options().backend.connections_per_server);
    }
  }
}

const hash::Placement& WorkerPool::placement() {
  const uint64_t g = pool_->generation();
  if (g != generation_ || placement_ == nullptr) {
    placement_ = pool_->placement();
    generation_ = g;
    Grow(placement_->servers().size());
    pool_->WorkerSawGeneration(worker_, g);
  }
  return *placement_;
}

ProxyStats& WorkerPool::server_stats(size_t i) {
  if (i >= server_stats_.size()) Grow(pool_->size());
  return *server_stats_[i];
}

BackendConn* WorkerPool::Conn(size_t i, uint64_t session, bool binary) {
  if (i >= observers_.size()) Grow(pool_->size());
  auto& list = conns_[binary ? 1 : 0][i];
  std::unique_ptr<BackendConn>& c = list[session % list.size()];
  if (c == nullptr) {
    c = std::make_unique<BackendConn>(loop_, pool_->address(i), pool_->options().backend,
                                      observers_[i].get());
  }
  return c.get();
}

void WorkerPool::RequestFlush(BackendConn* conn) {
  for (BackendConn* c : to_flush_) {
    if (c == conn) return;
  }
  to_flush_.push_back(conn);
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // A zero-delay timer runs after this turn's events: every request queued
  // by this turn's clients goes out in one write per connection.
  flush_timer_ = loop_->RunAfter(absl::ZeroDuration(), [this] { FlushPending(); });
}

void WorkerPool::FlushPending() {
  flush_scheduled_ = false;
  flush_timer_ = 0;
  // Flush() never queues more (a write error is reported on a later turn).
  for (BackendConn* c : to_flush_) c->Flush();
  to_flush_.clear();
}

void WorkerPool::Tick() {
  // An idle worker takes new placements too, so DrainServer need not wait
  // for traffic to know this worker no longer routes to a drained member.
  (void)placement();
  Grow(pool_->size());
  const int64_t now = loop_->cached_now_ns();
  // By index: a failed request's callback may route again (and grow these).
  for (auto& by_server : conns_) {
    for (size_t i = 0; i < by_server.size(); ++i) {
      const bool removed = pool_->is_removed(i);
      for (size_t k = 0; k < by_server[i].size(); ++k) {
        if (by_server[i][k] == nullptr) continue;
        by_server[i][k]->CheckTimeout(now);
        // A removed member's connections close once they are idle.
        BackendConn* c = by_server[i][k].get();
        if (removed && c != nullptr && c->pending() == 0 && !flush_scheduled_) {
          by_server[i][k].reset();
        }
      }
    }
  }
}

}  // namespace proxy
}  // namespace memkit
