// memkit-proxy in front of two real memcached servers, driven by real
// clients: libmemcached's memccapable (ascii -a and binary -b: every test
// must pass, as it does against memcached 1.6.18 itself), and pymemcache /
// pylibmc (Debian's /usr/bin/python3) through pymemcache_through_proxy.py.

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "proxy/proxy_test_util.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace proxy {
namespace {

constexpr char kMemccapable[] = "/usr/bin/memccapable";
constexpr char kPython[] = "/usr/bin/python3";

class ProxyPeersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backends = testing::StartMemcached(2);
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = std::move(*backends);
    auto proxy =
        testing::StartProxy({"--servers=" + testing::ServerList(backends_), "-t", "2"});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
  }

  void RunMemccapable(const std::string& mode, int expected_tests) {
    ASSERT_EQ(access(kMemccapable, X_OK), 0) << kMemccapable << " is missing (libmemcached-tools)";
    std::vector<std::string> argv = {kMemccapable, "-h", "127.0.0.1", "-p",
                                     absl::StrCat(proxy_->port()), "-t", "5", mode};
    auto run = test_support::RunCommand(argv, absl::Seconds(90));
    ASSERT_TRUE(run.ok()) << run.status();
    const std::string context =
        absl::StrCat("`", absl::StrJoin(argv, " "), "` printed:\n", run->output);
    ASSERT_FALSE(run->timed_out) << context;
    EXPECT_EQ(run->exit_code, 0) << context;
    EXPECT_TRUE(absl::StrContains(run->output, "All tests passed")) << context;
    EXPECT_FALSE(absl::StrContains(run->output, "[FAIL]")) << context;
    int passed = 0;
    for (absl::string_view line : absl::StrSplit(run->output, '\n')) {
      if (absl::EndsWith(line, "[pass]")) ++passed;
    }
    EXPECT_EQ(passed, expected_tests) << context;
    EXPECT_TRUE(proxy_->CheckAlive().ok()) << context;
  }

  std::vector<std::unique_ptr<test_support::ServerProcess>> backends_;
  std::unique_ptr<test_support::ServerProcess> proxy_;
};

TEST_F(ProxyPeersTest, MemccapableAscii) { RunMemccapable("-a", 27); }

TEST_F(ProxyPeersTest, MemccapableBinary) { RunMemccapable("-b", 27); }

TEST_F(ProxyPeersTest, PymemcacheAndPylibmc) {
  ASSERT_EQ(access(kPython, X_OK), 0) << kPython << " is missing";
  const char* script = std::getenv("PROXY_PY_SCRIPT");
  ASSERT_NE(script, nullptr);
  // RunCommand has no environment option: pass the address through env(1).
  std::vector<std::string> argv = {"/usr/bin/env",
                                   absl::StrCat("MEMKIT_PROXY=127.0.0.1:", proxy_->port()),
                                   kPython, script};
  auto run = test_support::RunCommand(argv, absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_FALSE(run->timed_out) << run->output;
  EXPECT_EQ(run->exit_code, 0) << run->output;
  EXPECT_TRUE(absl::StrContains(run->output, "OK")) << run->output;
  EXPECT_TRUE(proxy_->CheckAlive().ok());
}

}  // namespace
}  // namespace proxy
}  // namespace memkit
