// Command-line parsing for the `memkit` tool: `memkit [flags] COMMAND [flags] [ARGS...]`.
//
// Flags are `--name=value`, `--name value` (for flags declared to take a
// value) or `--name` (booleans). `--` ends flags. Unknown flags are errors,
// so a typo never silently changes what a command does.
//
// Thread-safety: none needed; used once from main().

#ifndef MEMKIT_TOOLS_CLI_ARGS_H_
#define MEMKIT_TOOLS_CLI_ARGS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace cli {

// What flags a command accepts.
struct FlagSpec {
  absl::flat_hash_set<std::string> value_flags;  // take a value: --servers=...
  absl::flat_hash_set<std::string> bool_flags;   // stand alone: --sort-hosts
};

struct ParsedArgs {
  absl::flat_hash_map<std::string, std::string> values;
  absl::flat_hash_set<std::string> bools;
  std::vector<std::string> positional;

  bool Has(absl::string_view flag) const {
    return values.contains(flag) || bools.contains(flag);
  }
  // The value of `flag`, or `fallback` when it was not given.
  std::string Get(absl::string_view flag, absl::string_view fallback = "") const;
};

// Everything on standard input.
std::string ReadAllStdin();

// positional[index], or standard input when it is missing or "-" (the value
// argument of set, cas, dbm put, ...).
std::string ValueOrStdin(const std::vector<std::string>& positional, size_t index);

// Parses `args` (without the program and command names) against `spec`.
// InvalidArgument names the offending flag.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const FlagSpec& spec);

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_ARGS_H_
