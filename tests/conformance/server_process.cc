#include "tests/conformance/server_process.h"

#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace memkit {
namespace conformance {
namespace {

ServerCommand Resolve(const char* label, const char* path_var, const char* args_var,
                      const std::string& default_path, std::vector<std::string> args) {
  const char* path = std::getenv(path_var);
  std::string chosen = path != nullptr && *path != '\0' ? std::string(path) : default_path;
  // A runfiles-relative path must survive the child's own view of the cwd.
  if (!chosen.empty() && chosen[0] != '/' && chosen.find('/') != std::string::npos) {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) != nullptr) chosen = absl::StrCat(cwd, "/", chosen);
  }
  if (const char* extra = std::getenv(args_var); extra != nullptr) {
    for (absl::string_view arg : absl::StrSplit(extra, ' ', absl::SkipEmpty())) {
      args.emplace_back(arg);
    }
  }
  ServerCommand command = test_support::CommandFor(chosen, std::move(args));
  command.label = label;
  return command;
}

}  // namespace

ServerCommand ServerUnderTest(const std::string& default_path, std::vector<std::string> args) {
  return Resolve("sut", "MEMKIT_SUT", "MEMKIT_SUT_ARGS", default_path, std::move(args));
}

ServerCommand ReferenceServer(const std::string& default_path, std::vector<std::string> args) {
  return Resolve("reference", "MEMKIT_REFERENCE", "MEMKIT_REFERENCE_ARGS", default_path,
                 std::move(args));
}

}  // namespace conformance
}  // namespace memkit
