// The test-support package itself: the launcher starts real memcached and
// memkit-server on an OS-chosen port that really serves, stops and restarts
// them; scratch directories vanish; Eventually() polls to a deadline.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace test_support {
namespace {

// Sends "version\r\n" to 127.0.0.1:port and returns the reply line, or "".
std::string AskVersion(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      write(fd, "version\r\n", 9) == 9) {
    char buf[256];
    while (!absl::EndsWith(reply, "\r\n")) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return reply;
}

TEST(ParsePortFileTest, ReadsMemcachedsFormat) {
  EXPECT_EQ(*ParsePortFile("TCP INET: 41234\n"), 41234);
  EXPECT_EQ(*ParsePortFile("UDP INET: 1\nTCP INET6: 5000\nTCP INET: 6000\n"), 5000);
  EXPECT_TRUE(absl::IsNotFound(ParsePortFile("").status()));
  EXPECT_TRUE(absl::IsNotFound(ParsePortFile("TCP INET: 0\n").status()));
  EXPECT_TRUE(absl::IsNotFound(ParsePortFile("UDP INET: 11211\n").status()));
}

std::string MemkitServer() { return MemkitServerPath().value_or(""); }

class ServerProcessTest : public ::testing::TestWithParam<bool> {
 protected:
  // The real memcached (false) or memkit-server (true).
  ServerCommand Command() {
    return CommandFor(GetParam() ? MemkitServer() : kMemcachedPath, {"-t", "1"});
  }
  void SetUp() override {
    if (!GetParam() && access(kMemcachedPath, X_OK) != 0) GTEST_SKIP() << "no memcached";
    ASSERT_FALSE(Command().path.empty()) << "MEMKIT_SERVER_BINARY is unset";
  }
};

TEST_P(ServerProcessTest, ServesOnTheReportedPortStopsAndRestarts) {
  auto server = ServerProcess::Start(Command());
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  EXPECT_EQ((*server)->address(), absl::StrCat("127.0.0.1:", port));
  EXPECT_TRUE(absl::StartsWith(AskVersion(port), "VERSION ")) << (*server)->Describe();
  EXPECT_TRUE((*server)->CheckAlive().ok());
  // SIGTERM stops both gracefully; the port is closed afterwards.
  EXPECT_EQ((*server)->Stop(), 0);
  EXPECT_FALSE((*server)->running());
  EXPECT_EQ(AskVersion(port), "");
  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_EQ((*server)->port(), port);
  EXPECT_TRUE(absl::StartsWith(AskVersion(port), "VERSION "));
}

// Writes `line` to 127.0.0.1:port and closes; true if all of it was sent.
bool SendAndClose(int port, absl::string_view line) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  close(fd);
  return ok;
}

TEST_P(ServerProcessTest, ExitsByItselfOrIsKilled) {
  ServerCommand command = Command();
  command.args.push_back("-A");  // the shutdown command
  auto server = ServerProcess::Start(command);
  ASSERT_TRUE(server.ok()) << server.status();
  const pid_t pid = (*server)->pid();
  ASSERT_GT(pid, 0);
  struct stat st;
  EXPECT_EQ(stat(absl::StrCat("/proc/", pid).c_str(), &st), 0);
  EXPECT_EQ((*server)->WaitForExit(absl::Milliseconds(20)), std::nullopt);  // still serving
  ASSERT_TRUE(SendAndClose((*server)->port(), "shutdown\r\n"));
  EXPECT_EQ((*server)->WaitForExit(absl::Seconds(10)), 0) << (*server)->LogTail();
  EXPECT_EQ((*server)->Stop(), 0);  // only reaps
  EXPECT_EQ((*server)->pid(), 0);

  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_EQ((*server)->Stop(SIGKILL), 128 + SIGKILL);
}

TEST_P(ServerProcessTest, TwoServersGetTwoPorts) {
  auto a = ServerProcess::Start(Command());
  auto b = ServerProcess::Start(Command());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE((*a)->port(), (*b)->port());
}

TEST_P(ServerProcessTest, UnixSocket) {
  ServerCommand command = Command();
  command.unix_socket = absl::StrCat("/tmp/memkit-support-", getpid(), ".sock");
  auto server = ServerProcess::Start(command);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->address(), command.unix_socket);
  struct stat st;
  EXPECT_EQ(stat(command.unix_socket.c_str(), &st), 0);
  (*server)->Stop();
  EXPECT_NE(stat(command.unix_socket.c_str(), &st), 0);
}

TEST_P(ServerProcessTest, BadFlagIsReportedWithTheLog) {
  ServerCommand command = Command();
  command.args.push_back("--no-such-flag");
  auto server = ServerProcess::Start(command);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::IsUnavailable(server.status())) << server.status();
  EXPECT_TRUE(absl::StrContains(server.status().message(), "exited with code")) << server.status();
  // The same start-up run to its end.
  absl::StatusOr<CommandResult> run = RunServerToExit(command, absl::Seconds(10));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_NE(run->exit_code, 0) << run->output;
  EXPECT_TRUE(absl::StrContains(run->output, "no-such-flag")) << run->output;
}

INSTANTIATE_TEST_SUITE_P(Servers, ServerProcessTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "memkit" : "memcached");
                         });

TEST(RunServerToExitTest, AServerThatKeepsRunningIsDeadlineExceeded) {
  if (access(kMemcachedPath, X_OK) != 0) GTEST_SKIP() << "no memcached";
  absl::StatusOr<CommandResult> run =
      RunServerToExit(CommandFor(kMemcachedPath, {"-t", "1"}), absl::Milliseconds(300));
  EXPECT_TRUE(absl::IsDeadlineExceeded(run.status())) << run.status();
}

TEST(MemkitServerPathTest, FromTheEnvironment) {
  absl::StatusOr<std::string> path = MemkitServerPath();
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_TRUE(absl::EndsWith(*path, "memkit-server")) << *path;
  EXPECT_EQ((*path)[0], '/') << *path;  // absolute
  const std::string saved = *path;
  unsetenv("MEMKIT_SERVER_BINARY");
  EXPECT_TRUE(absl::IsFailedPrecondition(MemkitServerPath().status()));
  setenv("MEMKIT_SERVER_BINARY", "/nonexistent/memkit-server", 1);
  EXPECT_TRUE(absl::IsFailedPrecondition(MemkitServerPath().status()));
  setenv("MEMKIT_SERVER_BINARY", saved.c_str(), 1);
}

TEST(CommandForTest, LabelledWithTheProgramsName) {
  EXPECT_EQ(CommandFor("/usr/bin/memcached").label, "memcached");
  EXPECT_EQ(CommandFor("memkit-server").label, "memkit-server");
  EXPECT_EQ(CommandFor("").label, "server");
  const ServerCommand base = CommandFor("memkit-server", {"-v"});
  EXPECT_EQ(base.With({"-t", "2"}).args, (std::vector<std::string>{"-v", "-t", "2"}));
  EXPECT_EQ(base.args, std::vector<std::string>{"-v"});
}

TEST(ServerProcessStartTest, MissingProgramIsFailedPrecondition) {
  auto server = ServerProcess::Start(CommandFor("/nonexistent/memcached"));
  EXPECT_TRUE(absl::IsFailedPrecondition(server.status())) << server.status();
}

TEST(ScratchDirTest, RemovedWithEverythingInside) {
  std::string path;
  {
    auto dir = ScratchDir::Create("support-test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    path = (*dir)->path();
    ASSERT_EQ(mkdir((*dir)->Path("sub").c_str(), 0700), 0);
    std::ofstream((*dir)->Path("sub/file")) << "data";
    std::ofstream((*dir)->Path("top")) << "data";
    struct stat st;
    ASSERT_EQ(stat((*dir)->Path("sub/file").c_str(), &st), 0);
  }
  struct stat st;
  EXPECT_NE(stat(path.c_str(), &st), 0) << path << " still exists";
}

TEST(ScratchDirTest, EachIsNew) {
  auto a = ScratchDir::Create("support-test");
  auto b = ScratchDir::Create("support-test");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->path(), (*b)->path());
}

TEST(EventuallyTest, ReturnsOnceThePredicateHolds) {
  int calls = 0;
  EXPECT_TRUE(Eventually([&] { return ++calls == 5; }, absl::Seconds(10)));
  EXPECT_EQ(calls, 5);
}

TEST(EventuallyTest, GivesUpAtTheDeadline) {
  int calls = 0;
  const absl::Time start = absl::Now();
  EXPECT_FALSE(Eventually([&] { return ++calls < 0; }, absl::Milliseconds(50)));
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(50));
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_GT(calls, 1);
}

}  // namespace
}  // namespace test_support
}  // namespace memkit
