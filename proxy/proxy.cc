#include "proxy/proxy.h"

#include <utility>

#include "absl/synchronization/notification.h"
#include "core/frontend/connection.h"

namespace memkit {
namespace proxy {

absl::StatusOr<std::unique_ptr<Proxy>> Proxy::Create(const ProxyOptions& options) {
  std::unique_ptr<Proxy> proxy(new Proxy(options));
  auto address = net::ResolveOne(options.listen);
  if (!address.ok()) return address.status();
  auto listener = net::Listener::Create(*address);
  if (!listener.ok()) return listener.status();
  proxy->listener_ = std::move(*listener);

  net::EventLoop::Options wo;
  wo.name = "proxy-worker";
  auto group = net::EventLoopGroup::Start(options.threads, wo);
  if (!group.ok()) return group.status();
  proxy->workers_ = std::move(*group);

  auto pool = Pool::Create(options.pool, proxy->workers_->loop(0));
  if (!pool.ok()) return pool.status();
  proxy->pool_ = std::move(*pool);
  proxy->context_.options = &proxy->options_;
  proxy->context_.pool = proxy->pool_.get();

  // Each worker's pool is made on its own thread (its timers and
  // connections belong to that loop).
  proxy->worker_pools_.resize(proxy->workers_->size());
  for (size_t i = 0; i < proxy->workers_->size(); ++i) {
    absl::Notification made;
    Proxy* raw = proxy.get();
    net::EventLoop* loop = raw->workers_->loop(i);
    loop->Post([raw, loop, i, &made] {
      raw->worker_pools_[i] = new WorkerPool(loop, raw->pool_.get());
      made.Notify();
    });
    made.WaitForNotification();
  }

  net::EventLoop::Options ao;
  ao.name = "proxy-acceptor";
  auto acceptor = net::EventLoopThread::Start(ao);
  if (!acceptor.ok()) return acceptor.status();
  proxy->acceptor_ = std::move(*acceptor);
  absl::Notification started;
  absl::Status start_status;
  Proxy* raw = proxy.get();
  raw->acceptor_->loop()->Post([raw, &started, &start_status] {
    start_status = raw->listener_->Start(
        raw->acceptor_->loop(),
        [raw](net::UniqueFd fd, const net::Address&) { raw->OnAccept(std::move(fd)); });
    started.Notify();
  });
  started.WaitForNotification();
  if (!start_status.ok()) return start_status;
  return proxy;
}

Proxy::~Proxy() { Stop(); }

void Proxy::OnAccept(net::UniqueFd fd) {
  const uint64_t id = next_session_.fetch_add(1, std::memory_order_relaxed);
  const size_t w = id % workers_->size();
  net::EventLoop* loop = workers_->loop(w);
  loop->Post([this, loop, w, id, fd = std::move(fd)]() mutable {
    frontend::ConnectionOptions co;
    // Sessions of one worker spread over its connections to each server.
    auto session =
        std::make_unique<ProxySession>(&context_, worker_pools_[w], id / workers_->size());
    (void)frontend::Connection::Start(loop, std::move(fd), co, std::move(session));
  });
}

void Proxy::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (acceptor_ != nullptr) {
    acceptor_->loop()->Post([this] { listener_->Stop(); });
    acceptor_->Stop();
  }
  if (workers_ != nullptr) workers_->Stop();
  // The worker pools, client connections and the listener are left to the
  // process's exit (see the class comment): their loops no longer run.
  (void)listener_.release();
  (void)pool_.release();
  (void)workers_.release();
  (void)acceptor_.release();
}

}  // namespace proxy
}  // namespace memkit
