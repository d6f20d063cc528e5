#include "core/admin/metrics_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/admin/admin_server.h"
#include "core/admin/prometheus_text.h"

namespace memkit {
namespace admin {
namespace {

constexpr absl::Duration kRequestTimeout = absl::Seconds(2);
constexpr size_t kMaxRequestBytes = 16 * 1024;

void WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the scraper left; nothing to do
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string Response(absl::string_view status, absl::string_view content_type,
                     absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Create(
    const MetricsHttpServerOptions& options) {
  if (!options.render)
    return absl::InvalidArgumentError("MetricsHttpServer needs a render function");
  std::string host;
  int port = 0;
  if (absl::Status s = SplitHostPort(options.listen, &host, &port); !s.ok()) return s;
  if (host == "localhost" || host.empty()) host = host.empty() ? "0.0.0.0" : "127.0.0.1";

  sockaddr_storage storage = {};
  socklen_t length = 0;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("bad metrics address ", options.listen));
    }
    length = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad metrics address ", options.listen, " (want a numeric host)"));
    }
    length = sizeof(*a);
  }

  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer());
  server->render_ = options.render;
  server->listen_fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server->listen_fd_ < 0)
    return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  const int one = 1;
  setsockopt(server->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(server->listen_fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      listen(server->listen_fd_, 64) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve /metrics on ", options.listen, ": ", strerror(errno)));
  }
  sockaddr_storage bound = {};
  socklen_t bound_length = sizeof(bound);
  getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  server->port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::string dial = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  server->address_ =
      v6 ? absl::StrCat("[", dial, "]:", server->port_) : absl::StrCat(dial, ":", server->port_);
  if (pipe2(server->wake_pipe_, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe: ", strerror(errno)));
  }
  MetricsHttpServer* raw = server.get();
  server->thread_ = std::thread([raw] { raw->Serve(); });
  return server;
}

MetricsHttpServer::~MetricsHttpServer() {
  Shutdown();
  for (int fd : {listen_fd_, wake_pipe_[0], wake_pipe_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void MetricsHttpServer::Shutdown() {
  if (!thread_.joinable()) return;
  const char byte = 1;
  ssize_t ignored = write(wake_pipe_[1], &byte, 1);
  (void)ignored;
  thread_.join();
  // Closed here, not in the destructor, so that connects fail at once.
  close(listen_fd_);
  listen_fd_ = -1;
}

void MetricsHttpServer::Serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    HandleConnection(fd);
    close(fd);
  }
}

void MetricsHttpServer::HandleConnection(int fd) {
  std::string request;
  const absl::Time deadline = absl::Now() + kRequestTimeout;
  while (request.find("\r\n\r\n") == std::string::npos &&
         request.find("\n\n") == std::string::npos) {
    if (request.size() > kMaxRequestBytes) {
      WriteAll(fd, Response("431 Request Header Fields Too Large", "text/plain", "too large\n"));
      return;
    }
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return;
    pollfd p = {fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    request.append(buf, static_cast<size_t>(n));
  }
  const absl::string_view first_line = absl::string_view(request).substr(0, request.find('\n'));
  std::vector<absl::string_view> parts = absl::StrSplit(first_line, ' ', absl::SkipEmpty());
  if (parts.size() < 2) {
    WriteAll(fd, Response("400 Bad Request", "text/plain", "bad request\n"));
    return;
  }
  if (parts[0] != "GET" && parts[0] != "HEAD") {
    WriteAll(fd, Response("405 Method Not Allowed", "text/plain", "only GET\n"));
    return;
  }
  absl::string_view path = parts[1];
  path = path.substr(0, path.find('?'));
  std::string reply;
  if (path == "/metrics") {
    reply = Response("200 OK", kPrometheusContentType, render_());
  } else if (path == "/") {
    reply = Response("200 OK", "text/html",
                     "<html><body><a href=\"/metrics\">/metrics</a></body></html>\n");
  } else {
    reply = Response("404 Not Found", "text/plain", "not found; try /metrics\n");
  }
  if (parts[0] == "HEAD") reply.resize(reply.find("\r\n\r\n") + 4);
  WriteAll(fd, reply);
}

}  // namespace admin
}  // namespace memkit
