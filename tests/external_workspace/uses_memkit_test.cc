// A program in another workspace, using memkit's public core targets.
#include <cstdio>

#include "core/status/status.h"

int main() {
  absl::Status status = memkit::StatusFromTextReply("NOT_STORED");
  if (status.code() != absl::StatusCode::kFailedPrecondition ||
      memkit::GetMcCode(status) != memkit::McCode::kNotStored) {
    std::fprintf(stderr, "unexpected status: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("memkit imported: %s\n", status.ToString().c_str());
  return 0;
}
