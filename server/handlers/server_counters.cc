#include "server/handlers/server_counters.h"

namespace memkit {
namespace server {
namespace internal {

CounterTotals ServerCounters::Sum(const std::vector<const WorkerCounters*>& workers) {
  CounterTotals t;
  for (const WorkerCounters* w : workers) {
    t.bytes_read += w->bytes_read.Get();
    t.bytes_written += w->bytes_written.Get();
    t.meta_cmds += w->meta_cmds.Get();
    t.conn_yields += w->conn_yields.Get();
    t.flush_cmds_refused += w->flush_cmds_refused.Get();
  }
  return t;
}

CounterTotals ServerCounters::SinceReset(const std::vector<const WorkerCounters*>& workers) const {
  CounterTotals t = Sum(workers);
  MutexLock lock(&reset_mu_);
  t.bytes_read -= baseline_.bytes_read;
  t.bytes_written -= baseline_.bytes_written;
  t.meta_cmds -= baseline_.meta_cmds;
  t.conn_yields -= baseline_.conn_yields;
  t.flush_cmds_refused -= baseline_.flush_cmds_refused;
  return t;
}

void ServerCounters::Reset(const std::vector<const WorkerCounters*>& workers) {
  total_conns_.store(0, std::memory_order_relaxed);
  rejected_conns_.store(0, std::memory_order_relaxed);
  MutexLock lock(&reset_mu_);
  baseline_ = Sum(workers);
}

}  // namespace internal
}  // namespace server
}  // namespace memkit
