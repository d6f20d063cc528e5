#include "client/testing/backend.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/server_process.h"

namespace memkit {
namespace client {
namespace testing {
namespace {

using test_support::kMemcachedPath;

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

}  // namespace

const std::vector<Backend>& AllBackends() {
  static const std::vector<Backend>* const all =
      new std::vector<Backend>{Backend::kMemcached, Backend::kMemkitServer};
  return *all;
}

const char* BackendName(Backend backend) {
  switch (backend) {
    case Backend::kMemcached:
      return "memcached";
    case Backend::kMemkitServer:
      return "memkit";
  }
  return "unknown";
}

std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info) {
  return BackendName(info.param);
}

absl::StatusOr<std::string> BackendBinary(Backend backend) {
  if (backend == Backend::kMemcached) return std::string(kMemcachedPath);
  return test_support::MemkitServerPath();
}

bool SystemServerMissing(Backend backend) {
  return backend == Backend::kMemcached && !Executable(kMemcachedPath);
}

absl::StatusOr<MemcachedOptions> BackendOptions(Backend backend, const MemcachedOptions& base) {
  absl::StatusOr<std::string> path = BackendBinary(backend);
  if (!path.ok()) return path.status();
  MemcachedOptions options = base;
  options.binary = *path;
  return options;
}

}  // namespace testing
}  // namespace client
}  // namespace memkit
