#include "tests/conformance/server_process.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/conformance/connection.h"

namespace memkit {
namespace conformance {
namespace {

ServerCommand Resolve(const char* label, const char* path_var, const char* args_var,
                      const std::string& default_path, std::vector<std::string> args) {
  ServerCommand command;
  command.label = label;
  const char* path = std::getenv(path_var);
  command.path = path != nullptr && *path != '\0' ? std::string(path) : default_path;
  command.args = std::move(args);
  if (const char* extra = std::getenv(args_var); extra != nullptr) {
    for (absl::string_view arg : absl::StrSplit(extra, ' ', absl::SkipEmpty())) {
      command.args.emplace_back(arg);
    }
  }
  // A runfiles-relative path must survive the child's own view of the cwd.
  if (!command.path.empty() && command.path[0] != '/' &&
      command.path.find('/') != std::string::npos) {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) != nullptr) command.path = absl::StrCat(cwd, "/", command.path);
  }
  return command;
}

// Where a server's log goes: Bazel's undeclared outputs (kept after the test)
// when available, else the scratch directory.
std::string LogDir() {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return dir != nullptr && *dir != '\0' ? std::string(dir) : ScratchDir();
}

}  // namespace

ServerCommand ServerUnderTest(const std::string& default_path, std::vector<std::string> args) {
  return Resolve("sut", "MEMKIT_SUT", "MEMKIT_SUT_ARGS", default_path, std::move(args));
}

ServerCommand ReferenceServer(const std::string& default_path, std::vector<std::string> args) {
  return Resolve("reference", "MEMKIT_REFERENCE", "MEMKIT_REFERENCE_ARGS", default_path,
                 std::move(args));
}

absl::StatusOr<int> ProbeFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("probing a free port: ", strerror(err)));
  }
  close(fd);
  return ntohs(addr.sin_port);
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
  absl::Status last_error = absl::UnknownError("no attempt made");
  for (int attempt = 0; attempt < options.attempts; ++attempt) {
    absl::StatusOr<int> port = ProbeFreePort();
    if (!port.ok()) return port.status();

    std::vector<std::string> argv = {command.path, "-p",  absl::StrCat(*port),
                                     "-U",         "0",   "-l",
                                     "127.0.0.1"};
    argv.insert(argv.end(), command.args.begin(), command.args.end());
    std::string log_path = absl::StrCat(LogDir(), "/", command.label, "-", *port, ".log");
    unlink(log_path.c_str());

    SpawnOptions spawn;
    spawn.argv = argv;
    spawn.output_path = log_path;
    absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Spawn(spawn);
    if (!child.ok()) return child.status();

    std::unique_ptr<ServerProcess> server(
        new ServerProcess(command, *port, argv, log_path, *std::move(child)));
    absl::Time deadline = absl::Now() + options.ready_deadline;
    absl::Duration backoff = absl::Milliseconds(1);
    while (true) {
      if (absl::Status alive = server->CheckAlive(); !alive.ok()) {
        last_error = alive;
        break;  // Exited at once: maybe the port was taken; try another.
      }
      // One connection attempt (the deadline is now); refused = not yet.
      if (Connection::Connect(*port, absl::Now()).ok()) {
        // Ours, not someone else's listener on the same port: still running.
        if (absl::Status alive = server->CheckAlive(); !alive.ok()) {
          last_error = alive;
          break;
        }
        return server;
      }
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            server->Describe(), " did not accept connections within ",
            absl::FormatDuration(options.ready_deadline), "; log:\n", server->LogTail()));
      }
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Milliseconds(20));
    }
  }
  return last_error;
}

ServerProcess::~ServerProcess() { Stop(); }

std::string ServerProcess::Describe() const {
  return absl::StrCat(command_.label, " (", absl::StrJoin(argv_, " "), ")");
}

absl::Status ServerProcess::CheckAlive() {
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

int ServerProcess::Stop() { return child_->Stop(); }

}  // namespace conformance
}  // namespace memkit
