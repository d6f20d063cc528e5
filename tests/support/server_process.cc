#include "tests/support/server_process.h"

#include <limits.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace test_support {
namespace {

// Where a server's log goes: Bazel's undeclared outputs (kept after the test)
// when available, else the temp root.
std::string LogDir() {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return dir != nullptr && *dir != '\0' ? std::string(dir) : TempRoot();
}

// A name no other ServerProcess of this process (or of another test sharing
// the temp root) uses.
std::string UniqueName(absl::string_view label, absl::string_view what) {
  static std::atomic<int> counter{0};
  return absl::StrCat(label, "-", getpid(), "-", counter.fetch_add(1), what);
}

bool UnixSocketAccepts(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// The command line Start() runs: the program, where to listen, its args.
std::vector<std::string> LauncherArgv(const ServerCommand& command, const std::string& port_arg) {
  std::vector<std::string> argv = {command.path};
  if (!command.unix_socket.empty()) {
    argv.insert(argv.end(), {"-s", command.unix_socket});
  } else {
    argv.insert(argv.end(), {"-p", port_arg, "-U", "0", "-l", "127.0.0.1"});
  }
  argv.insert(argv.end(), command.args.begin(), command.args.end());
  return argv;
}

}  // namespace

absl::StatusOr<std::string> MemkitServerPath() {
  const char* path = std::getenv("MEMKIT_SERVER_BINARY");
  if (path == nullptr || *path == '\0') {
    return absl::FailedPreconditionError(
        "MEMKIT_SERVER_BINARY is unset: give the test data = [\"//server:memkit-server\"] and "
        "env = {\"MEMKIT_SERVER_BINARY\": \"$(rootpath //server:memkit-server)\"}");
  }
  std::string absolute = path;
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) != nullptr) absolute = absl::StrCat(cwd, "/", path);
  }
  if (access(absolute.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("MEMKIT_SERVER_BINARY=", path,
                                                      " is not an executable (", absolute, ")"));
  }
  return absolute;
}

absl::StatusOr<CommandResult> RunServerToExit(const ServerCommand& command,
                                              absl::Duration timeout) {
  const std::vector<std::string> argv = LauncherArgv(command, "-1");
  absl::StatusOr<CommandResult> result = RunCommand(argv, timeout);
  if (result.ok() && result->timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("`", absl::StrJoin(argv, " "), "` still ran after ",
                     absl::FormatDuration(timeout), "; output:\n", result->output));
  }
  return result;
}

ServerCommand CommandFor(const std::string& path, std::vector<std::string> args) {
  ServerCommand command;
  command.path = path;
  const size_t slash = path.rfind('/');
  if (!path.empty()) command.label = path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (geteuid() == 0 && absl::EndsWith(path, "/memcached")) {
    command.args = {"-u", "root"};
  }
  command.args.insert(command.args.end(), args.begin(), args.end());
  return command;
}

absl::StatusOr<int> ParsePortFile(absl::string_view content) {
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipEmpty())) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "TCP INET: ") && !absl::ConsumePrefix(&rest, "TCP INET6: ")) {
      continue;
    }
    int port = 0;
    if (absl::SimpleAtoi(rest, &port) && port > 0 && port < 65536) return port;
  }
  return absl::NotFoundError(absl::StrCat("no \"TCP INET: <port>\" line in \"", content, "\""));
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(const ServerCommand& command,
                                                                    const StartOptions& options) {
  if (command.path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(command.label, ": no server command given"));
  }
  if (command.path.find('/') != std::string::npos && access(command.path.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        command.label, ": `", command.path, "` is not an executable file (is it installed?)"));
  }
  std::unique_ptr<ServerProcess> server(new ServerProcess(command, options));
  absl::Status s = server->Launch("-1");
  if (!s.ok()) return s;
  return server;
}

ServerProcess::~ServerProcess() { Stop(); }

absl::Status ServerProcess::Launch(const std::string& port_arg) {
  const bool unix_socket = !command_.unix_socket.empty();
  if (unix_socket) unlink(command_.unix_socket.c_str());
  argv_ = LauncherArgv(command_, port_arg);
  log_path_ = absl::StrCat(LogDir(), "/", UniqueName(command_.label, ".log"));
  const std::string port_file = absl::StrCat(TempRoot(), "/", UniqueName(command_.label, ".port"));
  unlink(port_file.c_str());

  SpawnOptions spawn;
  spawn.argv = argv_;
  spawn.output_path = log_path_;
  if (!unix_socket) spawn.env.emplace_back("MEMCACHED_PORT_FILENAME", port_file);
  absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Spawn(spawn);
  if (!child.ok()) return child.status();
  child_ = *std::move(child);
  absl::Status s = unix_socket ? WaitForUnixSocket() : WaitForPortFile(port_file);
  unlink(port_file.c_str());
  if (!s.ok()) Stop();
  return s;
}

absl::Status ServerProcess::WaitForPortFile(const std::string& port_file) {
  absl::Status alive;
  bool exists = false;
  // The file appears only by rename, complete.
  Eventually([&] {
    alive = CheckAlive();
    exists = access(port_file.c_str(), F_OK) == 0;
    return !alive.ok() || exists;
  }, options_.ready_deadline);
  if (!alive.ok()) return alive;
  if (!exists) {
    return absl::DeadlineExceededError(absl::StrCat(
        Describe(), " did not write its port file (MEMCACHED_PORT_FILENAME) within ",
        absl::FormatDuration(options_.ready_deadline), "; log:\n", LogTail()));
  }
  absl::StatusOr<int> port = ParsePortFile(ReadFileOrEmpty(port_file));
  if (!port.ok()) {
    return absl::Status(port.status().code(),
                        absl::StrCat(Describe(), ": ", port.status().message()));
  }
  port_ = *port;
  return absl::OkStatus();
}

absl::Status ServerProcess::WaitForUnixSocket() {
  absl::Status alive;
  bool accepts = false;
  // No port file for a unix socket: connect() until it accepts.
  Eventually([&] {
    alive = CheckAlive();
    accepts = alive.ok() && UnixSocketAccepts(command_.unix_socket);
    return !alive.ok() || accepts;
  }, options_.ready_deadline);
  if (!alive.ok()) return alive;
  if (!accepts) {
    return absl::DeadlineExceededError(absl::StrCat(Describe(), " did not accept connections within ",
                                                    absl::FormatDuration(options_.ready_deadline),
                                                    "; log:\n", LogTail()));
  }
  return absl::OkStatus();
}

std::string ServerProcess::address() const {
  if (!command_.unix_socket.empty()) return command_.unix_socket;
  return absl::StrCat("127.0.0.1:", port_);
}

std::string ServerProcess::Describe() const {
  return absl::StrCat(command_.label, " (", absl::StrJoin(argv_, " "), ")");
}

absl::Status ServerProcess::CheckAlive() {
  if (child_ == nullptr) return absl::FailedPreconditionError(Describe() + " is stopped");
  std::optional<int> code = child_->Poll();
  if (!code.has_value()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(Describe(), " exited with code ", *code,
                                             "; log:\n", LogTail()));
}

std::string ServerProcess::LogTail(size_t max_bytes) const {
  std::string log = ReadFileOrEmpty(log_path_);
  if (log.size() > max_bytes) log = "..." + log.substr(log.size() - max_bytes);
  return log;
}

std::optional<int> ServerProcess::WaitForExit(absl::Duration timeout) {
  if (child_ == nullptr) return std::nullopt;
  return child_->Wait(absl::Now() + timeout);
}

int ServerProcess::Stop(int signal) {
  if (child_ == nullptr) return -1;
  const int code = child_->Stop(options_.stop_grace, signal);
  child_.reset();
  if (!command_.unix_socket.empty()) unlink(command_.unix_socket.c_str());
  return code;
}

absl::Status ServerProcess::Restart() {
  Stop();
  return Launch(absl::StrCat(port_));
}

}  // namespace test_support
}  // namespace memkit
