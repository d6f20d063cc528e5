#include "tests/conformance/connection.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace memkit {
namespace conformance {
namespace {

// Milliseconds from now until `deadline`, clamped to [0, INT_MAX/2] for poll().
int PollTimeoutMs(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

}  // namespace

absl::string_view ReadEndName(ReadEnd end) {
  switch (end) {
    case ReadEnd::kCondition:
      return "complete";
    case ReadEnd::kEof:
      return "EOF";
    case ReadEnd::kDeadline:
      return "deadline";
    case ReadEnd::kQuiet:
      return "quiet";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(int port, absl::Time deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  absl::Duration backoff = absl::Milliseconds(1);
  while (true) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return std::unique_ptr<Connection>(new Connection(fd));
    }
    int err = errno;
    close(fd);
    if (err != ECONNREFUSED && err != EINTR) {
      return absl::UnavailableError(absl::StrCat("connect 127.0.0.1:", port, ": ", strerror(err)));
    }
    if (absl::Now() + backoff > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("connect 127.0.0.1:", port, ": still refused at the deadline"));
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Milliseconds(20));
  }
}

Connection::~Connection() { close(fd_); }

absl::Status Connection::WriteAll(absl::string_view bytes, absl::Time deadline) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      int timeout = PollTimeoutMs(deadline);
      if (timeout == 0) return absl::DeadlineExceededError("write: deadline passed");
      poll(&p, 1, timeout);
      continue;
    }
    // EPIPE / ECONNRESET: the server closed on us; the replies tell the story.
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

void Connection::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

ReadEnd Connection::ReadSome(absl::Time until, std::string* out) {
  if (eof_) return ReadEnd::kEof;
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    int ready = poll(&p, 1, PollTimeoutMs(until));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return ReadEnd::kDeadline;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      return ReadEnd::kCondition;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    eof_ = true;  // 0 = orderly close; an error (reset) ends the stream too.
    return ReadEnd::kEof;
  }
}

ReadEnd Connection::ReadUntil(const std::function<bool(absl::string_view)>& done,
                              absl::Time deadline, std::string* out) {
  while (!done(*out)) {
    ReadEnd end = ReadSome(deadline, out);
    if (end != ReadEnd::kCondition) return end;
  }
  return ReadEnd::kCondition;
}

ReadEnd Connection::ReadUntilQuiet(absl::Duration quiet, absl::Time deadline, std::string* out) {
  while (true) {
    absl::Time quiet_until = absl::Now() + quiet;
    bool deadline_first = deadline < quiet_until;
    ReadEnd end = ReadSome(deadline_first ? deadline : quiet_until, out);
    if (end == ReadEnd::kEof) return end;
    if (end == ReadEnd::kDeadline) return deadline_first ? ReadEnd::kDeadline : ReadEnd::kQuiet;
  }
}

}  // namespace conformance
}  // namespace memkit
