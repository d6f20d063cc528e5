#include "core/net/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/net/internal/mono_time.h"
#include "core/status/status.h"

namespace memkit {
namespace net {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) {
    // close() may report EINTR, but the descriptor is released regardless on
    // Linux; retrying could close someone else's fd.
    ::close(fd_);
  }
  fd_ = fd;
}

absl::Status ErrnoStatus(int err, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ETIMEDOUT:
      return TimeoutError(msg);
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ENETUNREACH:
    case ENETDOWN:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENOTCONN:
    case EADDRNOTAVAIL:
    case ENOENT:
    case EAGAIN:
    case ESHUTDOWN:
      return ConnectionError(msg);
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return absl::ResourceExhaustedError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case EADDRINUSE:
      return absl::AlreadyExistsError(msg);
    case EINVAL:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
    case ENOTSOCK:
    case EOPNOTSUPP:
    case ENAMETOOLONG:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<UniqueFd> NewStreamSocket(const Address& address, bool nonblocking) {
  if (!address.valid()) return absl::InvalidArgumentError("socket for an unspecified address");
  int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  int fd = ::socket(address.sa_family(), type, 0);
  if (fd < 0) return ErrnoStatus(errno, "socket");
  return UniqueFd(fd);
}

namespace {

absl::Status SetFdFlag(int fd, int get_cmd, int set_cmd, int flag, bool on, const char* what) {
  int flags = ::fcntl(fd, get_cmd);
  if (flags < 0) return ErrnoStatus(errno, what);
  int wanted = on ? (flags | flag) : (flags & ~flag);
  if (wanted != flags && ::fcntl(fd, set_cmd, wanted) < 0) return ErrnoStatus(errno, what);
  return absl::OkStatus();
}

absl::Status SetIntOption(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) < 0) return ErrnoStatus(errno, what);
  return absl::OkStatus();
}

absl::StatusOr<int> GetIntOption(int fd, int level, int name, const char* what) {
  int value = 0;
  socklen_t len = sizeof(value);
  if (::getsockopt(fd, level, name, &value, &len) < 0) return ErrnoStatus(errno, what);
  return value;
}

int SecondsAtLeastOne(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)));
  if (s < 1) return 1;
  if (s > 32767) return 32767;  // the kernel's TCP_KEEPIDLE/INTVL limit
  return static_cast<int>(s);
}

}  // namespace

absl::Status SetNonBlocking(int fd, bool on) {
  return SetFdFlag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on, "fcntl(O_NONBLOCK)");
}

absl::Status SetCloseOnExec(int fd, bool on) {
  return SetFdFlag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on, "fcntl(FD_CLOEXEC)");
}

absl::Status SetNoDelay(int fd, bool on) {
  return SetIntOption(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, "setsockopt(TCP_NODELAY)");
}

absl::Status SetNoDelayIfTcp(int fd) {
  auto domain = GetIntOption(fd, SOL_SOCKET, SO_DOMAIN, "getsockopt(SO_DOMAIN)");
  if (!domain.ok()) return domain.status();
  if (*domain != AF_INET && *domain != AF_INET6) return absl::OkStatus();
  return SetNoDelay(fd, true);
}

absl::Status SetKeepAlive(int fd, const KeepAliveOptions& options) {
  absl::Status s =
      SetIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, options.enable ? 1 : 0, "setsockopt(SO_KEEPALIVE)");
  if (!s.ok() || !options.enable) return s;
  if (options.idle > absl::ZeroDuration()) {
    s = SetIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, SecondsAtLeastOne(options.idle),
                     "setsockopt(TCP_KEEPIDLE)");
    if (!s.ok()) return s;
  }
  if (options.interval > absl::ZeroDuration()) {
    s = SetIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, SecondsAtLeastOne(options.interval),
                     "setsockopt(TCP_KEEPINTVL)");
    if (!s.ok()) return s;
  }
  if (options.count > 0) {
    s = SetIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, options.count, "setsockopt(TCP_KEEPCNT)");
  }
  return s;
}

absl::Status SetSendBufferSize(int fd, int bytes) {
  return SetIntOption(fd, SOL_SOCKET, SO_SNDBUF, bytes, "setsockopt(SO_SNDBUF)");
}

absl::Status SetReceiveBufferSize(int fd, int bytes) {
  return SetIntOption(fd, SOL_SOCKET, SO_RCVBUF, bytes, "setsockopt(SO_RCVBUF)");
}

absl::StatusOr<int> GetSendBufferSize(int fd) {
  return GetIntOption(fd, SOL_SOCKET, SO_SNDBUF, "getsockopt(SO_SNDBUF)");
}

absl::StatusOr<int> GetReceiveBufferSize(int fd) {
  return GetIntOption(fd, SOL_SOCKET, SO_RCVBUF, "getsockopt(SO_RCVBUF)");
}

absl::StatusOr<Address> LocalAddress(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return ErrnoStatus(errno, "getsockname");
  }
  return Address::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

absl::StatusOr<Address> PeerAddress(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) {
    return ErrnoStatus(errno, "getpeername");
  }
  return Address::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

absl::Status SocketError(int fd, absl::string_view what) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err == 0) return absl::OkStatus();
  return ErrnoStatus(err, what);
}

void ResetAndClose(UniqueFd fd) {
  if (!fd.valid()) return;
  struct linger lg;
  lg.l_onoff = 1;
  lg.l_linger = 0;
  // Best effort: on a unix socket SO_LINGER is accepted and close() just closes.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  fd.reset();
}

namespace {

// Waits for a non-blocking connect on `fd` to finish by `deadline` (monotonic ns).
absl::Status WaitConnected(int fd, const Address& address, int64_t deadline) {
  for (;;) {
    int64_t now = internal::MonotonicNanos();
    int timeout_ms = internal::PollTimeoutMillis(now, deadline);
    struct pollfd pfd;
    pfd.fd = fd;
    pfd.events = POLLOUT;
    pfd.revents = 0;
    int rc = ::poll(&pfd, 1, timeout_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "poll");
    }
    if (rc == 0) {
      if (internal::MonotonicNanos() < deadline) continue;  // woke a hair early
      return TimeoutError(absl::StrCat("connect to ", address.ToString(), ": timed out"));
    }
    return SocketError(fd, absl::StrCat("connect to ", address.ToString()));
  }
}

}  // namespace

absl::StatusOr<UniqueFd> ConnectWithTimeout(const Address& address, absl::Duration timeout,
                                            const ConnectOptions& options) {
  int64_t deadline = internal::DeadlineAfter(internal::MonotonicNanos(),
                                             internal::ToNanosSaturated(timeout));
  auto fd = NewStreamSocket(address, /*nonblocking=*/true);
  if (!fd.ok()) return fd.status();
  int rc;
  do {
    rc = ::connect(fd->get(), address.sockaddr(), address.sockaddr_len());
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == EINPROGRESS) {
    absl::Status s = WaitConnected(fd->get(), address, deadline);
    if (!s.ok()) return s;
  } else if (rc < 0) {
    // EAGAIN on a unix socket means the listener's backlog is full.
    return ErrnoStatus(errno, absl::StrCat("connect to ", address.ToString()));
  }
  if (options.nodelay && address.is_ip()) {
    absl::Status s = SetNoDelay(fd->get(), true);
    if (!s.ok()) return s;
  }
  if (!options.nonblocking) {
    absl::Status s = SetNonBlocking(fd->get(), false);
    if (!s.ok()) return s;
  }
  return std::move(*fd);
}

absl::StatusOr<UniqueFd> ConnectWithTimeout(absl::string_view host_port, absl::Duration timeout,
                                            const ConnectOptions& options) {
  int64_t deadline = internal::DeadlineAfter(internal::MonotonicNanos(),
                                             internal::ToNanosSaturated(timeout));
  auto addresses = Resolve(host_port);
  if (!addresses.ok()) return addresses.status();
  absl::Status last;
  for (const Address& a : *addresses) {
    int64_t now = internal::MonotonicNanos();
    if (now >= deadline && !last.ok()) break;
    absl::Duration left = deadline == std::numeric_limits<int64_t>::max()
                              ? absl::InfiniteDuration()
                              : absl::Nanoseconds(deadline - now);
    auto fd = ConnectWithTimeout(a, left, options);
    if (fd.ok()) return fd;
    last = fd.status();
  }
  return last;
}

}  // namespace net
}  // namespace memkit
