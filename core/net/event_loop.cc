#include "core/net/event_loop.h"

#include <errno.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/net/internal/mono_time.h"

namespace memkit {
namespace net {
namespace {

// epoll data for the wake-up eventfd; real registrations carry their
// Watcher's address, which is never all ones.
constexpr uint64_t kWakeToken = std::numeric_limits<uint64_t>::max();

// The loop whose Run()/RunOnce() is on this thread's stack.
thread_local const EventLoop* tls_current_loop = nullptr;

// Signal number -> the loop that handles it. Read by the signal handler, so
// lock-free atomics only.
constexpr int kMaxSignal = 64;
std::atomic<EventLoop*> g_signal_loops[kMaxSignal];

class CurrentLoopScope {
 public:
  explicit CurrentLoopScope(const EventLoop* loop) : previous_(tls_current_loop) {
    tls_current_loop = loop;
  }
  ~CurrentLoopScope() { tls_current_loop = previous_; }

 private:
  const EventLoop* previous_;
};

}  // namespace

struct EventLoop::SignalEntry {
  int signo;
  Task fn;
  struct sigaction previous;
};

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(const Options& options) {
  if (options.max_events <= 0) return absl::InvalidArgumentError("max_events must be > 0");
  UniqueFd epoll_fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd.valid()) return ErrnoStatus(errno, "epoll_create1");
  UniqueFd wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_fd.valid()) return ErrnoStatus(errno, "eventfd");
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, wake_fd.get(), &ev) < 0) {
    return ErrnoStatus(errno, "epoll_ctl(eventfd)");
  }
  return std::unique_ptr<EventLoop>(
      new EventLoop(options, std::move(epoll_fd), std::move(wake_fd)));
}

EventLoop::EventLoop(const Options& options, UniqueFd epoll_fd, UniqueFd wake_fd)
    : options_(options),
      epoll_fd_(std::move(epoll_fd)),
      wake_fd_(std::move(wake_fd)),
      events_(static_cast<size_t>(options.max_events)) {
  now_ns_ = internal::MonotonicNanos();
}

EventLoop::~EventLoop() {
  for (const auto& entry : signals_) {
    EventLoop* self = this;
    if (g_signal_loops[entry->signo].compare_exchange_strong(self, nullptr)) {
      ::sigaction(entry->signo, &entry->previous, nullptr);
    }
  }
}

bool EventLoop::IsInLoopThread() const { return tls_current_loop == this; }

void EventLoop::Run() {
  CurrentLoopScope scope(this);
  while (!stop_requested_.load(std::memory_order_acquire)) {
    RunOnce(absl::InfiniteDuration());
  }
  // Tasks posted before Stop() still run, so "Post(cleanup); Stop()" works.
  while (RunPostedTasks() > 0) {
  }
  stop_requested_.store(false, std::memory_order_release);
}

void EventLoop::Stop() {
  stop_requested_.store(true, std::memory_order_release);
  Wake();
}

void EventLoop::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is saturated: a wake-up is pending anyway.
  ssize_t rc = ::write(wake_fd_.get(), &one, sizeof(one));
  (void)rc;
}

void EventLoop::DrainWakeFd() {
  uint64_t count;
  ssize_t rc = ::read(wake_fd_.get(), &count, sizeof(count));
  (void)rc;
}

size_t EventLoop::RunOnce(absl::Duration max_wait) {
  CurrentLoopScope scope(this);
  int64_t now = internal::MonotonicNanos();
  int64_t deadline = internal::DeadlineAfter(now, internal::ToNanosSaturated(max_wait));
  deadline = std::min(deadline, timers_.NextDeadline());
  int timeout_ms = internal::PollTimeoutMillis(now, deadline);
  if (has_tasks_.load(std::memory_order_acquire) ||
      pending_signals_.load(std::memory_order_acquire) != 0 ||
      stop_requested_.load(std::memory_order_acquire)) {
    timeout_ms = 0;
  }
  int n = ::epoll_wait(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()),
                       timeout_ms);
  now_ns_ = internal::MonotonicNanos();
  size_t ran = 0;
  if (n > 0) {
    DispatchIo(n);
    ran += static_cast<size_t>(n);
  }
  // n < 0 is EINTR (a signal): fall through to run timers, tasks and signals.
  ran += timers_.RunExpired(now_ns_);
  ran += RunPostedTasks();
  ran += DispatchSignals();
  return ran;
}

void EventLoop::DispatchIo(int n) {
  dispatching_ = true;
  for (int i = 0; i < n; ++i) {
    const struct epoll_event& ev = events_[static_cast<size_t>(i)];
    if (ev.data.u64 == kWakeToken) {
      DrainWakeFd();
      continue;
    }
    Watcher* watcher = static_cast<Watcher*>(ev.data.ptr);
    // A watcher earlier in this batch may have unwatched (and maybe
    // destroyed) this one: its events are stale. Level triggering reports
    // anything still true of a re-watched fd on the next turn.
    if (!unwatched_in_batch_.empty() && unwatched_in_batch_.contains(watcher)) continue;
    watcher->OnIoReady(ev.events);
  }
  dispatching_ = false;
  unwatched_in_batch_.clear();
  // A full batch suggests more were ready: take more next time.
  if (static_cast<size_t>(n) == events_.size() && events_.size() < 4096) {
    events_.resize(events_.size() * 2);
  }
}

size_t EventLoop::RunPostedTasks() {
  {
    MutexLock lock(&mu_);
    if (pending_tasks_.empty()) return 0;
    running_tasks_.swap(pending_tasks_);
    wake_pending_ = false;
    has_tasks_.store(false, std::memory_order_release);
  }
  size_t ran = running_tasks_.size();
  for (Task& task : running_tasks_) task();
  running_tasks_.clear();
  return ran;
}

void EventLoop::Post(Task task) {
  bool need_wake = false;
  {
    MutexLock lock(&mu_);
    pending_tasks_.push_back(std::move(task));
    has_tasks_.store(true, std::memory_order_release);
    // The loop thread checks has_tasks_ before it sleeps, so only other
    // threads need the eventfd, and only the first of a burst writes it.
    if (!wake_pending_ && !IsInLoopThread()) {
      wake_pending_ = true;
      need_wake = true;
    }
  }
  if (need_wake) Wake();
}

void EventLoop::RunInLoop(Task task) {
  if (IsInLoopThread()) {
    task();
  } else {
    Post(std::move(task));
  }
}

absl::Status EventLoop::Watch(int fd, uint32_t interest, Watcher* watcher) {
  if (fd < 0 || watcher == nullptr) return absl::InvalidArgumentError("Watch: bad fd or watcher");
  if (watcher->watched_fd_ >= 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("watcher of fd ", watcher->watched_fd_, " is already watching"));
  }
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof(ev));
  ev.events = interest;
  ev.data.ptr = watcher;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat("fd ", fd, " is already watched"));
    }
    return ErrnoStatus(errno, absl::StrCat("epoll_ctl(ADD, ", fd, ")"));
  }
  watcher->watched_fd_ = fd;
  watcher->interest_ = interest;
  ++watched_;
  return absl::OkStatus();
}

absl::Status EventLoop::UpdateInterest(Watcher* watcher, uint32_t interest) {
  if (watcher == nullptr || watcher->watched_fd_ < 0) {
    return absl::FailedPreconditionError("UpdateInterest: the watcher watches no fd");
  }
  if (watcher->interest_ == interest) return absl::OkStatus();
  struct epoll_event ev;
  std::memset(&ev, 0, sizeof(ev));
  ev.events = interest;
  ev.data.ptr = watcher;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, watcher->watched_fd_, &ev) < 0) {
    return ErrnoStatus(errno, absl::StrCat("epoll_ctl(MOD, ", watcher->watched_fd_, ")"));
  }
  watcher->interest_ = interest;
  return absl::OkStatus();
}

void EventLoop::Unwatch(Watcher* watcher) {
  if (watcher == nullptr || watcher->watched_fd_ < 0) return;
  // Fails only if the fd was closed first, in which case the kernel already
  // dropped it from the epoll set.
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, watcher->watched_fd_, nullptr);
  watcher->watched_fd_ = -1;
  watcher->interest_ = 0;
  if (dispatching_) unwatched_in_batch_.insert(watcher);
  --watched_;
}

EventLoop::TimerId EventLoop::RunAfter(absl::Duration delay, Task fn) {
  int64_t now = internal::MonotonicNanos();
  return timers_.Add(internal::DeadlineAfter(now, internal::ToNanosSaturated(delay)), 0,
                     std::move(fn));
}

EventLoop::TimerId EventLoop::RunEvery(absl::Duration interval, Task fn) {
  int64_t step = std::max<int64_t>(1, internal::ToNanosSaturated(interval));
  int64_t now = internal::MonotonicNanos();
  return timers_.Add(internal::DeadlineAfter(now, step), step, std::move(fn));
}

bool EventLoop::CancelTimer(TimerId id) { return timers_.Cancel(id); }

// ---- signals ----------------------------------------------------------------

void EventLoop::SignalHandler(int signo) {
  const int saved_errno = errno;
  if (signo > 0 && signo < kMaxSignal) {
    EventLoop* loop = g_signal_loops[signo].load(std::memory_order_acquire);
    if (loop != nullptr) {
      loop->pending_signals_.fetch_or(uint64_t{1} << signo, std::memory_order_acq_rel);
      loop->Wake();
    }
  }
  errno = saved_errno;
}

absl::Status EventLoop::HandleSignal(int signo, Task fn) {
  if (signo <= 0 || signo >= kMaxSignal || signo == SIGKILL || signo == SIGSTOP) {
    return absl::InvalidArgumentError(absl::StrCat("cannot handle signal ", signo));
  }
  for (auto& entry : signals_) {
    if (entry->signo == signo) {
      entry->fn = std::move(fn);
      g_signal_loops[signo].store(this, std::memory_order_release);
      return absl::OkStatus();
    }
  }
  auto entry = std::make_unique<SignalEntry>();
  entry->signo = signo;
  entry->fn = std::move(fn);
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = &EventLoop::SignalHandler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  g_signal_loops[signo].store(this, std::memory_order_release);
  if (::sigaction(signo, &action, &entry->previous) < 0) {
    EventLoop* self = this;
    g_signal_loops[signo].compare_exchange_strong(self, nullptr);
    return ErrnoStatus(errno, absl::StrCat("sigaction(", signo, ")"));
  }
  signals_.push_back(std::move(entry));
  return absl::OkStatus();
}

size_t EventLoop::DispatchSignals() {
  uint64_t bits = pending_signals_.exchange(0, std::memory_order_acq_rel);
  size_t ran = 0;
  for (int signo = 1; bits != 0 && signo < kMaxSignal; ++signo) {
    if ((bits & (uint64_t{1} << signo)) == 0) continue;
    bits &= ~(uint64_t{1} << signo);
    for (auto& entry : signals_) {
      if (entry->signo == signo && entry->fn) {
        entry->fn();
        ++ran;
        break;
      }
    }
  }
  return ran;
}

}  // namespace net
}  // namespace memkit
