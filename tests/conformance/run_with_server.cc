// Runs a command against a freshly started server under test, for tests that
// are scripts (the Python client interop tests):
//
//   run_with_server --server=PATH [--server_arg=ARG]... -- COMMAND [ARG]...
//
// The server gets `-p PORT -U 0 -l 127.0.0.1 -t 2 -m 64` plus any
// --server_arg; the command sees MEMKIT_SERVER=127.0.0.1:PORT and
// MEMKIT_SERVER_PORT=PORT. The exit code is the command's (or 1 if the
// server would not start, or died while the command ran). $MEMKIT_SUT and
// $MEMKIT_SUT_ARGS override the server as everywhere in the harness.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/conformance/server_process.h"
#include "tests/support/subprocess.h"

int main(int argc, char** argv) {
  using memkit::conformance::ServerProcess;
  using memkit::conformance::SpawnOptions;
  using memkit::conformance::Subprocess;

  std::string server_path;
  std::vector<std::string> server_args = {"-t", "2", "-m", "64"};
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      command.assign(argv + i + 1, argv + argc);
      break;
    }
    if (absl::ConsumePrefix(&arg, "--server=")) {
      server_path = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--server_arg=")) {
      server_args.emplace_back(arg);
    } else {
      std::fprintf(stderr, "run_with_server: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (command.empty()) {
    std::fprintf(stderr, "usage: run_with_server --server=PATH [--server_arg=ARG]... -- COMMAND...\n");
    return 2;
  }

  auto server = ServerProcess::Start(memkit::conformance::ServerUnderTest(server_path, server_args));
  if (!server.ok()) {
    std::fprintf(stderr, "run_with_server: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "run_with_server: %s\n", (*server)->Describe().c_str());

  SpawnOptions options;
  options.argv = command;
  options.inherit_output = true;
  options.env = {{"MEMKIT_SERVER", absl::StrCat("127.0.0.1:", (*server)->port())},
                 {"MEMKIT_SERVER_PORT", absl::StrCat((*server)->port())}};
  std::fflush(stdout);
  auto child = Subprocess::Spawn(options);
  if (!child.ok()) {
    std::fprintf(stderr, "run_with_server: %s\n", std::string(child.status().message()).c_str());
    return 1;
  }
  int code = *(*child)->Wait(absl::InfiniteFuture());
  if (absl::Status alive = (*server)->CheckAlive(); !alive.ok()) {
    std::fprintf(stderr, "run_with_server: the server died: %s\n",
                 std::string(alive.message()).c_str());
    return 1;
  }
  return code;
}
