// libmemcached's memccapable against the server under test: all tests, then
// ascii only (-a), then binary only (-b), each against a fresh server. Every
// test memccapable knows must be reported, and pass.
//
// Against real memcached 1.6.18 all 54 tests pass (27 ascii, 27 binary), so
// there is no list of tolerated failures; kKnownFailures says where one would
// go, with its reason.
//
//   memccapable_test --sut=PATH     ($MEMKIT_SUT overrides, see server_process.h)

#include <cstdio>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/conformance/peer_output.h"
#include "tests/conformance/server_process.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace conformance {
namespace {

constexpr const char* kMemccapable = "/usr/bin/memccapable";

// memccapable tests that fail against real memcached 1.6.18 itself, and why.
// Empty: every test passes there.
const std::set<std::string>& KnownFailures() {
  static const auto* known = new std::set<std::string>{};
  return *known;
}

std::string g_sut_path;

void RunMemccapable(const std::vector<std::string>& mode_flags,
                    const std::vector<std::string>& expected_tests) {
  ASSERT_EQ(access(kMemccapable, X_OK), 0)
      << kMemccapable << " is missing: run tools/setup.sh (Debian package libmemcached-tools)";
  auto server = ServerProcess::Start(ServerUnderTest(g_sut_path, {"-t", "2", "-m", "64"}));
  ASSERT_TRUE(server.ok()) << server.status();

  std::vector<std::string> argv = {kMemccapable, "-h", "127.0.0.1", "-p",
                                   absl::StrCat((*server)->port()), "-t", "5"};
  argv.insert(argv.end(), mode_flags.begin(), mode_flags.end());
  auto run = RunCommand(argv, absl::Seconds(90));
  ASSERT_TRUE(run.ok()) << run.status();
  std::string context = absl::StrCat("`", absl::StrJoin(argv, " "), "` against ",
                                     (*server)->Describe(), " printed:\n", run->output);
  ASSERT_FALSE(run->timed_out) << "memccapable did not finish in 90 s; " << context;
  EXPECT_TRUE((*server)->CheckAlive().ok()) << "the server died under memccapable; " << context;

  std::map<std::string, std::string> verdicts = ParseMemccapableVerdicts(run->output, expected_tests);
  std::vector<std::string> failed, missing;
  for (const std::string& test : expected_tests) {
    auto it = verdicts.find(test);
    if (it == verdicts.end()) {
      missing.push_back(test);
    } else if (it->second != "pass" && KnownFailures().count(test) == 0) {
      failed.push_back(absl::StrCat(test, " [", it->second, "]"));
    }
  }
  EXPECT_TRUE(failed.empty()) << failed.size() << " memccapable tests did not pass: "
                              << absl::StrJoin(failed, ", ") << "\n" << context;
  EXPECT_TRUE(missing.empty()) << "memccapable printed no verdict for: "
                               << absl::StrJoin(missing, ", ") << "\n" << context;
  if (KnownFailures().empty()) {
    EXPECT_EQ(run->exit_code, 0) << context;
    EXPECT_TRUE(absl::StrContains(run->output, "All tests passed")) << context;
  }
  std::printf("memccapable %s: %zu of %zu tests passed\n", absl::StrJoin(mode_flags, " ").c_str(),
              expected_tests.size() - failed.size() - missing.size(), expected_tests.size());
}

std::vector<std::string> AllTests() {
  std::vector<std::string> all = MemccapableAsciiTests();
  all.insert(all.end(), MemccapableBinaryTests().begin(), MemccapableBinaryTests().end());
  return all;
}

TEST(MemccapableTest, AllTests) { RunMemccapable({}, AllTests()); }

TEST(MemccapableTest, AsciiOnly) { RunMemccapable({"-a"}, MemccapableAsciiTests()); }

TEST(MemccapableTest, BinaryOnly) { RunMemccapable({"-b"}, MemccapableBinaryTests()); }

}  // namespace
}  // namespace conformance
}  // namespace memkit

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--sut=")) {
      memkit::conformance::g_sut_path = std::string(arg);
    } else {
      std::fprintf(stderr, "memccapable_test: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}
