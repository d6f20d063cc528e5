#include "core/net/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace net {
namespace {

absl::Status SetFlag(int fd, int level, int name, bool on, const char* what) {
  int v = on ? 1 : 0;
  if (::setsockopt(fd, level, name, &v, sizeof(v)) < 0) return ErrnoStatus(errno, what);
  return absl::OkStatus();
}

// Removes a unix socket file nobody listens on; refuses to touch anything else.
absl::Status RemoveStaleUnixSocket(const Address& address) {
  const std::string path = address.host();
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) {
    return errno == ENOENT ? absl::OkStatus() : ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::AlreadyExistsError(absl::StrCat(path, " exists and is not a socket"));
  }
  auto probe = NewStreamSocket(address, /*nonblocking=*/true);
  if (!probe.ok()) return probe.status();
  if (::connect(probe->get(), address.sockaddr(), address.sockaddr_len()) == 0 ||
      errno == EAGAIN || errno == EINPROGRESS) {
    return absl::AlreadyExistsError(absl::StrCat("a server is listening on ", path));
  }
  if (errno != ECONNREFUSED) return ErrnoStatus(errno, absl::StrCat("probe ", path));
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("unlink stale socket ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Create(const Address& address,
                                                           const Options& options) {
  auto fd = NewStreamSocket(address, /*nonblocking=*/true);
  if (!fd.ok()) return fd.status();
  absl::Status s;
  if (address.is_ip()) {
    if (options.reuse_address) {
      s = SetFlag(fd->get(), SOL_SOCKET, SO_REUSEADDR, true, "setsockopt(SO_REUSEADDR)");
      if (!s.ok()) return s;
    }
    if (options.reuse_port) {
      s = SetFlag(fd->get(), SOL_SOCKET, SO_REUSEPORT, true, "setsockopt(SO_REUSEPORT)");
      if (!s.ok()) return s;
    }
    if (address.family() == Address::Family::kIPv6) {
      s = SetFlag(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6_only,
                  "setsockopt(IPV6_V6ONLY)");
      if (!s.ok()) return s;
    }
    if (options.nodelay) {
      s = SetNoDelay(fd->get(), true);
      if (!s.ok()) return s;
    }
  } else if (options.unlink_stale_unix_socket) {
    s = RemoveStaleUnixSocket(address);
    if (!s.ok()) return s;
  }
  if (::bind(fd->get(), address.sockaddr(), address.sockaddr_len()) < 0) {
    return ErrnoStatus(errno, absl::StrCat("bind ", address.ToString()));
  }
  ino_t inode = 0;
  if (address.is_unix()) {
    const std::string path = address.host();
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) inode = st.st_ino;
    if (options.unix_socket_mode >= 0 &&
        ::chmod(path.c_str(), static_cast<mode_t>(options.unix_socket_mode)) < 0) {
      absl::Status err = ErrnoStatus(errno, absl::StrCat("chmod ", path));
      ::unlink(path.c_str());
      return err;
    }
  }
  if (::listen(fd->get(), options.backlog) < 0) {
    absl::Status err = ErrnoStatus(errno, absl::StrCat("listen ", address.ToString()));
    if (address.is_unix()) ::unlink(address.host().c_str());
    return err;
  }
  Address bound = address;
  if (address.is_ip()) {
    auto local = LocalAddress(fd->get());
    if (!local.ok()) return local.status();
    bound = *local;
  }
  std::unique_ptr<Listener> listener(new Listener(bound, std::move(*fd), options));
  listener->unix_inode_ = inode;
  return listener;
}

Listener::Listener(const Address& address, UniqueFd fd, const Options& options)
    : options_(options), address_(address), fd_(std::move(fd)) {}

Listener::~Listener() { Stop(); }

absl::Status Listener::Start(EventLoop* loop, AcceptCallback on_accept) {
  if (!fd_.valid()) return absl::FailedPreconditionError("listener is stopped");
  if (watching_) return absl::FailedPreconditionError("listener already started");
  loop_ = loop;
  on_accept_ = std::move(on_accept);
  reserve_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  absl::Status s = loop_->Watch(fd_.get(), EventLoop::kReadable, this);
  if (!s.ok()) return s;
  watching_ = true;
  return absl::OkStatus();
}

void Listener::Pause() {
  if (watching_) (void)loop_->UpdateInterest(this, 0);
}

void Listener::Resume() {
  if (watching_) (void)loop_->UpdateInterest(this, EventLoop::kReadable);
}

void Listener::Stop() {
  if (watching_) {
    loop_->Unwatch(this);
    watching_ = false;
  }
  if (!fd_.valid()) return;
  fd_.reset();
  reserve_fd_.reset();
  if (address_.is_unix() && unix_inode_ != 0) {
    // Unlink only the file we created: a newer server may own the path now.
    const std::string path = address_.host();
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && st.st_ino == unix_inode_) ::unlink(path.c_str());
  }
}

void Listener::OnIoReady(uint32_t events) {
  (void)events;
  for (int i = 0; i < options_.max_accepts_per_wakeup && watching_; ++i) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int cfd = ::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      ++accept_errors_;
      if ((err == EMFILE || err == ENFILE) && reserve_fd_.valid()) {
        // Free one descriptor, take the connection off the queue and close
        // it, so the level-triggered loop does not spin on it.
        reserve_fd_.reset();
        int drop = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (drop >= 0) ::close(drop);
        reserve_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        continue;
      }
      if (err == ECONNABORTED || err == EPROTO || err == EPERM) continue;  // peer gave up
      return;
    }
    ++accepted_;
    auto peer = Address::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    on_accept_(UniqueFd(cfd), peer.ok() ? *peer : Address());
  }
}

}  // namespace net
}  // namespace memkit
