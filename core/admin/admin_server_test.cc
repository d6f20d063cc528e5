#include "core/admin/admin_server.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/admin_test_util.h"
#include "core/admin/stats_service.h"
#include "gtest/gtest.h"

namespace memkit {
namespace admin {
namespace {

using ::memkit::admin::testing::HealthCheck;
using ::memkit::admin::testing::MakeContext;
using ::memkit::admin::testing::MakeTempDir;
using ::memkit::admin::testing::ReflectionFileOfSymbol;
using ::memkit::admin::testing::ReflectionListServices;
using ::memkit::admin::testing::WriteFile;

// A provider whose GetStats is recognisable (and counts its calls, so a test
// can tell that a rejected call executed nothing).
class CountingProvider : public StatsProvider {
 public:
  std::string component() const override { return "test-component"; }
  void Collect(StatsBuilder* b) override {
    calls_.fetch_add(1);
    b->BeginScope(v1::SCOPE_KIND_COMPONENT, "test-component");
    b->AddCounter("requests_total", "Requests.", 7);
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

class AdminServerTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<AdminServer>> Start(AdminServerOptions options) {
    options.services = {&stats_};
    return AdminServer::Create(options);
  }

  static std::shared_ptr<grpc::Channel> Plain(const AdminServer& server) {
    return grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  }

  static grpc::Status CallGetStats(const std::shared_ptr<grpc::Channel>& channel,
                                   absl::string_view token, v1::GetStatsResponse* response) {
    auto stub = v1::Stats::NewStub(channel);
    auto context = MakeContext(token);
    return stub->GetStats(context.get(), v1::GetStatsRequest(), response);
  }

  CountingProvider provider_;
  StatsService stats_{&provider_};
};

TEST_F(AdminServerTest, ServesOnAnOsChosenLoopbackPort) {
  auto server = Start(AdminServerOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->address(), absl::StrCat("127.0.0.1:", (*server)->port()));
  EXPECT_FALSE((*server)->requires_token());
  v1::GetStatsResponse response;
  ASSERT_TRUE(CallGetStats(Plain(**server), "", &response).ok());
  EXPECT_EQ(response.snapshot().component(), "test-component");
  ASSERT_EQ(response.snapshot().scopes_size(), 1);
  EXPECT_EQ(response.snapshot().scopes(0).counters(0).value(), 7u);
}

TEST_F(AdminServerTest, RefusesNonLoopbackWithoutTokenOrInsecure) {
  AdminServerOptions options;
  options.listen = "0.0.0.0:0";
  auto refused = Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("--admin-insecure"), std::string::npos);

  options.insecure = true;
  auto open = Start(options);
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ((*open)->address(), absl::StrCat("127.0.0.1:", (*open)->port()));

  options.insecure = false;
  options.token = "s3cret";
  auto guarded = Start(options);
  ASSERT_TRUE(guarded.ok()) << guarded.status();
}

TEST_F(AdminServerTest, RejectsBadOptions) {
  AdminServerOptions options;
  options.listen = "127.0.0.1";
  EXPECT_EQ(Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.listen = "127.0.0.1:0";
  options.tls_cert_file = "/nonexistent/cert.pem";
  EXPECT_EQ(Start(options).status().code(), absl::StatusCode::kInvalidArgument);  // no key
  options.tls_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(Start(options).status().code(), absl::StatusCode::kNotFound);
  options = AdminServerOptions();
  options.token_file = "/nonexistent/token";
  EXPECT_EQ(Start(options).status().code(), absl::StatusCode::kNotFound);
  const std::string dir = MakeTempDir("admin-empty-token");
  ASSERT_TRUE(WriteFile(dir + "/token", " \n"));
  options.token_file = dir + "/token";
  EXPECT_EQ(Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AdminServerTest, PortInUseIsUnavailable) {
  auto first = Start(AdminServerOptions());
  ASSERT_TRUE(first.ok());
  AdminServerOptions options;
  options.listen = (*first)->address();
  auto second = Start(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(AdminServerTest, TokenFileGuardsEveryCall) {
  const std::string dir = MakeTempDir("admin-token");
  ASSERT_TRUE(WriteFile(dir + "/token", "right-token\n"));
  AdminServerOptions options;
  options.token_file = dir + "/token";
  auto server = Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->requires_token());
  auto channel = Plain(**server);

  v1::GetStatsResponse response;
  grpc::Status missing = CallGetStats(channel, "", &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED) << missing.error_message();
  grpc::Status wrong = CallGetStats(channel, "wrong-token", &response);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(provider_.calls(), 0);  // nothing executed

  // A token differing only in length is wrong too.
  EXPECT_EQ(CallGetStats(channel, "right-token-and-more", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  grpc::Status right = CallGetStats(channel, "right-token", &response);
  ASSERT_TRUE(right.ok()) << right.error_message();
  EXPECT_EQ(provider_.calls(), 1);
  EXPECT_EQ(response.snapshot().component(), "test-component");

  // Health and reflection are guarded as well.
  int serving = 0;
  EXPECT_EQ(HealthCheck(channel, "", &serving).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(HealthCheck(channel, "right-token", &serving).ok());
  EXPECT_EQ(serving, 1);
  std::vector<std::string> services;
  EXPECT_EQ(ReflectionListServices(channel, "wrong", &services).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ReflectionListServices(channel, "right-token", &services).ok());
}

TEST_F(AdminServerTest, HealthAnswersServing) {
  auto server = Start(AdminServerOptions());
  ASSERT_TRUE(server.ok());
  int serving = 0;
  grpc::Status status = HealthCheck(Plain(**server), "", &serving);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(serving, 1);  // SERVING
}

TEST_F(AdminServerTest, ReflectionListsAndDescribesServices) {
  auto server = Start(AdminServerOptions());
  ASSERT_TRUE(server.ok());
  auto channel = Plain(**server);
  std::vector<std::string> services;
  grpc::Status status = ReflectionListServices(channel, "", &services);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto has = [&](const std::string& name) {
    return std::find(services.begin(), services.end(), name) != services.end();
  };
  EXPECT_TRUE(has("memkit.admin.v1.Stats"));
  EXPECT_TRUE(has("grpc.health.v1.Health"));
  EXPECT_TRUE(has("grpc.reflection.v1alpha.ServerReflection"));

  std::string file;
  std::vector<std::string> declared;
  status = ReflectionFileOfSymbol(channel, "", "memkit.admin.v1.Stats", &file, &declared);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(file, "core/admin/admin.proto");
  for (const char* name : {"Stats", "Pools", "Config", "Cache", "Testing"}) {
    EXPECT_NE(std::find(declared.begin(), declared.end(), name), declared.end()) << name;
  }
}

TEST_F(AdminServerTest, TlsWithTokenServesOnlyTls) {
  const std::string dir = MakeTempDir("admin-tls");
  auto cert = testing::MakeTestCertificate(dir);
  ASSERT_TRUE(cert.ok()) << cert.status();
  AdminServerOptions options;
  options.tls_cert_file = cert->cert_file;
  options.tls_key_file = cert->key_file;
  options.token = "tls-token";
  auto server = Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->tls());

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = cert->cert_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto tls_channel =
      grpc::CreateCustomChannel((*server)->address(), grpc::SslCredentials(ssl), args);
  v1::GetStatsResponse response;
  grpc::Status ok = CallGetStats(tls_channel, "tls-token", &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(response.snapshot().component(), "test-component");
  EXPECT_EQ(CallGetStats(tls_channel, "", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // A plaintext client cannot talk to the TLS port.
  grpc::Status plain = CallGetStats(Plain(**server), "tls-token", &response);
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();
}

TEST(LoopbackTest, RecognisesLoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost(""));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("127.example.com:"));
  std::string host;
  int port = -1;
  ASSERT_TRUE(SplitHostPort("[::1]:80", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 80);
  EXPECT_FALSE(SplitHostPort("::1:80", &host, &port).ok());
  EXPECT_FALSE(SplitHostPort("host:99999", &host, &port).ok());
}

}  // namespace
}  // namespace admin
}  // namespace memkit
