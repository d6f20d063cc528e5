// MemcachedProcess: a real /usr/bin/memcached (or any binary taking its
// flags, such as memkit-server: see backend.h) started by a test on a free
// 127.0.0.1 port (or a unix socket), ready when Start() returns, stopped (and
// reaped) by Stop() or the destructor. Stop()/Restart() let failover tests
// take a server away and bring it back on the same port.
//
// memcached cannot bind port 0 and report it, so Start() asks the kernel for
// a free port, starts memcached on it and polls connect() until it accepts,
// with a deadline; if memcached exits first (the port was taken meanwhile)
// it tries another port.
//
// Thread-compatible. testonly.

#ifndef MEMKIT_CLIENT_TESTING_MEMCACHED_PROCESS_H_
#define MEMKIT_CLIENT_TESTING_MEMCACHED_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace memkit {
namespace client {
namespace testing {

struct MemcachedOptions {
  std::string binary = "/usr/bin/memcached";
  // Listen on this unix socket path instead of TCP.
  std::string unix_path;
  // Extra command-line arguments (e.g. {"-m", "64"}).
  std::vector<std::string> args;
  absl::Duration start_timeout = absl::Seconds(10);
};

class MemcachedProcess {
 public:
  static absl::StatusOr<std::unique_ptr<MemcachedProcess>> Start(
      const MemcachedOptions& options = {});
  ~MemcachedProcess();

  // True if the memcached binary exists (tests skip otherwise).
  static bool Available(const std::string& binary = "/usr/bin/memcached");

  uint16_t port() const { return port_; }
  // "127.0.0.1:<port>" or the unix path: a ClientOptions server entry.
  std::string address() const;
  bool running() const { return pid_ > 0; }

  // SIGKILL and reap; the port stays reserved by nothing.
  void Stop();
  // Starts again on the same port (after Stop()).
  absl::Status Restart();

 private:
  explicit MemcachedProcess(const MemcachedOptions& options) : options_(options) {}
  absl::Status Spawn();
  absl::Status WaitReady();

  MemcachedOptions options_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace testing
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_TESTING_MEMCACHED_PROCESS_H_
