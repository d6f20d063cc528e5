// A memcached-compatible server started by a test on a free loopback port.
//
// The conformance harness runs two servers side by side: the reference (real
// memcached 1.6.18) and the server under test. Both are plain commands that
// take memcached's flags; the harness adds `-p PORT -U 0 -l 127.0.0.1` and the
// caller's extra arguments, waits (polling, with a deadline) until the port
// accepts connections, and stops the server's process group when done.
//
// Which command is the server under test is decided in ONE place, the
// `server_under_test` alias in tests/conformance/BUILD.bazel, which targets
// pass in as a runfiles path; $MEMKIT_SUT overrides it for ad-hoc runs.
//
// Thread-safety: a ServerProcess is used by one thread at a time.

#ifndef MEMKIT_TESTS_CONFORMANCE_SERVER_PROCESS_H_
#define MEMKIT_TESTS_CONFORMANCE_SERVER_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/conformance/subprocess.h"

namespace memkit {
namespace conformance {

// A server program and the arguments it gets after the harness's own.
struct ServerCommand {
  std::string label;               // "reference" or "sut"; names logs and messages.
  std::string path;                // The program to run.
  std::vector<std::string> args;   // e.g. {"-t", "2", "-m", "64"}.
};

// The server under test: $MEMKIT_SUT if set, else `default_path` (the runfiles
// path Bazel passed in). Extra arguments from $MEMKIT_SUT_ARGS (split on
// spaces) follow `args`, so a deliberately different server can be tried
// without editing anything: --test_env=MEMKIT_SUT_ARGS="-I 2m".
ServerCommand ServerUnderTest(const std::string& default_path, std::vector<std::string> args);

// The reference server: $MEMKIT_REFERENCE if set, else `default_path`;
// extra arguments from $MEMKIT_REFERENCE_ARGS.
ServerCommand ReferenceServer(const std::string& default_path, std::vector<std::string> args);

struct StartOptions {
  // How long the server may take to accept its first connection.
  absl::Duration ready_deadline = absl::Seconds(15);

  // Attempts, each on a freshly probed port, when the server exits at once
  // (another process may have taken the probed port in between).
  int attempts = 3;
};

class ServerProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const ServerCommand& command,
                                                              const StartOptions& options = {});

  // Stops the server (SIGTERM, then SIGKILL after a grace period).
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  const ServerCommand& command() const { return command_; }

  // "sut (/path/to/server -p 12345 ...)", for messages.
  std::string Describe() const;

  // OK while the process runs; else an error quoting its exit code and log.
  absl::Status CheckAlive();

  // The last `max_bytes` of what the server printed.
  std::string LogTail(size_t max_bytes = 2000) const;

  // Stops the server now; returns its exit code.
  int Stop();

 private:
  ServerProcess(ServerCommand command, int port, std::vector<std::string> argv,
                std::string log_path, std::unique_ptr<Subprocess> child)
      : command_(std::move(command)),
        port_(port),
        argv_(std::move(argv)),
        log_path_(std::move(log_path)),
        child_(std::move(child)) {}

  const ServerCommand command_;
  const int port_;
  const std::vector<std::string> argv_;
  const std::string log_path_;
  std::unique_ptr<Subprocess> child_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// released). Another process can take it before the server binds it, which
// is why Start() retries.
absl::StatusOr<int> ProbeFreePort();

}  // namespace conformance
}  // namespace memkit

#endif  // MEMKIT_TESTS_CONFORMANCE_SERVER_PROCESS_H_
