#include "server/server_test_util.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace memkit {
namespace server {
namespace testing {

absl::StatusOr<std::unique_ptr<TestConnection>> TestConnection::Connect(
    const net::Address& address, absl::Duration timeout) {
  auto fd = net::ConnectWithTimeout(address, timeout);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<TestConnection>(new TestConnection(std::move(*fd)));
}

absl::Status TestConnection::Send(absl::string_view bytes) {
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

int TestConnection::ReadSome(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return -1;
  struct pollfd p = {fd_.get(), POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
  if (ready == 0) return -1;
  if (ready < 0) return errno == EINTR ? 1 : -2;
  char buf[64 * 1024];
  ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : -2;
  if (n == 0) return 0;
  buffered_.append(buf, static_cast<size_t>(n));
  return static_cast<int>(n);
}

absl::StatusOr<std::string> TestConnection::ReadUntil(absl::string_view suffix,
                                                      absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!absl::EndsWith(buffered_, suffix)) {
    int r = ReadSome(deadline);
    if (r == -1) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out waiting for \"", absl::CEscape(suffix), "\"; got \"",
                       absl::CEscape(buffered_), "\""));
    }
    if (r == 0 || r == -2) {
      return absl::UnavailableError(
          absl::StrCat("connection closed; got \"", absl::CEscape(buffered_), "\""));
    }
  }
  return std::exchange(buffered_, std::string());
}

absl::StatusOr<std::string> TestConnection::ReadExactly(size_t n, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (buffered_.size() < n) {
    int r = ReadSome(deadline);
    if (r == -1) return absl::DeadlineExceededError("timed out");
    if (r == 0 || r == -2) return absl::UnavailableError("connection closed");
  }
  std::string out = buffered_.substr(0, n);
  buffered_.erase(0, n);
  return out;
}

std::string TestConnection::ReadFor(absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  while (true) {
    int r = ReadSome(deadline);
    if (r <= 0) break;
  }
  return std::exchange(buffered_, std::string());
}

std::string TestConnection::Call(absl::string_view request, absl::string_view suffix) {
  absl::Status sent = Send(request);
  if (!sent.ok()) return absl::StrCat("<send failed: ", sent.ToString(), ">");
  auto reply = ReadUntil(suffix);
  if (!reply.ok()) return absl::StrCat("<", reply.status().ToString(), ">");
  return *reply;
}

bool TestConnection::WaitForClose(absl::Duration timeout, bool* was_reset) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int r = ReadSome(deadline);
    if (r == -1) return false;
    if (r == 0 || r == -2) {
      if (was_reset != nullptr) *was_reset = r == -2;
      return true;
    }
  }
}

ServerOptions TestServerOptions() {
  ServerOptions options;
  options.listen = {"127.0.0.1"};
  options.port = 0;
  options.num_threads = 2;
  return options;
}

std::unique_ptr<Server> StartServer(const ServerOptions& options) {
  auto server = Server::Create(options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  return std::move(*server);
}

std::unique_ptr<TestConnection> ConnectToLoopback(int port) {
  auto conn = TestConnection::Connect(net::Address::IPv4Loopback(static_cast<uint16_t>(port)));
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? std::move(*conn) : nullptr;
}

std::string StatValue(absl::string_view stats_reply, absl::string_view name) {
  const std::string prefix = absl::StrCat("STAT ", name, " ");
  for (absl::string_view line : absl::StrSplit(stats_reply, "\r\n")) {
    if (absl::StartsWith(line, prefix)) return std::string(line.substr(prefix.size()));
  }
  return "";
}

}  // namespace testing
}  // namespace server
}  // namespace memkit
