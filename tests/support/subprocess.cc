#include "tests/support/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

extern char** environ;

namespace memkit {
namespace test_support {
namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("Spawn: empty argv");

  std::vector<char*> argv;
  for (const std::string& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // The parent's environment, with options.env overriding same-named entries.
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : options.env) {
      if (entry.size() > name.size() && entry.substr(0, name.size()) == name &&
          entry[name.size()] == '=') {
        replaced = true;
      }
    }
    if (!replaced) env_storage.emplace_back(entry);
  }
  for (const auto& [name, value] : options.env) env_storage.push_back(absl::StrCat(name, "=", value));
  std::vector<char*> envp;
  for (std::string& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!options.inherit_output) {
    const char* out = options.output_path.empty() ? "/dev/null" : options.output_path.c_str();
    posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);  // A new group led by the child.

  pid_t pid = 0;
  int err = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start `", absl::StrJoin(options.argv, " "), "`: ", strerror(err)));
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid));
}

Subprocess::~Subprocess() { Stop(); }

std::optional<int> Subprocess::Poll() {
  if (exit_code_.has_value()) return exit_code_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) exit_code_ = DecodeWaitStatus(status);
  if (r < 0 && errno == ECHILD) exit_code_ = -1;
  return exit_code_;
}

std::optional<int> Subprocess::Wait(absl::Time deadline) {
  absl::Duration backoff = absl::Milliseconds(1);
  while (!Poll().has_value()) {
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(std::min(backoff, std::max(deadline - absl::Now(), absl::ZeroDuration())));
    backoff = std::min(backoff * 2, absl::Milliseconds(20));
  }
  return exit_code_;
}

int Subprocess::Stop(absl::Duration grace, int signal) {
  // Signals go to the group while its leader is alive or a zombie, so the
  // group id cannot have been reused by someone else's process.
  if (!Poll().has_value()) {
    kill(-pid_, signal);
    if (!Wait(absl::Now() + grace).has_value()) {
      kill(-pid_, SIGKILL);
      Wait(absl::InfiniteFuture());
    }
  }
  // No signal after the leader is reaped: its pid (the group id) may be reused.
  return *exit_code_;
}

std::string TempRoot() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr && *dir != '\0' ? std::string(dir) : std::string("/tmp");
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  static std::atomic<int> counter{0};
  std::string path = absl::StrCat(TempRoot(), "/memkit-cmd-", getpid(), "-", counter++, ".out");
  unlink(path.c_str());
  SpawnOptions options;
  options.argv = argv;
  options.output_path = path;
  absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Spawn(options);
  if (!child.ok()) return child.status();
  CommandResult result;
  std::optional<int> code = (*child)->Wait(absl::Now() + timeout);
  if (!code.has_value()) {
    result.timed_out = true;
    code = (*child)->Stop(absl::Seconds(1));
  }
  result.exit_code = *code;
  result.output = ReadFileOrEmpty(path);
  unlink(path.c_str());
  return result;
}

}  // namespace test_support
}  // namespace memkit
