// Test helpers for memkit-proxy's black-box tests: real memcached backends
// and the proxy started through //tests/support's launcher (OS-chosen
// ports, stopped by the test), and a blocking client connection that sends
// raw bytes and reads replies with a deadline.
//
// Thread-compatible. testonly.

#ifndef MEMKIT_PROXY_PROXY_TEST_UTIL_H_
#define MEMKIT_PROXY_PROXY_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace proxy {
namespace testing {

// The memkit-proxy binary: $MEMKIT_PROXY_BINARY (set by the BUILD rule).
std::string ProxyBinary();

// `n` real memcached servers (-t 1 -m 64).
absl::StatusOr<std::vector<std::unique_ptr<test_support::ServerProcess>>> StartMemcached(int n);

// "127.0.0.1:P1,127.0.0.1:P2,..."
std::string ServerList(const std::vector<std::unique_ptr<test_support::ServerProcess>>& servers);

// memkit-proxy with `args` (after the launcher's -p 0 -U 0 -l 127.0.0.1).
absl::StatusOr<std::unique_ptr<test_support::ServerProcess>> StartProxy(
    std::vector<std::string> args);

// A blocking TCP connection to 127.0.0.1:port.
class Conn {
 public:
  static absl::StatusOr<std::unique_ptr<Conn>> Open(int port);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool Send(absl::string_view bytes);
  // Reads until the bytes received end with `suffix` (or the deadline;
  // then returns what came). Everything read is returned and consumed.
  std::string ReadUntil(absl::string_view suffix, absl::Duration deadline = absl::Seconds(5));
  // Reads exactly `n` bytes (fewer at the deadline or on EOF).
  std::string ReadExactly(size_t n, absl::Duration deadline = absl::Seconds(5));
  // Send + ReadUntil.
  std::string Call(absl::string_view request, absl::string_view suffix = "\r\n",
                   absl::Duration deadline = absl::Seconds(5));
  // Reads one binary response packet.
  std::string ReadPacket(absl::Duration deadline = absl::Seconds(5));

 private:
  explicit Conn(int fd) : fd_(fd) {}
  bool Fill(absl::Time deadline);
  int fd_;
  std::string buffer_;
};

}  // namespace testing
}  // namespace proxy
}  // namespace memkit

#endif  // MEMKIT_PROXY_PROXY_TEST_UTIL_H_
