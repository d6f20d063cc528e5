#include "proxy/proxy_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace memkit {
namespace proxy {
namespace testing {

std::string ProxyBinary() {
  const char* path = std::getenv("MEMKIT_PROXY_BINARY");
  return path != nullptr ? path : "proxy/memkit-proxy";
}

absl::StatusOr<std::vector<std::unique_ptr<test_support::ServerProcess>>> StartMemcached(int n) {
  std::vector<std::unique_ptr<test_support::ServerProcess>> out;
  for (int i = 0; i < n; ++i) {
    test_support::ServerCommand command =
        test_support::CommandFor(test_support::kMemcachedPath, {"-t", "1", "-m", "64"});
    command.label = absl::StrCat("memcached", i);
    test_support::StartOptions so;
    so.stop_grace = absl::ZeroDuration();
    auto server = test_support::ServerProcess::Start(command, so);
    if (!server.ok()) return server.status();
    out.push_back(std::move(*server));
  }
  return out;
}

std::string ServerList(const std::vector<std::unique_ptr<test_support::ServerProcess>>& servers) {
  std::vector<std::string> parts;
  for (const auto& s : servers) parts.push_back(s->address());
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<std::unique_ptr<test_support::ServerProcess>> StartProxy(
    std::vector<std::string> args) {
  test_support::ServerCommand command = test_support::CommandFor(ProxyBinary(), std::move(args));
  command.label = "memkit-proxy";
  return test_support::ServerProcess::Start(command);
}

absl::StatusOr<std::unique_ptr<Conn>> Conn::Open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in sa = {};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect to port ", port, " failed"));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return std::unique_ptr<Conn>(new Conn(fd));
}

Conn::~Conn() { close(fd_); }

bool Conn::Send(absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool Conn::Fill(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return false;
  pollfd p = {fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) return false;
  char buf[65536];
  const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

std::string Conn::ReadUntil(absl::string_view suffix, absl::Duration deadline) {
  const absl::Time end = absl::Now() + deadline;
  while (!absl::EndsWith(buffer_, suffix)) {
    if (!Fill(end)) break;
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

std::string Conn::ReadExactly(size_t n, absl::Duration deadline) {
  const absl::Time end = absl::Now() + deadline;
  while (buffer_.size() < n) {
    if (!Fill(end)) break;
  }
  const size_t take = std::min(n, buffer_.size());
  std::string out = buffer_.substr(0, take);
  buffer_.erase(0, take);
  return out;
}

std::string Conn::Call(absl::string_view request, absl::string_view suffix,
                       absl::Duration deadline) {
  if (!Send(request)) return "<send failed>";
  return ReadUntil(suffix, deadline);
}

std::string Conn::ReadPacket(absl::Duration deadline) {
  std::string head = ReadExactly(24, deadline);
  if (head.size() < 24) return head;
  const uint32_t body = (static_cast<uint32_t>(static_cast<uint8_t>(head[8])) << 24) |
                        (static_cast<uint32_t>(static_cast<uint8_t>(head[9])) << 16) |
                        (static_cast<uint32_t>(static_cast<uint8_t>(head[10])) << 8) |
                        static_cast<uint32_t>(static_cast<uint8_t>(head[11]));
  return head + ReadExactly(body, deadline);
}

}  // namespace testing
}  // namespace proxy
}  // namespace memkit
