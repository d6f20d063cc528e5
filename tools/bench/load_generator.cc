#include "tools/bench/load_generator.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/net/address.h"
#include "core/net/clock.h"
#include "core/net/socket.h"
#include "core/sync/mutex.h"
#include "tools/bench/load_connection.h"

namespace memkit {
namespace bench {

double BenchResult::OpsPerSecond() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(total.completed) / seconds : 0;
}

double BenchResult::HitRate() const {
  const uint64_t looked_up = total.hits + total.misses;
  return looked_up == 0 ? 0 : static_cast<double>(total.hits) / static_cast<double>(looked_up);
}

namespace {

absl::Duration CpuTime() {
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  auto to_duration = [](const struct timeval& tv) {
    return absl::Seconds(tv.tv_sec) + absl::Microseconds(tv.tv_usec);
  };
  return to_duration(usage.ru_utime) + to_duration(usage.ru_stime);
}

absl::StatusOr<net::UniqueFd> ConnectTo(const std::string& server, absl::Duration timeout) {
  net::ConnectOptions options;
  options.nonblocking = true;
  if (absl::StartsWith(server, "/")) {
    absl::StatusOr<net::Address> address = net::Address::Unix(server);
    if (!address.ok()) return address.status();
    return net::ConnectWithTimeout(*address, timeout, options);
  }
  return net::ConnectWithTimeout(server, timeout, options);
}

// What every load thread shares for one run.
struct RunControl {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  // With a request count: the requests still to send.
  bool counted = false;
  std::atomic<int64_t> budget{0};
  // Per-connection issue limits (prefill), by global connection index.
  std::vector<uint64_t> connection_quota;
};

// One load thread: its connections and its epoll loop.
class LoadThread {
 public:
  LoadThread(const Workload* workload, RunStats* stats, RunControl* control, int thread_index)
      : workload_(workload), stats_(stats), control_(control), thread_index_(thread_index) {}

  absl::Status Connect() {
    const BenchOptions& o = workload_->options();
    epoll_ = net::UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) return net::ErrnoStatus(errno, "epoll_create1");
    const uint64_t total = static_cast<uint64_t>(o.threads) * o.connections_per_thread;
    for (int i = 0; i < o.connections_per_thread; ++i) {
      absl::StatusOr<net::UniqueFd> fd = ConnectTo(o.server, o.connect_timeout);
      if (!fd.ok()) return fd.status();
      const uint64_t global = static_cast<uint64_t>(thread_index_) * o.connections_per_thread + i;
      Slot slot;
      slot.global_index = global;
      slot.conn = std::make_unique<LoadConnection>(workload_, stats_, *std::move(fd),
                                                   0x9e3779b97f4a7c15ULL * (global + 1),
                                                   o.key_count * global / total);
      struct epoll_event ev = {};
      ev.events = EPOLLIN;
      ev.data.u64 = slots_.size();
      if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, slot.conn->fd(), &ev) != 0) {
        return net::ErrnoStatus(errno, "epoll_ctl");
      }
      slots_.push_back(std::move(slot));
    }
    return absl::OkStatus();
  }

  void Run() {
    const BenchOptions& o = workload_->options();
    const double total_conns = static_cast<double>(o.threads) * o.connections_per_thread;
    const int64_t interval_ns =
        o.rate > 0 ? static_cast<int64_t>(total_conns * 1e9 / o.rate) : 0;
    for (Slot& slot : slots_) {
      slot.next_due_ns =
          control_->start_ns + static_cast<int64_t>(slot.global_index) * interval_ns /
                                   static_cast<int64_t>(total_conns);
    }
    // end_ns is INT64_MAX when the run is bounded by a request count, not a
    // duration: the sum saturates instead of overflowing (UBSan found it).
    const int64_t drain_ns = absl::ToInt64Nanoseconds(o.drain_timeout);
    const int64_t drain_deadline_ns =
        control_->end_ns > INT64_MAX - drain_ns ? INT64_MAX : control_->end_ns + drain_ns;
    struct epoll_event events[64];
    for (;;) {
      int64_t now = net::MonotonicNanos();
      const bool issuing = now < control_->end_ns;
      bool busy = false;
      int64_t next_due = INT64_MAX;
      for (Slot& slot : slots_) {
        LoadConnection& conn = *slot.conn;
        if (!conn.ok()) continue;
        if (issuing) {
          while (static_cast<int>(conn.in_flight()) < o.pipeline && MayIssue(slot)) {
            if (interval_ns > 0) {
              if (slot.next_due_ns > now) break;
              conn.Issue(slot.next_due_ns);
              slot.next_due_ns += interval_ns;
            } else {
              conn.Issue(now);
            }
            ++slot.issued;
          }
          // A connection at its pipeline limit waits for a reply, not the clock.
          if (interval_ns > 0 && static_cast<int>(conn.in_flight()) < o.pipeline) {
            next_due = std::min(next_due, slot.next_due_ns);
          }
        }
        conn.Flush();
        UpdateInterest(slot);
        if (conn.ok() && conn.in_flight() > 0) busy = true;
      }
      if (!busy && (!issuing || !AnyCanIssue())) break;
      if (!issuing && now >= drain_deadline_ns) break;
      // Sleep until a reply arrives or, open loop, the next request is due.
      int64_t wait_ns = 10000000;
      if (interval_ns > 0 && issuing && next_due != INT64_MAX) {
        wait_ns = std::clamp<int64_t>(next_due - now, 0, wait_ns);
      }
      const int n = Wait(events, 64, wait_ns);
      now = net::MonotonicNanos();
      const bool refill = interval_ns == 0 && now < control_->end_ns;
      for (int i = 0; i < n; ++i) {
        Slot& slot = slots_[events[i].data.u64];
        if (!slot.conn->ok()) continue;
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          slot.conn->OnReadable(now);
          // Closed loop: send this connection's next request now, before the
          // other connections' replies are read, so the server has it a few
          // microseconds sooner (the pass above finds this slot full).
          if (refill) {
            while (static_cast<int>(slot.conn->in_flight()) < o.pipeline && MayIssue(slot)) {
              slot.conn->Issue(now);
              ++slot.issued;
            }
          }
        }
        slot.conn->Flush();
      }
    }
  }

 private:
  struct Slot {
    std::unique_ptr<LoadConnection> conn;
    uint64_t global_index = 0;
    uint64_t issued = 0;
    int64_t next_due_ns = 0;
    bool want_write = false;
    bool registered = true;
  };

  // epoll_wait with a nanosecond timeout (epoll_pwait2), so an open-loop
  // run neither spins nor sends late by up to a millisecond; kernels before
  // 5.11 fall back to epoll_wait's milliseconds, rounded up.
  int Wait(struct epoll_event* events, int max_events, int64_t wait_ns) {
    if (use_pwait2_) {
      struct timespec timeout = {static_cast<time_t>(wait_ns / 1000000000),
                                 static_cast<long>(wait_ns % 1000000000)};
      const int n = ::epoll_pwait2(epoll_.get(), events, max_events, &timeout, nullptr);
      if (n >= 0 || errno != ENOSYS) return n < 0 ? 0 : n;
      use_pwait2_ = false;
    }
    const int n = ::epoll_wait(epoll_.get(), events, max_events,
                               static_cast<int>((wait_ns + 999999) / 1000000));
    return n < 0 ? 0 : n;
  }

  bool MayIssue(const Slot& slot) {
    if (!control_->connection_quota.empty() &&
        slot.issued >= control_->connection_quota[slot.global_index]) {
      return false;
    }
    if (!control_->counted) return true;
    // A request count: take one from the shared budget.
    return control_->budget.fetch_sub(1, std::memory_order_relaxed) > 0;
  }

  bool AnyCanIssue() const {
    if (control_->counted && control_->budget.load(std::memory_order_relaxed) <= 0) return false;
    for (const Slot& slot : slots_) {
      if (!slot.conn->ok()) continue;
      if (control_->connection_quota.empty() ||
          slot.issued < control_->connection_quota[slot.global_index]) {
        return true;
      }
    }
    return false;
  }

  void UpdateInterest(Slot& slot) {
    if (!slot.registered) return;
    if (!slot.conn->ok()) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, slot.conn->fd(), nullptr);
      slot.registered = false;
      return;
    }
    const bool want_write = slot.conn->has_output();
    if (want_write == slot.want_write) return;
    struct epoll_event ev = {};
    ev.events = want_write ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(&slot - slots_.data());
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, slot.conn->fd(), &ev);
    slot.want_write = want_write;
  }

  const Workload* const workload_;
  RunStats* const stats_;
  RunControl* const control_;
  const int thread_index_;
  net::UniqueFd epoll_;
  bool use_pwait2_ = true;
  std::vector<Slot> slots_;
};

// One operation type's totals over every thread's RunStats.
OpResult Collect(const std::vector<std::unique_ptr<RunStats>>& per_thread, int op) {
  OpResult r;
  for (const auto& stats : per_thread) {
    const OpStats& s = stats->ops[op];
    r.requests += s.requests.load();
    r.hits += s.hits.load();
    r.misses += s.misses.load();
    r.errors += s.errors.load();
    r.latency_ns.Merge(s.latency_ns.Snapshot());
  }
  r.completed = r.latency_ns.count();
  return r;
}

// Runs one phase (the measured run, or the prefill) to its end.
absl::StatusOr<BenchResult> RunPhase(const BenchOptions& options, RunControl* control,
                                     const ProgressFn& progress) {
  const Workload workload(options);
  // One RunStats per thread: its counters and histograms are written by that
  // thread alone, so recording a reply never contends for a cache line with
  // the other load threads (the histogram's sum/min/max and the counters were
  // shared atomics every reply of every thread wrote).
  std::vector<std::unique_ptr<RunStats>> stats;
  std::vector<std::unique_ptr<LoadThread>> threads;
  for (int t = 0; t < options.threads; ++t) {
    stats.push_back(std::make_unique<RunStats>());
    threads.push_back(std::make_unique<LoadThread>(&workload, stats.back().get(), control, t));
    absl::Status connected = threads.back()->Connect();
    if (!connected.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", options.server, ": ", connected.message()));
    }
  }
  if (options.requests > 0 && control->connection_quota.empty()) {
    control->counted = true;
    control->budget.store(static_cast<int64_t>(options.requests));
  }
  const absl::Duration cpu_before = CpuTime();
  control->start_ns = net::MonotonicNanos();
  control->end_ns = options.duration > absl::ZeroDuration()
                        ? control->start_ns + absl::ToInt64Nanoseconds(options.duration)
                        : INT64_MAX;
  Mutex mu;
  CondVar done_cv;
  int running = options.threads;
  std::vector<std::thread> workers;
  for (auto& thread : threads) {
    workers.emplace_back([&, t = thread.get()] {
      t->Run();
      MutexLock lock(&mu);
      --running;
      done_cv.SignalAll();
    });
  }
  // Once a second, report the second that passed.
  {
    stats::HistogramSnapshot previous[kOpTypes];
    uint64_t previous_hits = 0, previous_misses = 0, previous_errors = 0;
    int64_t next_report = control->start_ns + 1000000000;
    MutexLock lock(&mu);
    while (running > 0) {
      const int64_t now = net::MonotonicNanos();
      if (now < next_report) {
        done_cv.WaitWithTimeout(&mu, absl::Nanoseconds(next_report - now));
        continue;
      }
      next_report += 1000000000;
      if (!progress) continue;
      Progress p;
      p.elapsed = absl::Nanoseconds(now - control->start_ns);
      stats::HistogramSnapshot second;
      uint64_t hits = 0, misses = 0, errors = 0;
      for (int i = 0; i < kOpTypes; ++i) {
        stats::HistogramSnapshot current;
        for (const auto& thread_stats : stats) {
          const OpStats& s = thread_stats->ops[i];
          current.Merge(s.latency_ns.Snapshot());
          hits += s.hits.load();
          misses += s.misses.load();
          errors += s.errors.load();
        }
        second.Merge(current.Since(previous[i]));
        previous[i] = std::move(current);
      }
      p.ops_per_second = static_cast<double>(second.count());
      const uint64_t h = hits - previous_hits, m = misses - previous_misses;
      p.hit_rate = h + m == 0 ? 0 : static_cast<double>(h) / static_cast<double>(h + m);
      p.p50_ns = second.Percentile(50);
      p.p99_ns = second.Percentile(99);
      p.errors = errors - previous_errors;
      previous_hits = hits;
      previous_misses = misses;
      previous_errors = errors;
      progress(p);
    }
  }
  for (std::thread& worker : workers) worker.join();
  BenchResult result;
  result.server = options.server;
  result.elapsed = absl::Nanoseconds(net::MonotonicNanos() - control->start_ns);
  result.client_cpu = CpuTime() - cpu_before;
  for (int i = 0; i < kOpTypes; ++i) {
    result.ops[i] = Collect(stats, i);
    result.total.requests += result.ops[i].requests;
    result.total.completed += result.ops[i].completed;
    result.total.hits += result.ops[i].hits;
    result.total.misses += result.ops[i].misses;
    result.total.errors += result.ops[i].errors;
    result.total.latency_ns.Merge(result.ops[i].latency_ns);
  }
  for (const auto& thread_stats : stats) {
    result.connection_errors += thread_stats->connection_errors.load();
  }
  return result;
}

}  // namespace

absl::StatusOr<BenchResult> RunBench(const BenchOptions& options, const ProgressFn& progress) {
  absl::Status valid = options.Validate();
  if (!valid.ok()) return valid;
  if (options.prefill) {
    BenchOptions fill = options;
    fill.get_weight = 0;
    fill.multiget_weight = 0;
    fill.set_weight = 1;
    fill.key_pattern = KeyPattern::kSequential;
    fill.rate = 0;
    fill.requests = 0;
    fill.duration = absl::ZeroDuration();
    fill.pipeline = std::max(fill.pipeline, 32);
    RunControl control;
    const uint64_t total = static_cast<uint64_t>(fill.threads) * fill.connections_per_thread;
    for (uint64_t i = 0; i < total; ++i) {
      control.connection_quota.push_back(fill.key_count * (i + 1) / total -
                                         fill.key_count * i / total);
    }
    absl::StatusOr<BenchResult> filled = RunPhase(fill, &control, ProgressFn());
    if (!filled.ok()) return filled.status();
    if (filled->connection_errors > 0 || filled->total.errors > 0) {
      return absl::UnavailableError(absl::StrCat("prefill failed: ", filled->connection_errors,
                                                 " connection errors, ", filled->total.errors,
                                                 " error replies"));
    }
  }
  RunControl control;
  return RunPhase(options, &control, progress);
}

}  // namespace bench
}  // namespace memkit
