#include "tools/cli/line_connection.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/net/address.h"

namespace memkit {
namespace cli {

absl::StatusOr<std::unique_ptr<LineConnection>> LineConnection::Connect(absl::string_view server,
                                                                       absl::Duration timeout) {
  absl::StatusOr<net::UniqueFd> fd;
  if (absl::StartsWith(server, "/")) {
    absl::StatusOr<net::Address> address = net::Address::Unix(server);
    if (!address.ok()) return address.status();
    fd = net::ConnectWithTimeout(*address, timeout);
  } else {
    fd = net::ConnectWithTimeout(server, timeout);
  }
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<LineConnection>(new LineConnection(*std::move(fd), timeout));
}

absl::Status LineConnection::Send(absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return net::ErrnoStatus(errno, "send");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LineConnection::ReadLine() {
  const absl::Time deadline =
      timeout_ == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout_;
  for (;;) {
    const size_t newline = buffer_.find('\n', consumed_);
    if (newline != std::string::npos) {
      size_t end = newline;
      if (end > consumed_ && buffer_[end - 1] == '\r') --end;
      std::string line = buffer_.substr(consumed_, end - consumed_);
      consumed_ = newline + 1;
      if (consumed_ == buffer_.size()) {
        buffer_.clear();
        consumed_ = 0;
      }
      return line;
    }
    int wait_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("no reply in time");
      wait_ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    }
    struct pollfd pfd = {fd_.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return net::ErrnoStatus(errno, "poll");
    }
    if (ready == 0) continue;  // the deadline check above reports it
    char chunk[16384];
    const ssize_t n = ::read(fd_.get(), chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return net::ErrnoStatus(errno, "read");
    }
    if (n == 0) return absl::UnavailableError("the server closed the connection");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

namespace {

// memcached's metadump writes keys URL-encoded (%XX); undo it.
std::string UrlDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    int byte = 0;
    if (text[i] == '%' && i + 2 < text.size() && absl::SimpleHexAtoi(text.substr(i + 1, 2), &byte)) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<MetadumpEntry>> ReadMetadump(absl::string_view server,
                                                        absl::Duration timeout) {
  auto conn = LineConnection::Connect(server, timeout);
  if (!conn.ok()) return conn.status();
  absl::Status sent = (*conn)->Send("lru_crawler metadump all\r\n");
  if (!sent.ok()) return sent;
  std::vector<MetadumpEntry> entries;
  for (;;) {
    absl::StatusOr<std::string> line = (*conn)->ReadLine();
    if (!line.ok()) return line.status();
    if (*line == "END") return entries;
    if (!absl::StartsWith(*line, "key=")) {
      return absl::InternalError(absl::StrCat("the server answered '", *line, "'"));
    }
    const size_t space = line->find(' ');
    MetadumpEntry entry;
    entry.key = UrlDecode(absl::string_view(*line).substr(4, space == std::string::npos
                                                                 ? std::string::npos
                                                                 : space - 4));
    if (space != std::string::npos) entry.metadata = line->substr(space + 1);
    entries.push_back(std::move(entry));
  }
}

}  // namespace cli
}  // namespace memkit
