// AsyncConnect: an outbound non-blocking connect with a timeout, driven by an
// EventLoop. For the proxy's backend connections (and any client that runs
// on a loop). Simple blocking clients use ConnectWithTimeout (socket.h).
//
//   auto pending = AsyncConnect::Start(loop, backend, absl::Milliseconds(500),
//       [this](absl::StatusOr<UniqueFd> fd) {
//         if (!fd.ok()) { MarkDown(fd.status()); return; }
//         conn_ = *Connection::Create(loop, std::move(*fd), this);
//       });
//
// `done` runs exactly once on the loop thread, always on a later loop turn
// than Start() (never inline), with the connected non-blocking fd or:
//   Unavailable       refused / unreachable / reset (McCode kConnectionError)
//   DeadlineExceeded  no answer within `timeout` (McCode kTimeout)
// unless the AsyncConnect is destroyed first, which cancels the attempt
// (closing the socket) and `done` never runs. `done` may destroy the
// AsyncConnect.
//
// Thread-safety: loop thread only (Start() also from the loop's owning
// thread before Run()).

#ifndef MEMKIT_CORE_NET_CONNECTOR_H_
#define MEMKIT_CORE_NET_CONNECTOR_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/net/address.h"
#include "core/net/event_loop.h"
#include "core/net/socket.h"

namespace memkit {
namespace net {

class AsyncConnect final : private EventLoop::Watcher {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<UniqueFd>)>;

  // `options.nonblocking` is ignored (the fd is always non-blocking).
  static std::unique_ptr<AsyncConnect> Start(EventLoop* loop, const Address& address,
                                             absl::Duration timeout, Callback done,
                                             const ConnectOptions& options = {});
  ~AsyncConnect();

  AsyncConnect(const AsyncConnect&) = delete;
  AsyncConnect& operator=(const AsyncConnect&) = delete;

  // True until `done` has been called.
  bool pending() const { return static_cast<bool>(done_); }
  const Address& address() const { return address_; }

 private:
  AsyncConnect(EventLoop* loop, const Address& address, Callback done, ConnectOptions options);

  void OnIoReady(uint32_t events) override;
  // Stops watching and timing, then calls done_ (last thing it does).
  void Finish(absl::StatusOr<UniqueFd> result);

  EventLoop* const loop_;
  const Address address_;
  const ConnectOptions options_;
  Callback done_;
  UniqueFd fd_;
  bool watching_ = false;
  EventLoop::TimerId timer_ = 0;  // the timeout, or the deferred result
  absl::StatusOr<UniqueFd> early_result_;  // decided inside Start()
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_CONNECTOR_H_
