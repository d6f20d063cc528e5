// memkit-server's admin flags, black-box: the binary started on an OS-chosen
// port (//tests/support's launcher) with
// --admin-listen=127.0.0.1:0, queried over gRPC and /metrics, its clock and
// faults driven through the Testing service and seen on a memcached
// connection; tokens; refused configurations; a clean SIGTERM.
//
// The memkit-server binary: MEMKIT_SERVER_BINARY, set by the BUILD target.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/admin_test_util.h"
#include "core/net/address.h"
#include "gtest/gtest.h"
#include "server/server_test_util.h"
#include "tests/support/server_process.h"
#include "tests/support/subprocess.h"

namespace memkit {
namespace server {
namespace {

namespace v1 = ::memkit::admin::v1;
using ::memkit::admin::testing::MakeContext;
using ::memkit::admin::testing::PortAfter;
using test_support::ServerProcess;
using testing::TestConnection;

constexpr absl::Duration kDeadline = absl::Seconds(30);


// memkit-server -v with its admin API, started by the shared launcher. The
// admin and /metrics ports are read from the lines it prints before it
// reports its memcached port, so they are known once it has started.
class AdminServer {
 public:
  explicit AdminServer(std::unique_ptr<ServerProcess> process)
      : process_(std::move(process)),
        admin_port_(PortAfter(log(), "admin-listen: 127.0.0.1:")),
        metrics_port_(PortAfter(log(), "metrics-listen: 127.0.0.1:")) {}

  // Sends `sig`; the exit code (SIGKILL after the deadline: 137).
  int Stop(int sig) { return process_->Stop(sig); }

  std::unique_ptr<TestConnection> Connect() {
    auto c = TestConnection::Connect(net::Address::IPv4Loopback(static_cast<uint16_t>(port())));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", admin_port_),
                               grpc::InsecureChannelCredentials());
  }

  std::string log() const { return process_->LogTail(std::string::npos); }
  int port() const { return process_->port(); }
  int admin_port() const { return admin_port_; }
  int metrics_port() const { return metrics_port_; }

 private:
  const std::unique_ptr<ServerProcess> process_;
  const int admin_port_;
  const int metrics_port_;
};

class AdminBinaryTest : public ::testing::Test {
 protected:
  AdminBinaryTest() : dir_(admin::testing::MakeTempDir("admin-binary")) {}

  void SetUp() override {
    absl::StatusOr<std::string> binary = test_support::MemkitServerPath();
    ASSERT_TRUE(binary.ok()) << binary.status();
    memkit_server_ = test_support::CommandFor(*binary, {"-v"});
  }

  // Null (and a failure) when it does not start or prints no admin port.
  std::unique_ptr<AdminServer> Start(const std::vector<std::string>& args) {
    test_support::StartOptions options;
    options.ready_deadline = kDeadline;
    options.stop_grace = kDeadline;
    auto process = ServerProcess::Start(memkit_server_.With(args), options);
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return nullptr;
    auto server = std::make_unique<AdminServer>(*std::move(process));
    EXPECT_GT(server->admin_port(), 0) << server->log();
    EXPECT_GT(server->metrics_port(), 0) << server->log();
    if (server->admin_port() <= 0 || server->metrics_port() <= 0) return nullptr;
    return server;
  }

  const std::string dir_;
  test_support::ServerCommand memkit_server_;  // -v: its log lines are checked
};

TEST_F(AdminBinaryTest, ServesTheAdminApiAndMetricsOnPortZero) {
  const std::string port_file = dir_ + "/admin.port";
  auto server = Start({"--admin-listen=127.0.0.1:0", "--admin-port-file", port_file,
                       "--metrics-listen=127.0.0.1:0", "--enable-test-controls"});
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->admin_port(), 0);
  EXPECT_EQ(absl::StripAsciiWhitespace(test_support::ReadFileOrEmpty(port_file)),
            absl::StrCat(server->admin_port()));
  auto channel = server->Channel();

  // Stats.
  auto c = server->Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->Call("set k 0 60 1\r\nv\r\n"), "STORED\r\n");
  auto stats = v1::Stats::NewStub(channel);
  v1::GetStatsRequest request;
  request.set_include_memcached_stats(true);
  v1::GetStatsResponse response;
  grpc::Status s = stats->GetStats(MakeContext().get(), request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.snapshot().component(), "memkit-server");
  ASSERT_EQ(response.snapshot().scopes_size(), 2);
  EXPECT_EQ(response.snapshot().scopes(1).name(), absl::StrCat("127.0.0.1:", server->port()));
  bool found_items = false;
  for (const auto& m : response.snapshot().scopes(1).memcached_stats()) {
    if (m.name() == "curr_items") found_items = m.value() == "1";
  }
  EXPECT_TRUE(found_items);

  // Config shows the command line.
  v1::GetConfigResponse config;
  ASSERT_TRUE(v1::Config::NewStub(channel)
                  ->GetConfig(MakeContext().get(), v1::GetConfigRequest(), &config)
                  .ok());
  EXPECT_NE(std::find(config.command_line().begin(), config.command_line().end(),
                      "--enable-test-controls"),
            config.command_line().end());

  // Testing: the clock moves the item's expiry; an injected failure is seen.
  auto testing = v1::Testing::NewStub(channel);
  v1::AdvanceClockRequest advance;
  advance.set_delta_ms(61000);
  v1::AdvanceClockResponse moved;
  s = testing->AdvanceClock(MakeContext().get(), advance, &moved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(c->Call("get k\r\n", "END\r\n"), "END\r\n");
  v1::SetFaultRequest fail;
  fail.mutable_fail_commands()->set_count(1);
  fail.mutable_fail_commands()->set_message("busy");
  v1::SetFaultResponse armed;
  ASSERT_TRUE(testing->SetFault(MakeContext().get(), fail, &armed).ok());
  EXPECT_EQ(c->Call("get k\r\n"), "SERVER_ERROR busy\r\n");

  // Health and reflection for generic tools.
  int serving = 0;
  ASSERT_TRUE(admin::testing::HealthCheck(channel, "", &serving).ok());
  EXPECT_EQ(serving, 1);
  std::vector<std::string> services;
  ASSERT_TRUE(admin::testing::ReflectionListServices(channel, "", &services).ok());
  for (const char* name :
       {"memkit.admin.v1.Stats", "memkit.admin.v1.Pools", "memkit.admin.v1.Config",
        "memkit.admin.v1.Cache", "memkit.admin.v1.Testing"}) {
    EXPECT_NE(std::find(services.begin(), services.end(), name), services.end()) << name;
  }

  // /metrics, checked by promtool.
  auto scrape = admin::testing::HttpGet(server->metrics_port(), "/metrics");
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  const std::string body = admin::testing::HttpBody(*scrape);
  EXPECT_TRUE(absl::StrContains(body, "memkit_cmd_set_total{server=")) << body;
  auto promtool = admin::testing::RunPromtoolCheckMetrics(body);
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_EQ(promtool->exit_status, 0) << promtool->output;

  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->log();
}

TEST_F(AdminBinaryTest, TokenFileAndNoTestControls) {
  const std::string token_file = dir_ + "/token";
  ASSERT_TRUE(admin::testing::WriteFile(token_file, "t0ken\n"));
  auto server = Start({"--admin-listen=127.0.0.1:0", "--admin-token-file=" + token_file,
                       "--metrics-listen=127.0.0.1:0"});
  ASSERT_NE(server, nullptr);
  auto stats = v1::Stats::NewStub(server->Channel());
  v1::GetStatsResponse response;
  EXPECT_EQ(stats->GetStats(MakeContext().get(), v1::GetStatsRequest(), &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      stats->GetStats(MakeContext("nope").get(), v1::GetStatsRequest(), &response).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(stats->GetStats(MakeContext("t0ken").get(), v1::GetStatsRequest(), &response).ok());

  v1::AdvanceClockResponse moved;
  grpc::Status s =
      v1::Testing::NewStub(server->Channel())
          ->AdvanceClock(MakeContext("t0ken").get(), v1::AdvanceClockRequest(), &moved);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "--enable-test-controls"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(AdminBinaryTest, TlsFlags) {
  auto cert = admin::testing::MakeTestCertificate(dir_);
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto server = Start({"--admin-listen=127.0.0.1:0", "--admin-tls-cert=" + cert->cert_file,
                       "--admin-tls-key", cert->key_file, "--metrics-listen=127.0.0.1:0"});
  ASSERT_NE(server, nullptr);
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = cert->cert_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server->admin_port()),
                                           grpc::SslCredentials(ssl), args);
  v1::GetStatsResponse response;
  grpc::Status s =
      v1::Stats::NewStub(channel)->GetStats(MakeContext().get(), v1::GetStatsRequest(), &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.snapshot().component(), "memkit-server");
  EXPECT_EQ(v1::Stats::NewStub(server->Channel())
                ->GetStats(MakeContext().get(), v1::GetStatsRequest(), &response)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);  // plaintext refused
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(AdminBinaryTest, RefusesAnOpenNonLoopbackAdminPort) {
  // Each run to its end: the server must refuse to start.
  auto open =
      test_support::RunServerToExit(memkit_server_.With({"--admin-listen=0.0.0.0:0"}), kDeadline);
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->exit_code, 64) << open->output;
  EXPECT_TRUE(absl::StrContains(open->output, "--admin-insecure")) << open->output;

  auto missing = test_support::RunServerToExit(
      memkit_server_.With({"--admin-listen=127.0.0.1:0", "--admin-token-file=/nonexistent/token"}),
      kDeadline);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->exit_code, 64) << missing->output;

  auto bad_flag = test_support::RunServerToExit(memkit_server_.With({"--admin-listen"}), kDeadline);
  ASSERT_TRUE(bad_flag.ok()) << bad_flag.status();
  // getopt's missing argument: memcached's status 1 (flags.h).
  EXPECT_EQ(bad_flag->exit_code, 1) << bad_flag->output;
}

}  // namespace
}  // namespace server
}  // namespace memkit
