// Backend: which memcached-compatible server binary a client test runs
// against. The client's tests are written once and run against each backend:
// real memcached (/usr/bin/memcached) and memkit's own memkit-server
// (//server:memkit-server, run as a subprocess through MemcachedProcess,
// which passes memcached's flags: both accept them).
//
// memkit-server is found through the environment variable
// MEMKIT_SERVER_BINARY, which the test's BUILD target sets to the binary's
// runfiles path (`data = MEMKIT_SERVER_DATA, env = MEMKIT_SERVER_ENV` in
// client/BUILD.bazel); `--test_env=MEMKIT_SERVER_BINARY=/path` points a run
// at another build.
//
// Thread-compatible. testonly.

#ifndef MEMKIT_CLIENT_TESTING_BACKEND_H_
#define MEMKIT_CLIENT_TESTING_BACKEND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/testing/memcached_process.h"
#include "gtest/gtest.h"

namespace memkit {
namespace client {
namespace testing {

enum class Backend {
  kMemcached,     // the real memcached
  kMemkitServer,  // //server:memkit-server
};

// Both, in that order: for ::testing::ValuesIn.
const std::vector<Backend>& AllBackends();

// "memcached", "memkit": usable in gtest parameter names.
const char* BackendName(Backend backend);

// For INSTANTIATE_TEST_SUITE_P(..., ::testing::ValuesIn(AllBackends()),
// BackendParamName).
std::string BackendParamName(const ::testing::TestParamInfo<Backend>& info);

// The absolute path of the backend's binary (test_support::MemkitServerPath()
// for memkit-server). FailedPrecondition (saying why) when
// MEMKIT_SERVER_BINARY is unset or not an executable; memcached's path is
// returned even if it is missing (see SystemServerMissing).
absl::StatusOr<std::string> BackendBinary(Backend backend);

// True when a test of `backend` should skip: it is the real memcached and it
// is not installed (a system package). A missing memkit-server is never a
// skip: it is a build dependency, so BackendOptions fails instead.
bool SystemServerMissing(Backend backend);

// MemcachedOptions that start `backend`, with `base`'s other fields.
absl::StatusOr<MemcachedOptions> BackendOptions(Backend backend, const MemcachedOptions& base = {});

}  // namespace testing
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_TESTING_BACKEND_H_
