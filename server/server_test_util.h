// Test helpers for memkit's server tests: a blocking client connection that
// sends raw bytes and reads replies with a deadline (never a sleep), and a
// memcached-like server in-process on 127.0.0.1 port 0.
//
// Thread-compatible.

#ifndef MEMKIT_SERVER_SERVER_TEST_UTIL_H_
#define MEMKIT_SERVER_SERVER_TEST_UTIL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/net/address.h"
#include "core/net/socket.h"
#include "server/server.h"

namespace memkit {
namespace server {
namespace testing {

class TestConnection {
 public:
  static absl::StatusOr<std::unique_ptr<TestConnection>> Connect(
      const net::Address& address, absl::Duration timeout = absl::Seconds(5));

  absl::Status Send(absl::string_view bytes);
  // Reads until the received bytes end with `suffix`; returns them all.
  absl::StatusOr<std::string> ReadUntil(absl::string_view suffix,
                                        absl::Duration timeout = absl::Seconds(5));
  // Reads exactly `n` bytes.
  absl::StatusOr<std::string> ReadExactly(size_t n, absl::Duration timeout = absl::Seconds(5));
  // Reads whatever arrives within `wait` (for "no reply" checks).
  std::string ReadFor(absl::Duration wait);
  // Send() then ReadUntil(suffix); "" with a failure message folded in on error.
  std::string Call(absl::string_view request, absl::string_view suffix = "\r\n");
  // Waits until the server closes (EOF: true) or resets (true) the connection.
  bool WaitForClose(absl::Duration timeout = absl::Seconds(5), bool* was_reset = nullptr);

  int fd() const { return fd_.get(); }

 private:
  explicit TestConnection(net::UniqueFd fd) : fd_(std::move(fd)) {}
  // One read with a deadline: >0 bytes appended, 0 EOF, -1 timeout, -2 error/reset.
  int ReadSome(absl::Time deadline);

  net::UniqueFd fd_;
  std::string buffered_;
};

// ServerOptions for tests: 127.0.0.1, port 0, 2 workers.
ServerOptions TestServerOptions();

// A started server or a test failure.
std::unique_ptr<Server> StartServer(const ServerOptions& options = TestServerOptions());

// A connection to 127.0.0.1:`port` (a server started as a process), or
// null and a test failure.
std::unique_ptr<TestConnection> ConnectToLoopback(int port);

// The value of "STAT <name> " in a stats reply ("" if absent).
std::string StatValue(absl::string_view stats_reply, absl::string_view name);

}  // namespace testing
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_SERVER_TEST_UTIL_H_
