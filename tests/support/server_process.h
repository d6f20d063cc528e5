// ServerProcess: a memcached-compatible server (real memcached 1.6.18, or
// memkit-server, or anything taking memcached's flags and honouring its
// MEMCACHED_PORT_FILENAME) started by a test on 127.0.0.1 with an OS-chosen
// port, the one launcher every test of memkit's uses.
//
// No free port is probed (and raced for): the server binds an ephemeral port
// itself and reports it the way memcached does: with MEMCACHED_PORT_FILENAME
// set, it writes "TCP INET: <port>" lines to "<file>.lck" once its listeners
// are bound, then renames that to <file>. Start() polls for the file with a
// deadline, so when Start() returns the port accepts connections.
//
// The launcher asks for an ephemeral port with `-p -1`, as memcached 1.6.18
// wants it (its `-p 0` means "no TCP listener"); memkit-server takes `-p -1`
// the same way.
//
// Stop() (and the destructor) send SIGTERM to the server's process group, wait
// up to a grace period (StartOptions::stop_grace), then SIGKILL, and reap the
// child. Restart() starts the
// same command again on the port it had, for failover tests.
//
// Thread-compatible: one thread at a time. testonly.

#ifndef MEMKIT_TESTS_SUPPORT_SERVER_PROCESS_H_
#define MEMKIT_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace test_support {

// The real memcached's path on Debian.
inline constexpr char kMemcachedPath[] = "/usr/bin/memcached";

// A server program and the arguments it gets after the launcher's own.
struct ServerCommand {
  std::string label = "server";   // names the log file and messages
  std::string path;               // the program to run
  std::vector<std::string> args;  // e.g. {"-t", "2", "-m", "64"}
  // Listen on this unix socket (`-s PATH`) instead of TCP. Kept short: a
  // sun_path holds 107 bytes, and Bazel's TEST_TMPDIR can be longer.
  std::string unix_socket;

  // A copy with `more` after `args`: one base command, a variant a test.
  ServerCommand With(const std::vector<std::string>& more) const {
    ServerCommand command = *this;
    command.args.insert(command.args.end(), more.begin(), more.end());
    return command;
  }
};

// The memkit-server binary a test target provides, from the environment
// variable MEMKIT_SERVER_BINARY, which the target sets:
//   data = ["//server:memkit-server"],
//   env = {"MEMKIT_SERVER_BINARY": "$(rootpath //server:memkit-server)"},
// Made absolute (a relative path is relative to the test's working directory,
// Bazel's runfiles tree), so it survives a later chdir. FailedPrecondition
// (saying so) when it is unset or not an executable file.
absl::StatusOr<std::string> MemkitServerPath();

// `path` and `args`, labelled with the program's name; `-u root` is added to
// memcached's arguments when running as root (memcached refuses root without
// it).
ServerCommand CommandFor(const std::string& path, std::vector<std::string> args = {});

struct StartOptions {
  // How long the server may take to report its port (or, on a unix socket,
  // to accept a connection).
  absl::Duration ready_deadline = absl::Seconds(15);
  // How long Stop() waits after SIGTERM before SIGKILL. memcached notices
  // SIGTERM only on its next one-second clock tick, so tests that stop many
  // servers and do not care how they end set this to zero: a crash.
  absl::Duration stop_grace = absl::Seconds(5);
};

class ServerProcess {
 public:
  // Starts `command` and waits until it listens. FailedPrecondition when the
  // program is not an executable file; Unavailable (with the server's log)
  // when it exits during start-up; DeadlineExceeded when it never reports.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const ServerCommand& command,
                                                              const StartOptions& options = {});

  // Stop().
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The TCP port (0 on a unix socket).
  int port() const { return port_; }
  // "127.0.0.1:<port>", or the unix socket path: a client's server entry.
  std::string address() const;
  const ServerCommand& command() const { return command_; }
  bool running() const { return child_ != nullptr; }

  // "label (/path/to/server -p -1 ...)", for messages.
  std::string Describe() const;

  // OK while the process runs; else an error quoting its exit code and log.
  absl::Status CheckAlive();

  // The server's process id (also its process group's), e.g. for its /proc
  // entries; 0 when stopped.
  pid_t pid() const { return child_ != nullptr ? child_->pid() : 0; }

  // The last `max_bytes` of what the server printed (std::string::npos: all).
  std::string LogTail(size_t max_bytes = 2000) const;

  // Waits up to `timeout` for the server to exit by itself (a shutdown
  // command, a fatal error): its exit code, or nullopt while it still runs.
  // Stop() then only reaps it.
  std::optional<int> WaitForExit(absl::Duration timeout);

  // Stops the server (`signal`, SIGKILL after the grace period) and reaps it;
  // returns its exit code, or -1 when it was not running. SIGINT tests the
  // other clean stop; SIGKILL is a crash (no SIGTERM first that a server
  // could act on).
  int Stop(int signal = SIGTERM);

  // Starts the command again after Stop(), on the same port (or socket).
  absl::Status Restart();

 private:
  ServerProcess(ServerCommand command, StartOptions options)
      : command_(std::move(command)), options_(options) {}

  // Spawns the server with `-p port_arg` and waits until it is ready.
  absl::Status Launch(const std::string& port_arg);
  absl::Status WaitForPortFile(const std::string& port_file);
  absl::Status WaitForUnixSocket();

  const ServerCommand command_;
  const StartOptions options_;
  int port_ = 0;
  std::vector<std::string> argv_;
  std::string log_path_;
  std::unique_ptr<Subprocess> child_;
};

// Runs `command` with Start()'s flags, but to its end and with no port file:
// for a start-up that must fail (a refused flag, a locked directory). Its exit
// code and output; DeadlineExceeded (quoting the output) when it still runs at
// `timeout`, and is then killed.
absl::StatusOr<CommandResult> RunServerToExit(const ServerCommand& command, absl::Duration timeout);

// Parses memcached's port file: the port of the first "TCP INET: <port>"
// (or "TCP INET6: <port>") line. NotFound when there is none.
absl::StatusOr<int> ParsePortFile(absl::string_view content);

}  // namespace test_support
}  // namespace memkit

#endif  // MEMKIT_TESTS_SUPPORT_SERVER_PROCESS_H_
