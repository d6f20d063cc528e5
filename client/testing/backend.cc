#include "client/testing/backend.h"

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace memkit {
namespace client {
namespace testing {
namespace {

constexpr char kMemcachedPath[] = "/usr/bin/memcached";
constexpr char kEnvVar[] = "MEMKIT_SERVER_BINARY";
// The binary's path inside the runfiles tree (workspace "memkit").
constexpr char kRunfilesPath[] = "memkit/server/memkit-server";

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
  std::vector<std::string> tried;
  const std::string from_env = Getenv(kEnvVar);
  if (!from_env.empty()) {
    const std::string path = Absolute(from_env);
    if (Executable(path)) return path;
    // Set but wrong: say so rather than quietly run something else.
    return absl::NotFoundError(
        absl::StrCat(kEnvVar, "=", from_env, " is not an executable (", path, ")"));
  }
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const std::string dir = Getenv(var);
    if (dir.empty()) continue;
    tried.push_back(absl::StrCat(dir, "/", kRunfilesPath));
  }
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0)
    tried.push_back(
        absl::StrCat(std::string(exe, static_cast<size_t>(n)), ".runfiles/", kRunfilesPath));
  for (const std::string& path : tried) {
    if (Executable(path)) return path;
  }
  return absl::NotFoundError(absl::StrCat("memkit-server not found: ", kEnvVar,
                                          " is unset and none of [", absl::StrJoin(tried, ", "),
                                          "] exists; add //server:memkit-server to the test's "
                                          "data and env"));
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

absl::StatusOr<std::string> BackendBinary(Backend backend) {
  if (backend == Backend::kMemcached) return std::string(kMemcachedPath);
  return FindMemkitServer();
}

bool BackendAvailable(Backend backend) {
  absl::StatusOr<std::string> path = BackendBinary(backend);
  return path.ok() && Executable(*path);
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
