#include "client/testing/memcached_process.h"

#include <unistd.h>

#include <utility>

namespace memkit {
namespace client {
namespace testing {

bool MemcachedProcess::Available(const std::string& binary) {
  return access(binary.c_str(), X_OK) == 0;
}

absl::StatusOr<std::unique_ptr<MemcachedProcess>> MemcachedProcess::Start(
    const MemcachedOptions& options) {
  std::vector<std::string> args = {"-t", "1", "-m", "64"};
  args.insert(args.end(), options.args.begin(), options.args.end());
  test_support::ServerCommand command = test_support::CommandFor(options.binary, std::move(args));
  command.unix_socket = options.unix_path;
  test_support::StartOptions start;
  start.ready_deadline = options.start_timeout;
  // Failover tests take servers away as a crash would, and memcached takes up
  // to a second to notice SIGTERM: no grace period.
  start.stop_grace = absl::ZeroDuration();
  auto server = test_support::ServerProcess::Start(command, start);
  if (!server.ok()) return server.status();
  return std::unique_ptr<MemcachedProcess>(new MemcachedProcess(*std::move(server)));
}

}  // namespace testing
}  // namespace client
}  // namespace memkit
