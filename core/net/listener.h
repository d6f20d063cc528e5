// Listener: a non-blocking listening socket (TCP over IPv4/IPv6, or a unix
// socket) whose accept loop hands every accepted fd to a callback.
//
// The server creates one per address on its acceptor loop and, in the
// callback, hands each fd to a worker loop round-robin:
//
//   auto listener = Listener::Create(*Address::Parse("127.0.0.1:0"));
//   int port = (*listener)->address().port();   // the port the kernel chose
//   (*listener)->Start(acceptor_loop, [&](UniqueFd fd, const Address& peer) {
//     EventLoop* worker = group->Next();
//     worker->Post([fd = std::move(fd)]() mutable { /* Connection::Create */ });
//   });
//
// Accepted fds are non-blocking and close-on-exec; TCP ones inherit
// TCP_NODELAY from the listening socket (Options::nodelay). When the process
// is out of descriptors (EMFILE/ENFILE) the listener accepts and immediately
// closes the pending connection using a reserved descriptor, so a full fd
// table cannot spin the loop; accept_errors() counts these.
//
// Unix sockets: an existing path is removed only if it is a socket nobody is
// listening on (a stale one from a crashed server). A live socket or a
// non-socket file is AlreadyExists. The destructor unlinks the path it bound.
//
// Thread-safety: Create() anywhere; Start/Pause/Resume/Stop and the
// destructor on the loop thread (or the owning thread before Run()).
// address()/fd() are constant after Create and safe from any thread.

#ifndef MEMKIT_CORE_NET_LISTENER_H_
#define MEMKIT_CORE_NET_LISTENER_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/net/address.h"
#include "core/net/event_loop.h"
#include "core/net/socket.h"

namespace memkit {
namespace net {

class Listener final : private EventLoop::Watcher {
 public:
  struct Options {
    // listen(2) backlog (the kernel caps it at net.core.somaxconn).
    int backlog = 1024;
    // SO_REUSEADDR: rebind a port with connections in TIME_WAIT (TCP only).
    bool reuse_address = true;
    // SO_REUSEPORT: several listeners on one port, balanced by the kernel.
    bool reuse_port = false;
    // IPV6_V6ONLY for IPv6 addresses ("[::]:p" does not also take IPv4).
    bool ipv6_only = true;
    // TCP_NODELAY on the listening socket, inherited by accepted sockets.
    bool nodelay = true;
    // Remove a stale unix socket file before binding (see the class comment).
    bool unlink_stale_unix_socket = true;
    // chmod for a unix socket path (memcached's -a); -1 keeps the umask's.
    int unix_socket_mode = -1;
    // Connections accepted per readiness event before yielding to other fds;
    // the rest are taken on the next loop turn (level-triggered).
    int max_accepts_per_wakeup = 64;
  };

  using AcceptCallback = absl::AnyInvocable<void(UniqueFd fd, const Address& peer)>;

  // Binds and listens (not yet accepting: the kernel queues connections up
  // to the backlog until Start()).
  //   AlreadyExists: the address is in use (or a live unix socket is there).
  //   PermissionDenied, InvalidArgument: as bind(2) says.
  static absl::StatusOr<std::unique_ptr<Listener>> Create(const Address& address,
                                                          const Options& options);
  static absl::StatusOr<std::unique_ptr<Listener>> Create(const Address& address) {
    return Create(address, Options());
  }
  ~Listener();

  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The bound address, with the real port when port 0 was asked for.
  const Address& address() const { return address_; }
  int fd() const { return fd_.get(); }

  // Starts accepting on `loop`; `on_accept` runs on the loop thread.
  absl::Status Start(EventLoop* loop, AcceptCallback on_accept);
  // Stops/resumes taking connections from the backlog (they wait there).
  void Pause();
  void Resume();
  // Stops accepting for good and closes the listening socket, so new
  // connects are refused (graceful shutdown). Idempotent.
  void Stop();

  uint64_t accepted() const { return accepted_; }
  uint64_t accept_errors() const { return accept_errors_; }

 private:
  Listener(const Address& address, UniqueFd fd, const Options& options);

  void OnIoReady(uint32_t events) override;

  const Options options_;
  Address address_;
  UniqueFd fd_;
  EventLoop* loop_ = nullptr;
  AcceptCallback on_accept_;
  bool watching_ = false;
  UniqueFd reserve_fd_;  // /dev/null, given up to accept when out of fds
  ino_t unix_inode_ = 0;  // the socket file we created, to unlink only ours
  uint64_t accepted_ = 0;
  uint64_t accept_errors_ = 0;
};

}  // namespace net
}  // namespace memkit

#endif  // MEMKIT_CORE_NET_LISTENER_H_
