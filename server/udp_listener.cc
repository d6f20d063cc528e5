#include "server/udp_listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/udp_frame.h"

namespace memkit {
namespace server {
namespace {

absl::Status Errno(int err, absl::string_view what) {
  return absl::Status(err == EADDRINUSE ? absl::StatusCode::kAlreadyExists
                                        : absl::StatusCode::kUnavailable,
                      absl::StrCat(what, ": ", std::strerror(err)));
}

int64_t MillisLeft(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  return left <= absl::ZeroDuration() ? 0 : absl::ToInt64Milliseconds(left) + 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UdpListener>> UdpListener::Bind(const net::Address& address) {
  net::UniqueFd fd(::socket(address.sa_family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno(errno, "socket(SOCK_DGRAM)");
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  // The wildcard binds IPv4 and IPv6 separately, as memcached does.
  if (address.family() == net::Address::Family::kIPv6) {
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  }
  if (::bind(fd.get(), address.sockaddr(), address.sockaddr_len()) != 0) {
    return Errno(errno, absl::StrCat("failed to listen on UDP port ", address.port()));
  }
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof(bound);
  if (::getsockname(fd.get(), reinterpret_cast<struct sockaddr*>(&bound), &bound_len) != 0) {
    return Errno(errno, "getsockname");
  }
  auto real = net::Address::FromSockaddr(reinterpret_cast<struct sockaddr*>(&bound), bound_len);
  if (!real.ok()) return real.status();
  return std::unique_ptr<UdpListener>(new UdpListener(*real, std::move(fd)));
}

UdpListener::UdpListener(net::Address address, net::UniqueFd socket)
    : address_(std::move(address)), socket_(std::move(socket)) {}

UdpListener::~UdpListener() { Stop(); }

absl::Status UdpListener::Start(ServeFn serve) {
  if (thread_.joinable()) return absl::OkStatus();
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Errno(errno, "pipe2");
  stop_read_ = net::UniqueFd(pipe_fds[0]);
  stop_write_ = net::UniqueFd(pipe_fds[1]);
  serve_ = std::move(serve);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void UdpListener::Stop() {
  if (!thread_.joinable()) return;
  stop_write_.reset();  // the reader sees POLLHUP
  thread_.join();
  stop_read_.reset();
}

void UdpListener::Run() {
  std::vector<char> buffer(kUdpMaxRequest);
  std::string replies;
  for (;;) {
    struct pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    struct sockaddr_storage from;
    socklen_t from_len = sizeof(from);
    const ssize_t n = ::recvfrom(socket_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<struct sockaddr*>(&from), &from_len);
    if (n < 0) continue;
    const std::optional<UdpRequest> request =
        ParseUdpRequest(absl::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!request.has_value()) continue;
    auto peer = net::Address::FromSockaddr(reinterpret_cast<struct sockaddr*>(&from), from_len);
    if (!peer.ok()) continue;
    replies.clear();
    if (!Serve(request->payload, *peer, &replies)) continue;
    for (absl::string_view response : SplitUdpResponses(replies, request->payload)) {
      for (const std::string& datagram : FrameUdpResponse(request->request_id, response)) {
        // A full send buffer drops the datagram, as UDP may.
        ::sendto(socket_.get(), datagram.data(), datagram.size(), MSG_DONTWAIT,
                 reinterpret_cast<struct sockaddr*>(&from), from_len);
      }
    }
    // "quit": memcached answers with one bare header.
    if (replies.empty() && request->payload.substr(0, 4) == "quit") {
      const std::string bare = FrameUdpResponse(request->request_id, "").front();
      ::sendto(socket_.get(), bare.data(), bare.size(), MSG_DONTWAIT,
               reinterpret_cast<struct sockaddr*>(&from), from_len);
    }
  }
}

bool UdpListener::Serve(absl::string_view payload, const net::Address& peer, std::string* replies) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0) return false;
  net::UniqueFd mine(pair[0]);
  serve_(net::UniqueFd(pair[1]), peer);
  const absl::Time deadline = absl::Now() + kUdpServeTimeout;
  size_t written = 0;
  bool write_closed = false;
  char chunk[16384];
  for (;;) {
    if (written == payload.size() && !write_closed) {
      ::shutdown(mine.get(), SHUT_WR);  // the front end answers everything, then closes
      write_closed = true;
    }
    struct pollfd fds[2] = {
        {mine.get(), static_cast<short>(POLLIN | (write_closed ? 0 : POLLOUT)), 0},
        {stop_read_.get(), POLLIN, 0}};
    const int64_t wait_ms = MillisLeft(deadline);
    if (wait_ms == 0) return false;
    const int ready = ::poll(fds, 2, static_cast<int>(wait_ms));
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    if (fds[1].revents != 0) return false;
    if (!write_closed && (fds[0].revents & POLLOUT) != 0) {
      const ssize_t n = ::send(mine.get(), payload.data() + written, payload.size() - written,
                               MSG_NOSIGNAL);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        written = payload.size();  // the server closed early; read what it said
      }
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::recv(mine.get(), chunk, sizeof(chunk), 0);
      if (n == 0) return true;
      if (n > 0) {
        replies->append(chunk, static_cast<size_t>(n));
      } else if (errno != EAGAIN && errno != EINTR) {
        return !replies->empty();  // a reset: what was said before it
      }
    }
  }
}

}  // namespace server
}  // namespace memkit
