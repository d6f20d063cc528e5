#include "tests/conformance/case_file.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "re2/re2.h"
#include "tests/conformance/request.h"

namespace memkit {
namespace conformance {
namespace {

bool IsName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

absl::Status LineError(absl::string_view file, int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(file, ".case:", line, ": ", message));
}

absl::StatusOr<int> ParseMillis(absl::string_view text) {
  int millis = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &millis) || millis < 0 ||
      millis > 60000) {
    return absl::InvalidArgumentError(absl::StrCat("`", text, "` is not a duration in ms (0-60000)"));
  }
  return millis;
}

absl::Status CheckSubstitution(const Substitution& s) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(s.pattern, options);
  if (!re.ok()) return absl::InvalidArgumentError(absl::StrCat("bad regex `", s.pattern, "`: ", re.error()));
  std::string error;
  if (!re.CheckRewriteString(s.replacement, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("bad replacement `", s.replacement, "`: ", error));
  }
  return absl::OkStatus();
}

// Parses the directive `name` (without '@') with argument `arg` into `c`.
absl::Status ApplyDirective(absl::string_view name, absl::string_view arg, int line, Case* c) {
  if (name == "raw" || name == "bin") {
    Step step;
    step.kind = name == "raw" ? Step::Kind::kRaw : Step::Kind::kBinary;
    step.arg = std::string(arg);
    step.line = line;
    // Checked now with a stand-in context, so mistakes point at their line.
    absl::Status checked = step.kind == Step::Kind::kRaw
                               ? ExpandBytes(arg, ExpandContext{}).status()
                               : EncodeBinaryRequest(arg, ExpandContext{}).status();
    if (!checked.ok()) return checked;
    if (step.kind == Step::Kind::kRaw && arg.empty()) return absl::InvalidArgumentError("@raw needs bytes");
    c->steps.push_back(std::move(step));
    return absl::OkStatus();
  }
  if (name == "sync") {
    c->steps.push_back(Step{Step::Kind::kSync, "", 0, line});
    return absl::OkStatus();
  }
  if (name == "pause" || name == "sleep") {
    absl::StatusOr<int> millis = ParseMillis(arg);
    if (!millis.ok()) return millis.status();
    c->steps.push_back(
        Step{name == "pause" ? Step::Kind::kPause : Step::Kind::kSleep, "", *millis, line});
    return absl::OkStatus();
  }
  if (name == "end") {
    std::vector<absl::string_view> words = absl::StrSplit(arg, ' ', absl::SkipWhitespace());
    if (words.size() == 1 && words[0] == "sentinel") {
      c->end = EndMode::kSentinel;
    } else if (words.size() == 1 && words[0] == "eof") {
      c->end = EndMode::kEof;
    } else if (words.size() == 2 && words[0] == "quiet") {
      absl::StatusOr<int> millis = ParseMillis(words[1]);
      if (!millis.ok()) return millis.status();
      c->end = EndMode::kQuiet;
      c->quiet_millis = *millis;
    } else {
      return absl::InvalidArgumentError("@end takes `sentinel`, `eof` or `quiet MS`");
    }
    return absl::OkStatus();
  }
  if (name == "deadline") {
    absl::StatusOr<int> millis = ParseMillis(arg);
    if (!millis.ok()) return millis.status();
    c->deadline_millis = *millis;
    return absl::OkStatus();
  }
  if (name == "subst") {
    size_t arrow = arg.find(" => ");
    if (arrow == absl::string_view::npos) return absl::InvalidArgumentError("@subst needs `REGEX => REPLACEMENT`");
    Substitution s{std::string(arg.substr(0, arrow)), std::string(arg.substr(arrow + 4))};
    if (absl::Status ok = CheckSubstitution(s); !ok.ok()) return ok;
    c->substitutions.push_back(std::move(s));
    return absl::OkStatus();
  }
  if (name == "normalize") {
    absl::StatusOr<std::vector<Substitution>> named =
        NamedNormalization(absl::StripAsciiWhitespace(arg));
    if (!named.ok()) return named.status();
    c->substitutions.insert(c->substitutions.end(), named->begin(), named->end());
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown directive @", name));
}

}  // namespace

absl::StatusOr<std::vector<Substitution>> NamedNormalization(absl::string_view name) {
  // Patterns match rendered reply lines (see transcript.h): text lines without
  // their "\r\n", binary packets as `RES op=NAME ... value="..."`.
  if (name == "version") {
    return std::vector<Substitution>{
        Substitution{R"re(^VERSION .*$)re", "VERSION <version>"},
        Substitution{R"re(^(RES op=version .*value=)".*"$)re", R"re(\1"<version>")re"},
    };
  }
  if (name == "stat-values") {
    return std::vector<Substitution>{
        Substitution{R"re(^STAT (\S+) .*$)re", R"re(STAT \1 <value>)re"},
        Substitution{R"re(^(RES op=stat .*key="[^"]*" value=)".*"$)re", R"re(\1"<value>")re"},
    };
  }
  if (name == "me-times") {
    // Seconds since last access tick with the server's clock.
    return std::vector<Substitution>{Substitution{R"re(\bla=\d+)re", "la=<t>"}};
  }
  return absl::NotFoundError(absl::StrCat("unknown @normalize name `", name,
                                          "` (known: version, stat-values, me-times)"));
}

absl::StatusOr<std::vector<Case>> ParseCaseFile(absl::string_view file, absl::string_view text) {
  std::vector<Case> cases;
  std::set<std::string> names;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    if (line.empty() || line[0] == '#') continue;
    if (absl::StartsWith(line, "case ") || line == "case") {
      absl::string_view name = absl::StripAsciiWhitespace(line.substr(4));
      if (!IsName(name)) return LineError(file, line_number, "case names are [A-Za-z0-9_]+");
      if (!names.insert(std::string(name)).second) {
        return LineError(file, line_number, absl::StrCat("duplicate case name `", name, "`"));
      }
      Case c;
      c.file = std::string(file);
      c.name = std::string(name);
      c.line = line_number;
      cases.push_back(std::move(c));
    } else if (cases.empty()) {
      return LineError(file, line_number, "text before the first `case` line");
    }
    Case& c = cases.back();
    absl::StrAppend(&c.source, line_number, ": ", line, "\n");
    if (line_number == c.line) continue;

    if (line[0] == '@') {
      absl::string_view rest = line.substr(1);
      size_t space = rest.find(' ');
      absl::string_view name = rest.substr(0, space);
      absl::string_view arg = space == absl::string_view::npos ? "" : rest.substr(space + 1);
      if (absl::Status ok = ApplyDirective(name, arg, line_number, &c); !ok.ok()) {
        return LineError(file, line_number, ok.message());
      }
      continue;
    }
    if (absl::Status ok = ExpandBytes(line, ExpandContext{}).status(); !ok.ok()) {
      return LineError(file, line_number, ok.message());
    }
    c.steps.push_back(Step{Step::Kind::kText, std::string(line), 0, line_number});
  }
  for (const Case& c : cases) {
    if (c.steps.empty()) return LineError(file, c.line, absl::StrCat("case `", c.name, "` sends nothing"));
  }
  return cases;
}

}  // namespace conformance
}  // namespace memkit
