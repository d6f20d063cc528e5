// -Y (ASCII authentication), black-box and side by side: every case runs
// against real memcached 1.6.18 started with -Y and against memkit-server
// started with the same arguments, and must get the replies memcached
// 1.6.18 gives (the expected strings below were read off memcached; the
// test checks both servers against them, so a memcached that disagrees
// fails too).

#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "server/server_test_util.h"
#include "tests/support/eventually.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace server {
namespace {

using test_support::CommandFor;
using test_support::ServerProcess;
using testing::StatValue;
using testing::TestConnection;

constexpr char kUsers[] = "alice:secret\nbob:pw2\n";

enum class Target { kMemcached, kMemkit };

class AuthDifferentialTest : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    auto dir = test_support::ScratchDir::Create("memkit-auth");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
    users_ = dir_->Path("users");
    Write(users_, kUsers);
  }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }

  std::string Binary() const {
    if (GetParam() == Target::kMemcached) return test_support::kMemcachedPath;
    auto path = test_support::MemkitServerPath();
    return path.ok() ? *path : "";
  }

  std::unique_ptr<ServerProcess> Start(std::vector<std::string> args) {
    auto server = ServerProcess::Start(CommandFor(Binary(), std::move(args)));
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? std::move(*server) : nullptr;
  }

  std::unique_ptr<TestConnection> Connect(const ServerProcess& server) {
    auto conn = TestConnection::Connect(net::Address::IPv4Loopback(server.port()));
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  std::unique_ptr<test_support::ScratchDir> dir_;
  std::string users_;
};

struct Exchange {
  const char* send;
  const char* reply;  // what comes back, up to and including its last \r\n
};

// One connection per case; each request is sent once the previous reply has
// come back.
const std::vector<std::vector<Exchange>>& Cases() {
  static const auto* cases = new std::vector<std::vector<Exchange>>{
      // Nothing runs before the login; the login is a set of "user pass".
      {{"get foo\r\n", "CLIENT_ERROR unauthenticated\r\n"},
       {"version\r\n", "CLIENT_ERROR unauthenticated\r\n"},
       {"quit\r\n", "CLIENT_ERROR unauthenticated\r\n"},
       // Any five-word set line is a login attempt.
       {"set x 0 0 1\r\nz\r\n", "CLIENT_ERROR bad authentication token format\r\n"},
       {"set a 0 0 12\r\nalice secret\r\n", "STORED\r\n"},
       {"get x\r\n", "END\r\n"},
       {"set x 0 0 1\r\nz\r\n", "STORED\r\n"},
       {"get x\r\n", "VALUE x 0 1\r\nz\r\nEND\r\n"}},
      // Failures, and what the data block must look like.
      {{"set a 0 0 9\r\nalice bad\r\n", "CLIENT_ERROR authentication failure\r\n"},
       {"set a 0 0 5\r\nalice\r\n", "CLIENT_ERROR bad authentication token format\r\n"},
       {"set a 0 0 5 noreply\r\nalice\r\n", "CLIENT_ERROR bad authentication token format\r\n"},
       {"set a 0 0 12\r\nalice secretXY", "CLIENT_ERROR bad command line termination\r\n"},
       {"\r\n", "CLIENT_ERROR unauthenticated\r\n"},
       {"set a 0 0 -1\r\n", "CLIENT_ERROR unauthenticated\r\n"},
       {"set a 0\r\n", "CLIENT_ERROR unauthenticated\r\n"},
       {"SET a 0 0 12\r\n", "CLIENT_ERROR unauthenticated\r\n"},
       {"set a 0 0 12\r\nalice SECRET\r\n", "CLIENT_ERROR authentication failure\r\n"},
       // Words after the password are ignored, and so is a bare \n.
       {"set a 0 0 16\nalice secret ext\r\n", "STORED\r\n"},
       {"get nothing\r\n", "END\r\n"}},
      // The data arrives in pieces.
      {{"set k 0 0 7\r\n", ""}, {"bob ", ""}, {"pw2\r\n", "STORED\r\n"}},
      // memcached keeps one response per read while unauthenticated: only
      // the last reply of a batch is sent.
      {{"bogus\r\nset a 0 0 3\r\nbob\r\n", "CLIENT_ERROR bad authentication token format\r\n"},
       {"get a\r\nset a 0 0 7\r\nbob pw2\r\nget a\r\n", "STORED\r\nEND\r\n"}},
      // A binary client is read as text.
      {{"\x80\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
        "\x00\x00",
        "CLIENT_ERROR unauthenticated\r\n"}},
  };
  return *cases;
}

TEST_P(AuthDifferentialTest, RepliesBeforeAndAfterLogin) {
  auto server = Start({"-Y", users_});
  ASSERT_NE(server, nullptr);
  for (size_t i = 0; i < Cases().size(); ++i) {
    SCOPED_TRACE(absl::StrCat("case ", i));
    auto conn = Connect(*server);
    ASSERT_NE(conn, nullptr);
    std::string expected_so_far;
    for (const Exchange& e : Cases()[i]) {
      // The binary case holds NULs: its length is the header's 24 bytes.
      const std::string send = e.send[0] == '\x80' ? std::string(e.send, 24) : std::string(e.send);
      ASSERT_TRUE(conn->Send(send).ok());
      expected_so_far += e.reply;
      if (std::string(e.reply).empty()) continue;
      auto got = conn->ReadUntil(e.reply);
      ASSERT_TRUE(got.ok()) << "sent " << absl::CEscape(send) << ": " << got.status();
      EXPECT_EQ(*got, e.reply) << "sent " << absl::CEscape(send);
    }
  }
}

TEST_P(AuthDifferentialTest, CountsAuthCommandsAndShowsSettings) {
  auto server = Start({"-Y", users_});
  ASSERT_NE(server, nullptr);
  auto conn = Connect(*server);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->Call("set a 0 0 9\r\nalice bad\r\n"), "CLIENT_ERROR authentication failure\r\n");
  EXPECT_EQ(conn->Call("set a 0 0 5\r\nalice\r\n"),
            "CLIENT_ERROR bad authentication token format\r\n");
  EXPECT_EQ(conn->Call("set a 0 0 12\r\nalice secret\r\n"), "STORED\r\n");
  const std::string stats = conn->Call("stats\r\n", "END\r\n");
  EXPECT_EQ(StatValue(stats, "auth_cmds"), "2");
  EXPECT_EQ(StatValue(stats, "auth_errors"), "1");
  const std::string settings = conn->Call("stats settings\r\n", "END\r\n");
  // memcached prints a stat's value into 127 bytes: a long path is cut.
  EXPECT_EQ(StatValue(settings, "auth_enabled_ascii"), users_.substr(0, 126));
  EXPECT_EQ(StatValue(settings, "auth_enabled_sasl"), "no");
  EXPECT_EQ(StatValue(settings, "binding_protocol"), "ascii");
}

TEST_P(AuthDifferentialTest, SighupReloadsTheUserFile) {
  auto server = Start({"-Y", users_});
  ASSERT_NE(server, nullptr);
  Write(users_, "carol:new\n");
  ASSERT_EQ(kill(server->pid(), SIGHUP), 0);
  // memcached reloads on its next clock tick: poll with a deadline.
  EXPECT_TRUE(test_support::Eventually([&] {
    auto conn = Connect(*server);
    return conn != nullptr && conn->Call("set a 0 0 9\r\ncarol new\r\n") == "STORED\r\n";
  }));
  auto conn = Connect(*server);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->Call("set a 0 0 12\r\nalice secret\r\n"),
            "CLIENT_ERROR authentication failure\r\n");
  // A malformed file on reload keeps the users that were loaded.
  Write(users_, "carol:new\n\nbroken\n");
  ASSERT_EQ(kill(server->pid(), SIGHUP), 0);
  EXPECT_TRUE(server->CheckAlive().ok());
  EXPECT_EQ(conn->Call("set a 0 0 9\r\ncarol new\r\n"), "STORED\r\n");
}

TEST_P(AuthDifferentialTest, RefusesToStartOnABadFileOrProtocol) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-Y", "/nonexistent/users"},
           {"-Y", "USERS", "-B", "binary"},
           {"-Y", "USERS", "-B", "auto"},
           {"-Y", "MALFORMED"}}) {
    std::vector<std::string> real = args;
    for (std::string& a : real) {
      if (a == "USERS") a = users_;
      if (a == "MALFORMED") {
        a = dir_->Path("malformed");
        Write(a, "alice:secret\nnocolon\n");
      }
    }
    SCOPED_TRACE(absl::StrJoin(real, " "));
    auto server = ServerProcess::Start(CommandFor(Binary(), real));
    EXPECT_FALSE(server.ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, AuthDifferentialTest,
                         ::testing::Values(Target::kMemcached, Target::kMemkit),
                         [](const ::testing::TestParamInfo<Target>& info) {
                           return info.param == Target::kMemcached ? "memcached" : "memkit";
                         });

}  // namespace
}  // namespace server
}  // namespace memkit
