// The `memkit` tool's commands. Each takes its arguments (after the command
// name), writes results to stdout, and returns the process exit status
// (output.h: 0 ok, 1 miss / not stored, 2 usage, 3 connection, server or I/O
// error). Errors are one line on stderr.

#ifndef MEMKIT_TOOLS_CLI_COMMANDS_H_
#define MEMKIT_TOOLS_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace memkit {
namespace cli {

struct Command {
  absl::string_view name;
  absl::string_view summary;  // one line, for `memkit help`
  absl::string_view usage;    // the full usage text, for `memkit help NAME`
  int (*run)(const std::vector<std::string>& args);
};

// Every command, in the order `memkit help` lists them.
const std::vector<Command>& AllCommands();

// The command named `name`, or null.
const Command* FindCommand(absl::string_view name);

// Runs `memkit ARGS...` (argv without the program name): global flags before
// the command name are moved after it; `help`, `help COMMAND`. Returns the
// exit status.
int RunMemkit(const std::vector<std::string>& args);

// Commands, one per file.
int RunLocate(const std::vector<std::string>& args);
int RunHash(const std::vector<std::string>& args);
int RunGet(const std::vector<std::string>& args);
int RunSet(const std::vector<std::string>& args);
int RunAdd(const std::vector<std::string>& args);
int RunReplace(const std::vector<std::string>& args);
int RunAppend(const std::vector<std::string>& args);
int RunPrepend(const std::vector<std::string>& args);
int RunDelete(const std::vector<std::string>& args);
int RunIncr(const std::vector<std::string>& args);
int RunDecr(const std::vector<std::string>& args);
int RunTouch(const std::vector<std::string>& args);
int RunFlush(const std::vector<std::string>& args);
int RunStats(const std::vector<std::string>& args);
int RunVersion(const std::vector<std::string>& args);
int RunCat(const std::vector<std::string>& args);
int RunExist(const std::vector<std::string>& args);
int RunCas(const std::vector<std::string>& args);
int RunCp(const std::vector<std::string>& args);
int RunPing(const std::vector<std::string>& args);
int RunDump(const std::vector<std::string>& args);
int RunWatch(const std::vector<std::string>& args);
int RunBench(const std::vector<std::string>& args);
int RunMigratePlan(const std::vector<std::string>& args);
int RunDbm(const std::vector<std::string>& args);
// `memkit admin`: the gRPC admin API (admin_command.cc).
int RunAdmin(const std::vector<std::string>& args);

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_COMMANDS_H_
