// Fuzzes memkit-server's command-line parser: the input, split at NUL bytes,
// is the argv (without the program name) handed to ParseServerFlags. It must
// never crash; a rejection has a message (memcached's: one or two lines)
// and one of memcached's exit statuses. ParseSizeFlag gets each argument too.
//
// Input: arguments separated by '\0' (at most 64 are used).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/flags.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size && args.size() < 64; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\0') {
      args.push_back(current);
      current.clear();
      continue;
    }
    current.push_back(c);
  }
  if (args.size() < 64 && !current.empty()) args.push_back(current);

  absl::StatusOr<memkit::server::ServerFlags> flags = memkit::server::ParseServerFlags(args);
  if (!flags.ok()) {
    Check(flags.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!flags.status().message().empty());
    const int code = memkit::server::FlagErrorExitCode(flags.status());
    Check(code == 1 || code == 64 || code == 71);
  }
  for (const std::string& arg : args) {
    absl::StatusOr<size_t> size_flag = memkit::server::ParseSizeFlag(arg, 1024);
    if (!size_flag.ok()) Check(size_flag.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
