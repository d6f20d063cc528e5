#include "core/net/event_loop.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "core/net/event_loop_thread.h"
#include "core/net/test_util.h"
#include "gtest/gtest.h"

namespace memkit {
namespace net {
namespace {

using testing::RunLoopUntil;

std::unique_ptr<EventLoop> NewLoop() {
  auto loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return std::move(*loop);
}

struct Pipe {
  UniqueFd r, w;
};

Pipe MakePipe() {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// ---- tasks --------------------------------------------------------------------

TEST(EventLoopTest, RunsWorkPostedFromOtherThreadsInOrder) {
  auto loop = NewLoop();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  // Touched only on the loop thread: TSan checks the loop serialises tasks.
  std::vector<int> last_seen(kThreads, -1);
  int total = 0;
  bool in_order = true;
  std::thread runner([&] { loop->Run(); });
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop->Post([&, t, i] {
          EXPECT_TRUE(loop->IsInLoopThread());
          if (last_seen[t] != i - 1) in_order = false;
          last_seen[t] = i;
          if (++total == kThreads * kPerThread) loop->Stop();
        });
      }
    });
  }
  for (auto& p : posters) p.join();
  runner.join();
  EXPECT_EQ(total, kThreads * kPerThread);
  EXPECT_TRUE(in_order);
  EXPECT_FALSE(loop->IsInLoopThread());
}

TEST(EventLoopTest, RunInLoopIsInlineOnTheLoopThreadOnly) {
  auto loop = NewLoop();
  std::vector<std::string> order;
  loop->Post([&] {
    order.push_back("outer-begin");
    loop->RunInLoop([&] { order.push_back("inline"); });
    loop->Post([&] { order.push_back("posted"); });
    order.push_back("outer-end");
  });
  bool ran_off_thread = false;
  loop->RunInLoop([&] { ran_off_thread = true; });  // not in the loop: queued
  EXPECT_FALSE(ran_off_thread);
  ASSERT_TRUE(RunLoopUntil(loop.get(), [&] { return order.size() == 4; }));
  EXPECT_TRUE(ran_off_thread);
  EXPECT_EQ(order, (std::vector<std::string>{"outer-begin", "inline", "outer-end", "posted"}));
}

TEST(EventLoopTest, StopBeforeRunReturnsAtOnceAfterPostedTasks) {
  auto loop = NewLoop();
  bool ran = false;
  loop->Post([&] { ran = true; });
  loop->Stop();
  loop->Run();  // must not block
  EXPECT_TRUE(ran);
}

TEST(EventLoopTest, TasksPostedBeforeStopRunBeforeRunReturns) {
  auto loop = NewLoop();
  std::atomic<bool> started{false};
  int cleanups = 0;
  std::thread runner([&] { loop->Run(); });
  loop->Post([&] { started = true; });
  while (!started.load()) std::this_thread::yield();
  for (int i = 0; i < 100; ++i) loop->Post([&] { ++cleanups; });
  loop->Stop();
  runner.join();
  EXPECT_EQ(cleanups, 100);
}

TEST(EventLoopTest, StopFromAnotherThreadWakesABlockedLoop) {
  auto loop = NewLoop();
  std::atomic<bool> running{false};
  std::thread runner([&] {
    loop->Post([&] { running = true; });
    loop->Run();
  });
  while (!running.load()) std::this_thread::yield();
  loop->Stop();  // the loop is (or soon will be) blocked in epoll_wait forever
  runner.join();
}

// ---- timers -------------------------------------------------------------------

TEST(EventLoopTest, TimersFireInDeadlineOrder) {
  auto loop = NewLoop();
  std::vector<int> order;
  loop->RunAfter(absl::Milliseconds(30), [&] { order.push_back(30); });
  loop->RunAfter(absl::Milliseconds(10), [&] { order.push_back(10); });
  loop->RunAfter(absl::Milliseconds(20), [&] { order.push_back(20); });
  loop->RunAfter(absl::Milliseconds(20), [&] { order.push_back(21); });
  const absl::Time start = absl::Now();
  ASSERT_TRUE(RunLoopUntil(loop.get(), [&] { return order.size() == 4; }));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
  EXPECT_EQ(order, (std::vector<int>{10, 20, 21, 30}));
  EXPECT_EQ(loop->pending_timers(), 0u);
}

TEST(EventLoopTest, CancelledTimerDoesNotFire) {
  auto loop = NewLoop();
  bool cancelled_ran = false, later_ran = false;
  auto id = loop->RunAfter(absl::Milliseconds(5), [&] { cancelled_ran = true; });
  loop->RunAfter(absl::Milliseconds(25), [&] { later_ran = true; });
  EXPECT_TRUE(loop->CancelTimer(id));
  EXPECT_FALSE(loop->CancelTimer(id));
  ASSERT_TRUE(RunLoopUntil(loop.get(), [&] { return later_ran; }));
  EXPECT_FALSE(cancelled_ran);
}

TEST(EventLoopTest, RepeatingTimerRepeatsUntilCancelled) {
  auto loop = NewLoop();
  std::vector<absl::Time> fired;
  EventLoop::TimerId id = 0;
  id = loop->RunEvery(absl::Milliseconds(10), [&] {
    fired.push_back(absl::Now());
    if (fired.size() == 4) loop->CancelTimer(id);
  });
  const absl::Time start = absl::Now();
  ASSERT_TRUE(RunLoopUntil(loop.get(), [&] { return fired.size() >= 4; }));
  // Prove it stopped: a later one-shot fires and the repeating one does not.
  bool after = false;
  loop->RunAfter(absl::Milliseconds(40), [&] { after = true; });
  ASSERT_TRUE(RunLoopUntil(loop.get(), [&] { return after; }));
  EXPECT_EQ(fired.size(), 4u);
  EXPECT_GE(fired[3] - start, absl::Milliseconds(40));
  EXPECT_EQ(loop->pending_timers(), 0u);
}

TEST(EventLoopTest, ZeroDelayTimerRunsOnTheNextTurnNotInline) {
  auto loop = NewLoop();
  bool ran = false;
  loop->RunAfter(absl::ZeroDuration(), [&] { ran = true; });
  EXPECT_FALSE(ran);
  loop->RunOnce(absl::Seconds(5));  // a due timer means no waiting
  EXPECT_TRUE(ran);
}

// ---- fds ----------------------------------------------------------------------

class CountingWatcher : public EventLoop::Watcher {
 public:
  void OnIoReady(uint32_t events) override {
    ++calls;
    last = events;
    if (on_ready) on_ready();
  }
  int calls = 0;
  uint32_t last = 0;
  std::function<void()> on_ready;
};

TEST(EventLoopTest, WatchReportsReadinessLevelTriggered) {
  auto loop = NewLoop();
  Pipe p = MakePipe();
  CountingWatcher w;
  ASSERT_TRUE(loop->Watch(p.r.get(), EventLoop::kReadable, &w).ok());
  EXPECT_EQ(loop->Watch(p.r.get(), EventLoop::kReadable, &w).code(),
            absl::StatusCode::kAlreadyExists);
  CountingWatcher other;
  EXPECT_EQ(loop->Watch(p.r.get(), EventLoop::kReadable, &other).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(loop->Watch(p.w.get(), EventLoop::kWritable, &w).code(),
            absl::StatusCode::kAlreadyExists);  // one fd per watcher
  EXPECT_EQ(loop->watched_count(), 1u);
  loop->RunOnce(absl::ZeroDuration());
  EXPECT_EQ(w.calls, 0);
  ASSERT_EQ(::write(p.w.get(), "x", 1), 1);
  loop->RunOnce(absl::Seconds(5));
  EXPECT_EQ(w.calls, 1);
  EXPECT_TRUE(w.last & EventLoop::kReadable);
  // Not drained: level-triggered reports it again.
  loop->RunOnce(absl::Seconds(5));
  EXPECT_EQ(w.calls, 2);
  // Interest 0: not reported even though it is readable.
  ASSERT_TRUE(loop->UpdateInterest(&w, 0).ok());
  loop->RunOnce(absl::ZeroDuration());
  EXPECT_EQ(w.calls, 2);
  ASSERT_TRUE(loop->UpdateInterest(&w, EventLoop::kReadable).ok());
  loop->RunOnce(absl::Seconds(5));
  EXPECT_EQ(w.calls, 3);
  loop->Unwatch(&w);
  loop->RunOnce(absl::ZeroDuration());
  EXPECT_EQ(w.calls, 3);
  EXPECT_EQ(loop->watched_count(), 0u);
  EXPECT_FALSE(loop->UpdateInterest(&w, EventLoop::kReadable).ok());
}

TEST(EventLoopTest, WritableInterest) {
  auto loop = NewLoop();
  Pipe p = MakePipe();
  CountingWatcher w;
  ASSERT_TRUE(loop->Watch(p.w.get(), EventLoop::kWritable, &w).ok());
  loop->RunOnce(absl::Seconds(5));
  EXPECT_EQ(w.calls, 1);
  EXPECT_TRUE(w.last & EventLoop::kWritable);
  loop->Unwatch(&w);
}

TEST(EventLoopTest, EventsForAnFdUnwatchedEarlierInTheBatchAreDropped) {
  auto loop = NewLoop();
  Pipe a = MakePipe(), b = MakePipe();
  CountingWatcher wa, wb, wc;
  Pipe c;
  bool swapped = false;
  // Whichever of a/b is dispatched first unwatches and closes the other's
  // read end, then opens a new pipe (which takes the lowest free fd number,
  // the one just closed) watched by wc. The closed pipe's event, already
  // taken from the kernel, must reach neither its old watcher nor wc.
  auto swap_out = [&](Pipe* other) {
    if (swapped) return;
    swapped = true;
    const int old_fd = other->r.get();
    loop->Unwatch(other == &a ? &wa : &wb);
    other->r.reset();
    c = MakePipe();
    EXPECT_EQ(c.r.get(), old_fd);
    ASSERT_TRUE(loop->Watch(c.r.get(), EventLoop::kReadable, &wc).ok());
  };
  wa.on_ready = [&] { swap_out(&b); };
  wb.on_ready = [&] { swap_out(&a); };
  ASSERT_TRUE(loop->Watch(a.r.get(), EventLoop::kReadable, &wa).ok());
  ASSERT_TRUE(loop->Watch(b.r.get(), EventLoop::kReadable, &wb).ok());
  ASSERT_EQ(::write(a.w.get(), "x", 1), 1);
  ASSERT_EQ(::write(b.w.get(), "x", 1), 1);
  loop->RunOnce(absl::Seconds(5));
  EXPECT_EQ(wa.calls + wb.calls, 1);
  EXPECT_EQ(wc.calls, 0);  // c's pipe is empty: any call would be the stale event
  loop->Unwatch(&wa);
  loop->Unwatch(&wb);
  loop->Unwatch(&wc);
}

// ---- signals ------------------------------------------------------------------

TEST(EventLoopTest, HandleSignalRunsOnTheLoopThread) {
  auto loop = NewLoop();
  int got = 0;
  bool on_loop = false;
  ASSERT_TRUE(loop->HandleSignal(SIGUSR1, [&] {
    ++got;
    on_loop = loop->IsInLoopThread();
  }).ok());
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(RunLoopUntil(loop.get(), [&] { return got == 1; }));
  EXPECT_TRUE(on_loop);
  EXPECT_FALSE(loop->HandleSignal(SIGKILL, [] {}).ok());
}

TEST(EventLoopTest, SignalStopsARunningLoop) {
  auto loop = NewLoop();
  ASSERT_TRUE(loop->HandleSignal(SIGUSR2, [&] { loop->Stop(); }).ok());
  std::atomic<bool> running{false};
  std::thread runner([&] {
    loop->Post([&] { running = true; });
    loop->Run();
  });
  while (!running.load()) std::this_thread::yield();
  ASSERT_EQ(::kill(::getpid(), SIGUSR2), 0);
  runner.join();  // returns only if the signal stopped the loop
}

EventLoop* g_loop_for_raw_handler = nullptr;
void RawHandler(int) { g_loop_for_raw_handler->Stop(); }  // Stop is async-signal-safe

TEST(EventLoopTest, StopIsCallableFromARawSignalHandler) {
  auto loop = NewLoop();
  g_loop_for_raw_handler = loop.get();
  struct sigaction action, previous;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = &RawHandler;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR2, &action, &previous), 0);
  std::atomic<bool> running{false};
  std::thread runner([&] {
    loop->Post([&] { running = true; });
    loop->Run();
  });
  while (!running.load()) std::this_thread::yield();
  ASSERT_EQ(::kill(::getpid(), SIGUSR2), 0);
  runner.join();
  ::sigaction(SIGUSR2, &previous, nullptr);
  g_loop_for_raw_handler = nullptr;
}

// ---- threads ------------------------------------------------------------------

TEST(EventLoopGroupTest, RoundRobinOverLoopsOnTheirOwnThreads) {
  auto group = EventLoopGroup::Start(3);
  ASSERT_TRUE(group.ok()) << group.status();
  ASSERT_EQ((*group)->size(), 3u);
  std::vector<EventLoop*> picked;
  for (int i = 0; i < 6; ++i) picked.push_back((*group)->Next());
  EXPECT_EQ(std::set<EventLoop*>(picked.begin(), picked.end()).size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(picked[i], picked[i + 3]);

  std::mutex mu;
  std::set<std::thread::id> threads;
  std::atomic<int> on_own_loop{0};
  for (size_t i = 0; i < 3; ++i) {
    EventLoop* loop = (*group)->loop(i);
    loop->Post([&, loop] {
      if (loop->IsInLoopThread()) ++on_own_loop;
      std::lock_guard<std::mutex> lock(mu);
      threads.insert(std::this_thread::get_id());
    });
  }
  (*group)->Stop();  // tasks posted before Stop run first
  EXPECT_EQ(on_own_loop.load(), 3);
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  (*group)->Stop();  // idempotent
  EXPECT_FALSE(EventLoopGroup::Start(0).ok());
}

TEST(EventLoopThreadTest, LoopIsUsableAsSoonAsStartReturns) {
  auto t = EventLoopThread::Start();
  ASSERT_TRUE(t.ok());
  std::atomic<int> ran{0};
  (*t)->loop()->Post([&] { ++ran; });
  t->reset();  // destructor stops and joins after running the task
  EXPECT_EQ(ran.load(), 1);
}

}  // namespace
}  // namespace net
}  // namespace memkit
