// EventLoopThread and EventLoopGroup: worker threads that each run one
// EventLoop. The server starts a group of N (its -t), accepts on one loop
// and hands each accepted fd to group->Next(); the proxy does the same.
//
//   auto group = EventLoopGroup::Start(4);            // 4 threads, 4 loops
//   EventLoop* worker = (*group)->Next();             // round-robin
//   worker->Post([fd = std::move(fd)]() mutable { ... });   // runs there
//   ...
//   (*group)->Stop();                                 // or destroy it
//
// Stop() lets each loop finish the tasks already posted to it (so posting a
// cleanup task and then stopping is a graceful shutdown), then joins.
//
// Thread-safety: Start/Stop/the destructor from one controlling thread, never
// from one of the group's own loop threads (Stop joins them). Next(), loop(),
// size() are safe from any thread.

#ifndef MEMKIT_CORE_NET_EVENT_LOOP_THREAD_H_
#define MEMKIT_CORE_NET_EVENT_LOOP_THREAD_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "core/net/event_loop.h"

namespace memkit {
namespace net {

// One thread running one EventLoop. The loop is created before the thread
// starts, so loop() is usable (Post, RunInLoop) as soon as Start() returns.
class EventLoopThread {
 public:
  static absl::StatusOr<std::unique_ptr<EventLoopThread>> Start(
      const EventLoop::Options& options = {});
  // Stop()s.
  ~EventLoopThread();

  EventLoopThread(const EventLoopThread&) = delete;
  EventLoopThread& operator=(const EventLoopThread&) = delete;

  EventLoop* loop() const { return loop_.get(); }

  // Stops the loop (after it runs the tasks already posted) and joins.
  // Idempotent. Not from the loop's own thread.
  void Stop();

 private:
  explicit EventLoopThread(std::unique_ptr<EventLoop> loop);

  std::unique_ptr<EventLoop> loop_;
  std::thread thread_;
};

// N EventLoopThreads with round-robin selection.
class EventLoopGroup {
 public:
  // `num_threads` >= 1. Loop i is named "<options.name>-<i>".
  static absl::StatusOr<std::unique_ptr<EventLoopGroup>> Start(
      int num_threads, const EventLoop::Options& options = {});
  ~EventLoopGroup();

  EventLoopGroup(const EventLoopGroup&) = delete;
  EventLoopGroup& operator=(const EventLoopGroup&) = delete;

  size_t size() const { return threads_.size(); }
  EventLoop* loop(size_t i) const { return threads_[i]->loop(); }
  // The next loop in round-robin order. Any thread.
  EventLoop* Next();

  // Stops and joins every thread. Idempotent.
  void Stop();

 private:
  EventLoopGroup() = default;

  std::vector<std::unique_ptr<EventLoopThread>> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_EVENT_LOOP_THREAD_H_
