#include "client/testing/backend.h"

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace client {
namespace testing {
namespace {

constexpr char kMemcachedPath[] = "/usr/bin/memcached";
constexpr char kEnvVar[] = "MEMKIT_SERVER_BINARY";

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// A relative path is relative to the test's working directory (Bazel runs a
// test in its workspace's runfiles directory); MemcachedProcess execs it
// from there too, but an absolute path survives any later chdir.
std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return absl::StrCat(cwd, "/", path);
}

absl::StatusOr<std::string> FindMemkitServer() {
  const std::string from_env = Getenv(kEnvVar);
  if (from_env.empty()) {
    return absl::NotFoundError(absl::StrCat(kEnvVar, " is unset: add MEMKIT_SERVER_DATA and "
                                            "MEMKIT_SERVER_ENV (client/BUILD.bazel) to the test"));
  }
  const std::string path = Absolute(from_env);
  if (!Executable(path)) {
    return absl::NotFoundError(
        absl::StrCat(kEnvVar, "=", from_env, " is not an executable (", path, ")"));
  }
  return path;
}

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
  return FindMemkitServer();
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
