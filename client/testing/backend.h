// Backend: which memcached-compatible server binary a client test runs
// against. The client's tests are written once and run against each backend:
// real memcached (/usr/bin/memcached) and memkit's own memkit-server
// (//server:memkit-server, run as a subprocess through MemcachedProcess,
// which passes memcached's flags: both accept them).
//
// memkit-server is found through the environment variable
// MEMKIT_SERVER_BINARY, which the test's BUILD target sets to the binary's
// runfiles path (`env = {"MEMKIT_SERVER_BINARY": "$(rootpath
// //server:memkit-server)"}`); `--test_env=MEMKIT_SERVER_BINARY=/path` points
// a run at another build. Without it, the runfiles tree is searched
// (TEST_SRCDIR, RUNFILES_DIR, then <executable>.runfiles).
//
// Thread-compatible. testonly.

#ifndef MEMKIT_CLIENT_TESTING_BACKEND_H_
#define MEMKIT_CLIENT_TESTING_BACKEND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/testing/memcached_process.h"

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

// The absolute path of the backend's binary. NotFound (with what was tried)
// when memkit-server cannot be located; memcached's path is returned even if
// it is missing (BackendAvailable says whether it is there).
absl::StatusOr<std::string> BackendBinary(Backend backend);

// Whether the binary exists and is executable. Tests skip on a missing real
// memcached (it is a system package) but fail on a missing memkit-server
// (it is a build dependency: its absence is a broken build, not a skip).
bool BackendAvailable(Backend backend);

// MemcachedOptions that start `backend`, with `base`'s other fields.
absl::StatusOr<MemcachedOptions> BackendOptions(Backend backend, const MemcachedOptions& base = {});

}  // namespace testing
}  // namespace client
}  // namespace memkit

#endif  // MEMKIT_CLIENT_TESTING_BACKEND_H_
