// Test helpers for code built on core/net: drive a loop until a condition
// holds (with a deadline, never a sleep), and a loopback "blackhole" address
// whose connects hang until they time out.
//
// Thread-safety: RunLoopUntil on the loop's owning thread; Blackhole is
// thread-compatible.

#ifndef MEMKIT_CORE_NET_TEST_UTIL_H_
#define MEMKIT_CORE_NET_TEST_UTIL_H_

#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/net/address.h"
#include "core/net/event_loop.h"
#include "core/net/listener.h"
#include "core/net/socket.h"

namespace memkit {
namespace net {
namespace testing {

// Runs `loop` (RunOnce) until `done()` is true or `timeout` passes.
// Returns done()'s last value.
bool RunLoopUntil(EventLoop* loop, absl::FunctionRef<bool()> done,
                  absl::Duration timeout = absl::Seconds(10));

// A 127.0.0.1 listener with backlog 0 that never accepts, its queue filled
// with connections, so the kernel drops further SYNs: a connect to address()
// neither succeeds nor is refused until the client gives up. Stays on
// loopback (no external address is ever touched).
class Blackhole {
 public:
  static absl::StatusOr<std::unique_ptr<Blackhole>> Create();
  const Address& address() const { return listener_->address(); }

 private:
  std::unique_ptr<Listener> listener_;
  std::vector<UniqueFd> fillers_;
};

// A 127.0.0.1 address nothing listens on and nothing can take while it
// lives: a bound, non-listening socket. Connects to it are refused.
class RefusingAddress {
 public:
  static absl::StatusOr<std::unique_ptr<RefusingAddress>> Create();
  const Address& address() const { return address_; }

 private:
  UniqueFd fd_;
  Address address_;
};

// Whether this machine has a usable ::1 (bind works).
bool HaveIPv6Loopback();

}  // namespace testing
}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_TEST_UTIL_H_
