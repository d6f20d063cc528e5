// Proxy: memkit-proxy's running parts: a listener on an acceptor thread,
// `threads` worker threads (core/net EventLoopGroup), the current
// RouteTable (pools, each with a WorkerPool per worker, and the route tree),
// and one frontend::Connection with a ProxySession per client, placed on
// the workers round-robin.
//
//   auto proxy = Proxy::Create(options);   // listening when it returns
//   int port = (*proxy)->address().port();
//   (*proxy)->Reload(new_config);          // SIGHUP, the admin Config service
//   (*proxy)->Drain(absl::Seconds(10));    // SIGTERM: stop accepting, finish
//
// Reload builds a new RouteTable (keeping the pools whose options did not
// change) and swaps it in: new requests use it, requests in flight finish on
// the old one, whose retired pools' connections close once the last of them
// is done. A config that does not validate, or that changes `listen` or
// `threads` (which need a restart), returns InvalidArgument and leaves the
// running one serving.
//
// Lifetime: Stop() (and the destructor) stops accepting, closes the client
// connections, releases the route tables (closing the backend
// connections) and stops the threads. Requests still waiting for a backend
// after a 2 s grace are abandoned with what they hold; call Drain() first
// to let them finish.
//
// Thread-safety: Create, Stop and the destructor from the owning thread;
// Reload (serialised internally) and Drain from any thread but a worker's;
// address(), context() from any.

#ifndef MEMKIT_PROXY_PROXY_H_
#define MEMKIT_PROXY_PROXY_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/admin/proxy_config.pb.h"
#include "core/frontend/connection.h"
#include "core/net/address.h"
#include "core/net/event_loop_thread.h"
#include "core/net/listener.h"
#include "core/sync/mutex.h"
#include "proxy/config.h"
#include "proxy/route_table.h"
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
  // The options now serving (the last successful Reload's).
  ProxyOptions options() const;
  // Pools a reload retired that are not freed yet: their last requests or
  // their loops' frees are still to come. Any thread.
  size_t retired_pools() const { return graveyard_->size(); }

  // Validates `config` and swaps it in (see the class comment).
  // InvalidArgument naming the field when it is refused. An unset `listen`
  // or `threads` means the running one.
  absl::Status Reload(const admin::v1::ProxyConfig& config);
  absl::Status Reload(const ProxyOptions& options);

  // What Reload(config) would change (config.h DescribeChanges), or its
  // InvalidArgument, without applying anything or counting a reload.
  absl::StatusOr<std::vector<std::string>> Validate(const admin::v1::ProxyConfig& config) const;

  // Stops accepting, then waits until no request is in flight (client
  // requests, and backend requests in the background) or `timeout` passed.
  // True when everything finished.
  bool Drain(absl::Duration timeout);

  // Closes everything and stops the threads (see the class comment).
  void Stop();

 private:
  Proxy() = default;
  void OnAccept(net::UniqueFd fd);
  // Reload without the counting.
  absl::Status Swap(const ProxyOptions& options);
  // `config` with unset listen/threads taken from the running options,
  // validated.
  absl::StatusOr<ProxyOptions> Resolve(const admin::v1::ProxyConfig& config) const;
  // Makes `table` current for new requests, on every worker.
  void Install(std::shared_ptr<const RouteTable> table);
  void StopAccepting();
  // Runs task(w) on each worker w's thread in turn, waiting for each.
  void RunOnWorkers(absl::FunctionRef<void(size_t)> task);
  // The front-end options of client connections (max_pending bounded).
  static std::shared_ptr<const frontend::ConnectionOptions> ClientConnectionOptions();

  ProxyContext context_;
  std::shared_ptr<Graveyard> graveyard_ = std::make_shared<Graveyard>();
  std::unique_ptr<net::EventLoopGroup> workers_;
  std::unique_ptr<net::EventLoopThread> acceptor_;
  std::unique_ptr<net::Listener> listener_;
  std::atomic<uint64_t> next_session_{0};
  // One set of front-end options shared by every client connection, not a
  // copy in each: a copy costs ~180 B per idle connection, which made
  // the proxy's idle connections 1.43x memcached's (tests/hostile).
  const std::shared_ptr<const frontend::ConnectionOptions> connection_options_ =
      ClientConnectionOptions();
  // Serialises reloads.
  Mutex reload_mu_;
  bool accepting_stopped_ = false;
  bool stopped_ = false;
};

}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_PROXY_H_
