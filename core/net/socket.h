// Small socket helpers: an owning fd, socket options, and a blocking
// "connect with timeout" for simple clients and tests.
//
// These are the pieces the server, the proxy and the client share. Nothing
// here needs an EventLoop; the client's own poll() loop can use them as is.
// Sockets created here are always close-on-exec.
//
// Errors follow core/status: connect/read/write failures are Unavailable
// (McCode kConnectionError), timeouts DeadlineExceeded (kTimeout), running
// out of descriptors or buffers ResourceExhausted, misuse InvalidArgument.
//
// Thread-safety: the functions are thread-safe (they act on the fd they are
// given). UniqueFd is a value type, like std::unique_ptr.

#ifndef MEMKIT_CORE_NET_SOCKET_H_
#define MEMKIT_CORE_NET_SOCKET_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/net/address.h"

namespace memkit {
namespace net {

// Owns a file descriptor and closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }
  // Closes the current fd (if any) and takes `fd`.
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A status for a failed system call: `what` plus strerror(err), with the code
// chosen from errno (ECONNREFUSED/ECONNRESET/EPIPE/... -> Unavailable,
// ETIMEDOUT -> DeadlineExceeded, EMFILE/ENOBUFS/ENOMEM -> ResourceExhausted).
absl::Status ErrnoStatus(int err, absl::string_view what);

// A new stream socket of `address`'s family, close-on-exec, optionally
// non-blocking.
absl::StatusOr<UniqueFd> NewStreamSocket(const Address& address, bool nonblocking);

// Socket options. Each returns the setsockopt/fcntl error as a Status.
absl::Status SetNonBlocking(int fd, bool on = true);
absl::Status SetCloseOnExec(int fd, bool on = true);
// TCP_NODELAY. Fails with InvalidArgument-like errno on unix sockets; callers
// that do not know the family can ignore the error or use SetNoDelayIfTcp().
absl::Status SetNoDelay(int fd, bool on = true);
// TCP_NODELAY on TCP sockets; a no-op returning OK on unix sockets.
absl::Status SetNoDelayIfTcp(int fd);

struct KeepAliveOptions {
  bool enable = true;
  // Idle time before the first probe, interval between probes and the probe
  // count before the connection is declared dead. Zero keeps the system default.
  absl::Duration idle = absl::ZeroDuration();
  absl::Duration interval = absl::ZeroDuration();
  int count = 0;
};
absl::Status SetKeepAlive(int fd, const KeepAliveOptions& options = {});

// SO_SNDBUF / SO_RCVBUF. The kernel doubles the value it is given and clamps
// it to [min, wmem_max]; read the effective value back with the getters.
absl::Status SetSendBufferSize(int fd, int bytes);
absl::Status SetReceiveBufferSize(int fd, int bytes);
absl::StatusOr<int> GetSendBufferSize(int fd);
absl::StatusOr<int> GetReceiveBufferSize(int fd);

// getsockname / getpeername.
absl::StatusOr<Address> LocalAddress(int fd);
absl::StatusOr<Address> PeerAddress(int fd);

// The pending socket error (SO_ERROR) as a Status; OK when there is none.
absl::Status SocketError(int fd, absl::string_view what);

// Closes `fd` so that the peer sees a reset (RST) rather than an orderly
// close: SO_LINGER {on, 0 s} then close. Used to inject "connection reset"
// faults and to refuse connections abruptly.
void ResetAndClose(UniqueFd fd);

struct ConnectOptions {
  // Leave the returned socket non-blocking (for event loops). Default: blocking,
  // as a simple client expects.
  bool nonblocking = false;
  // TCP_NODELAY on TCP connections: memcached traffic is small request/reply.
  bool nodelay = true;
};

// Connects to `address`, waiting at most `timeout` (infinite: absl::InfiniteDuration()).
//   Unavailable: refused, unreachable, reset.  DeadlineExceeded: timed out.
// Blocks the calling thread: never call it on an event-loop thread (use
// AsyncConnect from core/net/connector.h there).
absl::StatusOr<UniqueFd> ConnectWithTimeout(const Address& address, absl::Duration timeout,
                                            const ConnectOptions& options = {});

// Resolves `host_port` (see Resolve()) and tries each address in turn until
// one connects or `timeout` (shared by all attempts) runs out. Reports the
// last failure.
absl::StatusOr<UniqueFd> ConnectWithTimeout(absl::string_view host_port, absl::Duration timeout,
                                            const ConnectOptions& options = {});

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_SOCKET_H_
