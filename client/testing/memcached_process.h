// MemcachedProcess: the client tests' handle on a server process: a real
// /usr/bin/memcached, or any binary taking its flags such as memkit-server
// (see backend.h), on 127.0.0.1 with an OS-chosen port (or a unix socket),
// ready when Start() returns, killed and reaped by Stop() or the destructor.
// Stop()/Restart() let failover tests take a server away and bring it back
// on the same port.
//
// A thin shape over the one launcher every memkit test uses,
// tests/support/server_process.h, which reads the chosen port back from the
// server's MEMCACHED_PORT_FILENAME instead of probing for a free one.
//
// Thread-compatible. testonly.

#ifndef MEMKIT_CLIENT_TESTING_MEMCACHED_PROCESS_H_
#define MEMKIT_CLIENT_TESTING_MEMCACHED_PROCESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace client {
namespace testing {

struct MemcachedOptions {
  std::string binary = test_support::kMemcachedPath;
  // Listen on this unix socket path instead of TCP.
  std::string unix_path;
  // Extra command-line arguments (e.g. {"-m", "64"}), after "-t 1 -m 64".
  std::vector<std::string> args;
  absl::Duration start_timeout = absl::Seconds(10);
};

class MemcachedProcess {
 public:
  static absl::StatusOr<std::unique_ptr<MemcachedProcess>> Start(
      const MemcachedOptions& options = {});

  // True if the memcached binary exists (tests skip otherwise).
  static bool Available(const std::string& binary = test_support::kMemcachedPath);

  uint16_t port() const { return static_cast<uint16_t>(server_->port()); }
  // "127.0.0.1:<port>" or the unix path: a ClientOptions server entry.
  std::string address() const { return server_->address(); }
  bool running() const { return server_->running(); }

  // Kills the server (as a crash: SIGTERM and SIGKILL at once) and reaps it.
  void Stop() { server_->Stop(); }
  // Starts again on the same port (after Stop()).
  absl::Status Restart() { return server_->Restart(); }

 private:
  explicit MemcachedProcess(std::unique_ptr<test_support::ServerProcess> server)
      : server_(std::move(server)) {}

  std::unique_ptr<test_support::ServerProcess> server_;
};

}  // namespace testing
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_TESTING_MEMCACHED_PROCESS_H_
