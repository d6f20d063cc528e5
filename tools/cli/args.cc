#include "tools/cli/args.h"

#include <iostream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace memkit {
namespace cli {

std::string ReadAllStdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

std::string ValueOrStdin(const std::vector<std::string>& positional, size_t index) {
  if (index < positional.size() && positional[index] != "-") return positional[index];
  return ReadAllStdin();
}

std::string ParsedArgs::Get(absl::string_view flag, absl::string_view fallback) const {
  auto it = values.find(flag);
  return it == values.end() ? std::string(fallback) : it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args, const FlagSpec& spec) {
  ParsedArgs parsed;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || !absl::StartsWith(arg, "--")) {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    absl::string_view body = absl::string_view(arg).substr(2);
    size_t eq = body.find('=');
    std::string name(body.substr(0, eq));
    if (spec.bool_flags.contains(name)) {
      if (eq != absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      parsed.bools.insert(name);
    } else if (spec.value_flags.contains(name)) {
      if (eq != absl::string_view::npos) {
        parsed.values[name] = std::string(body.substr(eq + 1));
      } else if (i + 1 < args.size()) {
        parsed.values[name] = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  return parsed;
}

}  // namespace cli
}  // namespace memkit
