// Child processes for tests: the servers ServerProcess starts (server_process.h)
// and peer tools run to completion (memccapable, memcaslap, Python clients).
//
// Every child runs in a process group of its own, so stopping it also stops
// anything it started (a wrapper script's memcached, say) and nothing else.
//
// Thread-safety: a Subprocess is used by one thread at a time.

#ifndef MEMKIT_TESTS_SUPPORT_SUBPROCESS_H_
#define MEMKIT_TESTS_SUPPORT_SUBPROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace memkit {
namespace test_support {

struct SpawnOptions {
  // The program (a path, or a name looked up in PATH) and its arguments;
  // argv[0] is the program.
  std::vector<std::string> argv;

  // Where the child's stdout and stderr go (appended); empty = /dev/null.
  std::string output_path;

  // Keep the parent's stdout and stderr instead (output_path is ignored).
  bool inherit_output = false;

  // Variables added to (or replacing in) the child's environment.
  std::vector<std::pair<std::string, std::string>> env;
};

class Subprocess {
 public:
  // Starts the child. Fails if it cannot be started at all (e.g. no such
  // program); a program that starts and then fails is seen by Wait()/Poll().
  static absl::StatusOr<std::unique_ptr<Subprocess>> Spawn(const SpawnOptions& options);

  // Stops the child's process group (see Stop()) if it is still running.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // The exit code if the child has exited (128 + N if killed by signal N),
  // without blocking; nullopt while it runs.
  std::optional<int> Poll();

  // Waits until the child exits or `deadline`; nullopt at the deadline.
  std::optional<int> Wait(absl::Time deadline);

  // `signal` (SIGTERM unless said; SIGKILL for a crash) to the child's
  // group, up to `grace` to exit, then SIGKILL. Returns the exit code.
  // Idempotent.
  int Stop(absl::Duration grace = absl::Seconds(5), int signal = SIGTERM);

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}

  const pid_t pid_;
  std::optional<int> exit_code_;
};

struct CommandResult {
  int exit_code = -1;   // 128 + N when killed by signal N.
  bool timed_out = false;
  std::string output;   // stdout and stderr, interleaved as written.
};

// Runs `argv` to completion (or kills it at `timeout`), capturing its output.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout);

// Where tests put temporary files: $TEST_TMPDIR under Bazel, else /tmp.
// (A directory of one's own that is removed afterwards: scratch_dir.h.)
std::string TempRoot();

// The whole content of `path`, or "" if unreadable.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace test_support
}  // namespace memkit

#endif  // MEMKIT_TESTS_SUPPORT_SUBPROCESS_H_
