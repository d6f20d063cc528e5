#include "core/net/event_loop_thread.h"

#include <pthread.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace net {

absl::StatusOr<std::unique_ptr<EventLoopThread>> EventLoopThread::Start(
    const EventLoop::Options& options) {
  auto loop = EventLoop::Create(options);
  if (!loop.ok()) return loop.status();
  return std::unique_ptr<EventLoopThread>(new EventLoopThread(std::move(*loop)));
}

EventLoopThread::EventLoopThread(std::unique_ptr<EventLoop> loop) : loop_(std::move(loop)) {
  EventLoop* l = loop_.get();
  thread_ = std::thread([l] {
    // Thread names show in top/gdb; the kernel keeps 15 bytes.
    std::string name = l->name().substr(0, 15);
    pthread_setname_np(pthread_self(), name.c_str());
    l->Run();
  });
}

EventLoopThread::~EventLoopThread() { Stop(); }

void EventLoopThread::Stop() {
  if (!thread_.joinable()) return;
  loop_->Stop();
  thread_.join();
}

absl::StatusOr<std::unique_ptr<EventLoopGroup>> EventLoopGroup::Start(
    int num_threads, const EventLoop::Options& options) {
  if (num_threads < 1) return absl::InvalidArgumentError("EventLoopGroup needs >= 1 thread");
  std::unique_ptr<EventLoopGroup> group(new EventLoopGroup());
  for (int i = 0; i < num_threads; ++i) {
    EventLoop::Options o = options;
    o.name = absl::StrCat(options.name, "-", i);
    auto t = EventLoopThread::Start(o);
    if (!t.ok()) return t.status();  // the group's destructor stops the others
    group->threads_.push_back(std::move(*t));
  }
  return group;
}

EventLoopGroup::~EventLoopGroup() { Stop(); }

EventLoop* EventLoopGroup::Next() {
  size_t i = next_.fetch_add(1, std::memory_order_relaxed);
  return threads_[i % threads_.size()]->loop();
}

void EventLoopGroup::Stop() {
  // Ask all to stop first so they wind down in parallel, then join.
  for (auto& t : threads_) t->loop()->Stop();
  for (auto& t : threads_) t->Stop();
}

}  // namespace net
}  // namespace memkit
