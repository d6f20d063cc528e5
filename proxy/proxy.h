// Proxy: memkit-proxy's running parts: a listener on an acceptor thread,
// `threads` worker threads (core/net EventLoopGroup), each with its own
// WorkerPool (backend connections), and one frontend::Connection with a
// ProxySession per client, placed on the workers round-robin.
//
//   auto proxy = Proxy::Create(options);   // listening when it returns
//   int port = (*proxy)->address().port();
//
// Lifetime: this version serves until the process exits. Stop() stops
// accepting and stops the worker threads; connections then open are
// abandoned, not drained (draining comes with hot reload), so the process
// should exit right after (memkit-proxy does).
//
// Thread-safety: Create and Stop from the owning thread; address(),
// context() from any.

#ifndef MEMKIT_PROXY_PROXY_H_
#define MEMKIT_PROXY_PROXY_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/net/address.h"
#include "core/net/event_loop_thread.h"
#include "core/net/listener.h"
#include "proxy/config.h"
#include "proxy/pool.h"
#include "proxy/session.h"

namespace memkit {
namespace proxy {

class Proxy {
 public:
  static absl::StatusOr<std::unique_ptr<Proxy>> Create(const ProxyOptions& options);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // The bound address (the real port when 0 was asked for).
  const net::Address& address() const { return listener_->address(); }
  const ProxyContext& context() const { return context_; }
  // Stops accepting and stops the threads (see the class comment).
  void Stop();

 private:
  explicit Proxy(const ProxyOptions& options) : options_(options) {}
  void OnAccept(net::UniqueFd fd);

  const ProxyOptions options_;
  ProxyContext context_;
  std::unique_ptr<net::EventLoopGroup> workers_;
  std::unique_ptr<net::EventLoopThread> acceptor_;
  std::unique_ptr<net::Listener> listener_;
  std::unique_ptr<Pool> pool_;
  // One per worker loop; created and used on that loop's thread.
  std::vector<WorkerPool*> worker_pools_;
  std::atomic<uint64_t> next_session_{0};
  bool stopped_ = false;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_PROXY_H_
