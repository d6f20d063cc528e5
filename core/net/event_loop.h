// EventLoop: one epoll instance, its timers and a cross-thread task queue,
// run by exactly one thread.
//
// The server and the proxy run one EventLoop per worker thread (see
// EventLoopThread / EventLoopGroup in event_loop_thread.h). Sockets are
// registered with Watch(); their owner (a Connection, a Listener, an
// AsyncConnect) is called back on the loop thread when they are ready.
//
// Readiness is LEVEL-triggered, by design:
//  - a handler may stop early (read-buffer cap reached, per-wakeup accept
//    budget, output backpressure) and the loop simply reports the fd again on
//    the next turn; with edge triggering every such early stop is a potential
//    lost wake-up (the classic ET starvation bug);
//  - the steady-state cost is the same: one epoll_wait per batch, then one
//    read and one writev per ready connection. The price of level triggering
//    is an epoll_ctl when write interest is switched on and off, which only
//    happens when a reply did not fit in the socket buffer (a slow reader).
//
// Thread-safety contract, method by method:
//  - Post(), RunInLoop(), Stop(), Wake(), IsInLoopThread(): any thread.
//    Stop() and Wake() are also async-signal-safe (an atomic store and a
//    write(2) to an eventfd).
//  - Everything else (Watch/UpdateInterest/Unwatch, RunAfter/RunEvery/
//    CancelTimer, RunOnce, cached_now_ns): the loop thread only, i.e. the
//    thread inside Run(); before Run() starts and after it returns, the
//    thread that owns the loop (calls must not overlap Run()).
//  - Run(): one thread at a time. The destructor: not while Run() runs, and
//    after every watched fd was unwatched.

#ifndef MEMKIT_CORE_NET_EVENT_LOOP_H_
#define MEMKIT_CORE_NET_EVENT_LOOP_H_

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/net/internal/timer_queue.h"
#include "core/net/socket.h"
#include "core/sync/mutex.h"

namespace memkit {
namespace net {

class EventLoop {
 public:
  struct Options {
    // Events taken from the kernel per epoll_wait.
    int max_events = 256;
    // For error messages and thread names.
    std::string name = "loop";
  };

  // Interest and readiness bits.
  static constexpr uint32_t kReadable = EPOLLIN;
  static constexpr uint32_t kWritable = EPOLLOUT;
  // Reported whether or not asked for.
  static constexpr uint32_t kError = EPOLLERR;
  static constexpr uint32_t kHangup = EPOLLHUP;

  // Implemented by the owner of a watched fd.
  class Watcher {
   public:
    // `events` is a mix of kReadable, kWritable, kError, kHangup. Called on
    // the loop thread. May Unwatch() any fd, including its own, and may
    // destroy other watchers; must not destroy itself (defer that with
    // RunAfter(absl::ZeroDuration(), ...) or Post()).
    virtual void OnIoReady(uint32_t events) = 0;

   protected:
    ~Watcher() = default;

   private:
    friend class EventLoop;
    // The registration lives here, not in a table of the loop's: a table
    // indexed by fd would cost every loop an entry per fd of the process
    // (10,000 idle connections on 4 workers: 40,000 entries).
    int watched_fd_ = -1;  // -1: not watched
    uint32_t interest_ = 0;
  };

  using Task = absl::AnyInvocable<void()>;
  using TimerId = internal::TimerQueue::TimerId;

  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(const Options& options);
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create() { return Create(Options()); }
  ~EventLoop();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // ---- the loop -------------------------------------------------------------

  // Runs until Stop(). Before returning, runs the tasks posted before Stop()
  // (so "Post(cleanup); Stop()" cleans up), but no more timers or I/O.
  // A Stop() that happens before Run() makes Run() return at once.
  void Run();

  // One turn: waits at most `max_wait` for I/O, then dispatches ready fds,
  // expired timers and posted tasks. For tests and for callers that drive
  // the loop from their own code. Returns the number of callbacks run.
  size_t RunOnce(absl::Duration max_wait);

  // Asks Run() to return after the current turn. Any thread; async-signal-safe.
  void Stop();
  // Interrupts a blocking epoll_wait. Any thread; async-signal-safe.
  void Wake();

  // True on the thread currently inside Run()/RunOnce() of this loop.
  bool IsInLoopThread() const;

  // ---- tasks ----------------------------------------------------------------

  // Queues `task` to run on the loop thread on its next turn (FIFO). Any thread.
  void Post(Task task);
  // Runs `task` now if called on the loop thread, else Post()s it. Any thread.
  void RunInLoop(Task task);

  // ---- fds ------------------------------------------------------------------

  // Starts watching `fd` (non-blocking, owned by the caller) for `interest`
  // (kReadable | kWritable, or 0 to only hear about errors) on behalf of
  // `watcher`, which watches one fd at a time and must outlive the
  // registration. AlreadyExists if `watcher` or `fd` is watched already.
  absl::Status Watch(int fd, uint32_t interest, Watcher* watcher);
  // Changes the interest set of `watcher`'s fd; a no-op (no syscall) when it
  // is unchanged. FailedPrecondition if it watches nothing.
  absl::Status UpdateInterest(Watcher* watcher, uint32_t interest);
  // Stops watching `watcher`'s fd (a no-op if it watches nothing). Events
  // already taken from the kernel for it in this turn are dropped, even if
  // the watcher watches again, or a new watcher takes its memory, in this
  // turn. Call before closing the fd.
  void Unwatch(Watcher* watcher);
  size_t watched_count() const { return watched_; }

  // ---- timers ---------------------------------------------------------------

  // Runs `fn` once after `delay` (zero: on the next turn, never inline).
  TimerId RunAfter(absl::Duration delay, Task fn);
  // Runs `fn` every `interval` (> 0), first after `interval`, until cancelled.
  TimerId RunEvery(absl::Duration interval, Task fn);
  // Cancels a pending timer; safe from inside that timer's own callback.
  // Returns false if it already ran (one-shot), was cancelled, or is 0.
  bool CancelTimer(TimerId id);
  size_t pending_timers() const { return timers_.size(); }

  // Monotonic nanoseconds read once per turn, after epoll_wait returns: a
  // free clock for idle-timeout bookkeeping on the per-request path.
  int64_t cached_now_ns() const { return now_ns_; }

  // ---- signals --------------------------------------------------------------

  // Runs `fn` on this loop's thread whenever signal `signo` arrives. Installs
  // a process-wide sigaction whose handler is async-signal-safe (it sets a bit
  // and calls Wake()). One loop per signal: a later call (from any loop)
  // replaces the earlier one. The destructor restores the previous action.
  // Call from the owning thread before Run(), or on the loop thread.
  absl::Status HandleSignal(int signo, Task fn);

  const std::string& name() const { return options_.name; }

 private:
  struct SignalEntry;

  EventLoop(const Options& options, UniqueFd epoll_fd, UniqueFd wake_fd);

  void DispatchIo(int n);
  size_t RunPostedTasks();
  size_t DispatchSignals();
  void DrainWakeFd();
  static void SignalHandler(int signo);

  const Options options_;
  const UniqueFd epoll_fd_;
  const UniqueFd wake_fd_;  // eventfd: Post(), Stop() and signals write it

  // ---- loop thread only
  std::vector<struct epoll_event> events_;
  // Watchers unwatched during the current DispatchIo(): the events of this
  // batch still naming them are stale (the watcher may be gone).
  absl::flat_hash_set<const Watcher*> unwatched_in_batch_;
  bool dispatching_ = false;
  size_t watched_ = 0;
  internal::TimerQueue timers_;
  int64_t now_ns_ = 0;
  std::vector<Task> running_tasks_;  // swapped with pending_tasks_, reused
  std::vector<std::unique_ptr<SignalEntry>> signals_;

  // ---- any thread
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> pending_signals_{0};  // bit per signal number
  std::atomic<bool> has_tasks_{false};        // cheap "anything posted?" check

  Mutex mu_;
  std::vector<Task> pending_tasks_ ABSL_GUARDED_BY(mu_);
  // A wake-up write is outstanding, so further Post()s need not write again.
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_EVENT_LOOP_H_
