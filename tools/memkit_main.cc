// memkit: one command-line tool for memcached. `memkit help` lists commands.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "tools/cli/commands.h"

namespace {

void PrintHelp() {
  std::printf("usage: memkit COMMAND [FLAGS] [ARGS...]\n\ncommands:\n");
  for (const memkit::cli::Command& command : memkit::cli::AllCommands()) {
    absl::PrintF("  %-10s %s\n", command.name, command.summary);
  }
  std::printf("\n`memkit help COMMAND` shows a command's flags.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    if (args.size() >= 2) {
      for (const memkit::cli::Command& command : memkit::cli::AllCommands()) {
        if (command.name == args[1]) {
          absl::PrintF("%s\n", command.usage);
          return 0;
        }
      }
      absl::FPrintF(stderr, "memkit: unknown command '%s' (see `memkit help`)\n", args[1]);
      return 2;
    }
    PrintHelp();
    return args.empty() ? 2 : 0;
  }
  for (const memkit::cli::Command& command : memkit::cli::AllCommands()) {
    if (command.name == args[0]) {
      return command.run(std::vector<std::string>(args.begin() + 1, args.end()));
    }
  }
  absl::FPrintF(stderr, "memkit: unknown command '%s' (see `memkit help`)\n", args[0]);
  return 2;
}
