// What every `memkit` command shares about reporting: the exit codes, one-line
// errors on stderr, and JSON string quoting for --json output.
//
// Exit codes (docs/cli.md):
//   0  success
//   1  a miss, NOT_STORED, EXISTS (CAS mismatch) or damage found: the answer
//      is "no", not a failure
//   2  usage: a bad flag, argument or key
//   3  a connection, timeout, server or I/O error
//
// Thread-safety: stateless functions.

#ifndef MEMKIT_TOOLS_CLI_OUTPUT_H_
#define MEMKIT_TOOLS_CLI_OUTPUT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace cli {

constexpr int kExitOk = 0;
constexpr int kExitNo = 1;
constexpr int kExitUsage = 2;
constexpr int kExitError = 3;

// The exit code for an operation that ended with `status` (kExitOk for OK).
int ExitCodeFor(const absl::Status& status);

// Prints "memkit COMMAND: MESSAGE (see `memkit help COMMAND`)" and returns
// kExitUsage.
int ReportUsage(absl::string_view command, absl::string_view message);

// Prints "memkit: WHAT: CODE: MESSAGE" and returns ExitCodeFor(status).
int ReportFailure(absl::string_view what, const absl::Status& status);

// `bytes` as a JSON string literal, quotes included. Bytes that are not valid
// UTF-8 are written as \u00XX (Latin-1), so any value makes valid JSON.
std::string JsonString(absl::string_view bytes);

// Appends `bytes` with `\\`, `\t`, `\n`, `\r` and every byte outside
// printable ASCII as C escapes (`\xNN`): one field of a tab-separated line.
void AppendEscaped(absl::string_view bytes, std::string* out);
// Undoes AppendEscaped; InvalidArgument for a dangling or unknown escape.
absl::StatusOr<std::string> Unescape(absl::string_view text);

// The worse of two exit codes (error > usage > no > ok), for commands that
// report several servers or keys.
int WorseExit(int a, int b);

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_OUTPUT_H_
