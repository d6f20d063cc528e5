// Conformance cases: scripted sessions read from plain `.case` files.
//
// Each case is a sequence of steps sent over one fresh connection to both the
// reference server and the server under test; the replies are compared after
// the case's declared normalisations. The file format (docs/testing.md has
// the full reference):
//
//   # comment                       (only in column 0)
//   case NAME                       starts a case; NAME is [A-Za-z0-9_]+
//   set foo 0 0 3                   a text line: escapes and {templates}
//   bar                               expanded, then "\r\n" appended
//   @raw get foo\n                  bytes exactly as written (no "\r\n" added)
//   @bin set key=foo value=bar flags=0 exptime=0
//                                   one binary-protocol request
//   @sync                           send, then a sentinel; wait for its reply
//   @pause MS                       send as a separate write, wait MS
//   @sleep MS                       @sync, then wait MS (expiry tests)
//   @end sentinel | eof | quiet MS  how the harness knows the reply is over
//   @deadline MS                    per-read deadline (default 1500)
//   @subst REGEX => REPLACEMENT     normalise each rendered reply line
//   @normalize NAME                 a named set of @subst lines
//
// Thread-safety: plain data; the parser is a pure function.

#ifndef MEMKIT_TESTS_CONFORMANCE_CASE_FILE_H_
#define MEMKIT_TESTS_CONFORMANCE_CASE_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace conformance {

struct Step {
  enum class Kind {
    kText,    // `arg` + "\r\n", after escapes and templates.
    kRaw,     // `arg` after escapes and templates.
    kBinary,  // `arg` is a binary request spec (see request.h).
    kSync,    // Flush, send the sentinel, wait for its reply.
    kPause,   // Flush as a separate write, wait `millis`.
    kSleep,   // kSync, then wait `millis`.
  };
  Kind kind = Kind::kText;
  std::string arg;
  int millis = 0;
  int line = 0;  // 1-based line in the case file.
};

enum class EndMode {
  kSentinel,  // Append a sentinel (see request.h); read to its reply or EOF.
  kEof,       // Half-close after sending; read to EOF.
  kQuiet,     // Read until nothing arrives for `quiet_millis` (or EOF).
};

// One normalisation: every match of `pattern` (ECMAScript) in a rendered
// reply line is replaced by `replacement` ($1 etc. refer to groups).
struct Substitution {
  std::string pattern;
  std::string replacement;
};

struct Case {
  std::string file;  // The case file's base name without ".case", e.g. "text_storage".
  std::string name;
  int line = 0;      // Line of the `case` header.
  std::string source;  // The case's lines as written, for failure messages.
  std::vector<Step> steps;
  EndMode end = EndMode::kSentinel;
  int quiet_millis = 0;
  int deadline_millis = 1500;
  std::vector<Substitution> substitutions;

  // "file/name", the case's id in messages and test names.
  std::string Id() const { return file + "/" + name; }
};

// Parses one case file. `file` names it in errors ("text_storage.case:12: ...").
// Every step is checked (escapes, templates, binary specs) so a mistake is
// reported here with its line, not when the case runs.
absl::StatusOr<std::vector<Case>> ParseCaseFile(absl::string_view file, absl::string_view text);

// The substitutions behind `@normalize NAME`, or NotFound.
absl::StatusOr<std::vector<Substitution>> NamedNormalization(absl::string_view name);

}  // namespace conformance
}  // namespace memkit

#endif  // MEMKIT_TESTS_CONFORMANCE_CASE_FILE_H_
