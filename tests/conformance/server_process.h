// Which servers the conformance harness runs: the reference (real memcached
// 1.6.18) and the server under test, as commands for the shared launcher
// (tests/support/server_process.h), which starts each on an OS-chosen
// 127.0.0.1 port and stops its process group when done.
//
// Which command is the server under test is decided in ONE place, the
// `server_under_test` alias in tests/conformance/BUILD.bazel, which targets
// pass in as a runfiles path; $MEMKIT_SUT overrides it for ad-hoc runs.
//
// Thread-safety: plain functions.

#ifndef MEMKIT_TESTS_CONFORMANCE_SERVER_PROCESS_H_
#define MEMKIT_TESTS_CONFORMANCE_SERVER_PROCESS_H_

#include <string>
#include <vector>

#include "tests/support/server_process.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace conformance {

using test_support::ReadFileOrEmpty;
using test_support::RunCommand;
using test_support::ServerCommand;
using test_support::ServerProcess;
using test_support::SpawnOptions;
using test_support::StartOptions;
using test_support::Subprocess;
using test_support::TempRoot;

// The server under test: $MEMKIT_SUT if set, else `default_path` (the runfiles
// path Bazel passed in). Extra arguments from $MEMKIT_SUT_ARGS (split on
// spaces) follow `args`, so a deliberately different server can be tried
// without editing anything: --test_env=MEMKIT_SUT_ARGS="-I 2m".
ServerCommand ServerUnderTest(const std::string& default_path, std::vector<std::string> args);

// The reference server: $MEMKIT_REFERENCE if set, else `default_path`;
// extra arguments from $MEMKIT_REFERENCE_ARGS.
ServerCommand ReferenceServer(const std::string& default_path, std::vector<std::string> args);

}  // namespace conformance
}  // namespace memkit

#endif  // MEMKIT_TESTS_CONFORMANCE_SERVER_PROCESS_H_
