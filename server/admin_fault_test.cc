// The admin API under faults (issue #15), black-box: memkit-server started on
// OS-chosen ports with its admin API, then wrong and missing tokens, TLS
// mismatches in both directions, raw non-gRPC bytes, malformed protobufs and
// huge repeated fields sent at it while a memcached client keeps working.
// What must hold: a refused call executes nothing, every fault gets a clear
// gRPC error (never a hang or a crash), and the server keeps serving both its
// admin API and memcached traffic, with zero failed memcached requests.
//
// The memkit-server binary: MEMKIT_SERVER_BINARY, set by the BUILD target.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/admin/admin.grpc.pb.h"
#include "core/admin/admin_test_util.h"
#include "core/net/address.h"
#include "gtest/gtest.h"
#include "server/server_test_util.h"
#include "tests/support/server_process.h"

namespace memkit {
namespace server {
namespace {

namespace v1 = ::memkit::admin::v1;
using ::memkit::admin::testing::MakeContext;
using ::memkit::admin::testing::PortAfter;
using test_support::ServerProcess;
using testing::TestConnection;

constexpr absl::Duration kDeadline = absl::Seconds(30);


std::unique_ptr<TestConnection> Connect(int port) {
  auto c = TestConnection::Connect(net::Address::IPv4Loopback(static_cast<uint16_t>(port)));
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

// A memcached client on its own thread doing set+get pairs until stopped,
// counting the pairs and any reply that is not the one memcached gives. The
// faults below must leave `failures` at 0.
class MemcachedLoad {
 public:
  explicit MemcachedLoad(int port) : port_(port) {
    thread_ = std::thread([this] { Run(); });
  }
  ~MemcachedLoad() { Stop(); }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int64_t pairs() const { return pairs_.load(); }
  int64_t failures() const { return failures_.load(); }
  std::string first_failure() const { return first_failure_; }  // after Stop()

 private:
  void Run() {
    auto c = Connect(port_);
    if (c == nullptr) {
      failures_.fetch_add(1);
      first_failure_ = "cannot connect";
      return;
    }
    for (int64_t i = 0; !stop_.load(); ++i) {
      const std::string key = absl::StrCat("load", i % 100);
      const std::string value = absl::StrCat("v", i);
      std::string set = c->Call(absl::StrCat("set ", key, " 0 0 ", value.size(), "\r\n", value,
                                             "\r\n"));
      std::string get = c->Call(absl::StrCat("get ", key, "\r\n"), "END\r\n");
      const std::string want =
          absl::StrCat("VALUE ", key, " 0 ", value.size(), "\r\n", value, "\r\nEND\r\n");
      if (set != "STORED\r\n" || get != want) {
        if (failures_.fetch_add(1) == 0) first_failure_ = set + get;
      } else {
        pairs_.fetch_add(1);
      }
    }
  }

  const int port_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> pairs_{0};
  std::atomic<int64_t> failures_{0};
  std::string first_failure_;  // written by the load thread before it ends
  std::thread thread_;
};

class AdminFaultTest : public ::testing::Test {
 protected:
  AdminFaultTest() : dir_(admin::testing::MakeTempDir("admin-fault")) {}

  void SetUp() override {
    absl::StatusOr<std::string> binary = test_support::MemkitServerPath();
    ASSERT_TRUE(binary.ok()) << binary.status();
    command_ = test_support::CommandFor(*binary, {"-v", "-t", "2"});
  }

  // memkit-server with --admin-listen=127.0.0.1:0 and `args`; sets
  // admin_port_. Null (and a failure) if it does not start.
  std::unique_ptr<ServerProcess> Start(std::vector<std::string> args) {
    args.insert(args.begin(), "--admin-listen=127.0.0.1:0");
    test_support::StartOptions options;
    options.ready_deadline = kDeadline;
    options.stop_grace = kDeadline;
    auto process = ServerProcess::Start(command_.With(args), options);
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return nullptr;
    admin_port_ = PortAfter((*process)->LogTail(std::string::npos), "admin-listen: 127.0.0.1:");
    EXPECT_GT(admin_port_, 0) << (*process)->LogTail();
    return admin_port_ > 0 ? std::move(*process) : nullptr;
  }

  std::string AdminAddress() const { return absl::StrCat("127.0.0.1:", admin_port_); }

  std::shared_ptr<grpc::Channel> PlainChannel() const {
    return grpc::CreateChannel(AdminAddress(), grpc::InsecureChannelCredentials());
  }

  // A TLS channel trusting `root_pem`, expecting the name "localhost".
  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& root_pem) const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = root_pem;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(AdminAddress(), grpc::SslCredentials(ssl), args);
  }

  const std::string dir_;
  test_support::ServerCommand command_;
  int admin_port_ = 0;
};

grpc::Status GetStats(const std::shared_ptr<grpc::Channel>& channel, absl::string_view token) {
  v1::GetStatsResponse response;
  return v1::Stats::NewStub(channel)->GetStats(MakeContext(token).get(), v1::GetStatsRequest(),
                                               &response);
}

// A context carrying `value` as the whole authorization header.
std::unique_ptr<grpc::ClientContext> RawAuthContext(const std::string& value) {
  auto context = MakeContext();
  context->AddMetadata("authorization", value);
  return context;
}

TEST_F(AdminFaultTest, WrongOrMissingTokenExecutesNothing) {
  const std::string token_file = dir_ + "/token";
  ASSERT_TRUE(admin::testing::WriteFile(token_file, "s3cret-token\n"));
  auto server = Start({"--admin-token-file=" + token_file, "--enable-test-controls"});
  ASSERT_NE(server, nullptr);
  auto c = Connect(server->port());
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->Call("set kept 0 0 5\r\nvalue\r\n"), "STORED\r\n");
  auto channel = PlainChannel();
  auto cache = v1::Cache::NewStub(channel);
  auto testing = v1::Testing::NewStub(channel);

  // Every way of not presenting the token: none, wrong, a prefix, the token
  // with more after it, the wrong scheme, no scheme.
  std::vector<std::function<std::unique_ptr<grpc::ClientContext>()>> bad_contexts = {
      [] { return MakeContext(); },
      [] { return MakeContext("wrong"); },
      [] { return MakeContext("s3cret"); },
      [] { return MakeContext("s3cret-token2"); },
      [] { return RawAuthContext("Basic s3cret-token"); },
      [] { return RawAuthContext("s3cret-token"); },
      [] { return RawAuthContext(""); },
  };
  int refused = 0;
  for (size_t i = 0; i < bad_contexts.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("bad context #", i));
    // Each of these would be visible on the memcached connection had it run.
    v1::FlushAllRequest flush;
    v1::FlushAllResponse flushed;
    grpc::Status s = cache->FlushAll(bad_contexts[i]().get(), flush, &flushed);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    EXPECT_FALSE(s.error_message().empty());
    refused += s.error_code() == grpc::StatusCode::UNAUTHENTICATED;

    v1::SetFaultRequest fault;
    fault.mutable_fail_commands()->set_count(1000);
    fault.mutable_fail_commands()->set_message("injected");
    v1::SetFaultResponse armed;
    s = testing->SetFault(bad_contexts[i]().get(), fault, &armed);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    refused += s.error_code() == grpc::StatusCode::UNAUTHENTICATED;

    v1::AdvanceClockRequest advance;
    advance.set_delta_ms(3600 * 1000);
    v1::AdvanceClockResponse moved;
    s = testing->AdvanceClock(bad_contexts[i]().get(), advance, &moved);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    refused += s.error_code() == grpc::StatusCode::UNAUTHENTICATED;

    v1::CloseConnectionsRequest close;
    close.set_all(true);
    v1::CloseConnectionsResponse closed;
    s = cache->CloseConnections(bad_contexts[i]().get(), close, &closed);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    refused += s.error_code() == grpc::StatusCode::UNAUTHENTICATED;
  }
  EXPECT_EQ(refused, static_cast<int>(bad_contexts.size()) * 4);
  std::printf("FIGURE refused_calls %d\n", refused);

  // Nothing ran: the item is there (no flush, no fault, no clock move to
  // expire a 1 s item below), and the same connection is still open.
  EXPECT_EQ(c->Call("get kept\r\n", "END\r\n"), "VALUE kept 0 5\r\nvalue\r\nEND\r\n");
  ASSERT_EQ(c->Call("set short 0 1 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(c->Call("get short\r\n", "END\r\n"), "VALUE short 0 1\r\nx\r\nEND\r\n");

  // The right token runs the same call.
  v1::FlushAllResponse flushed;
  grpc::Status s = cache->FlushAll(MakeContext("s3cret-token").get(), v1::FlushAllRequest(),
                                   &flushed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(c->Call("get kept\r\n", "END\r\n"), "END\r\n");
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->LogTail();
}

TEST_F(AdminFaultTest, TlsMismatchesFailClearlyAndLeaveTheServerServing) {
  auto cert = admin::testing::MakeTestCertificate(dir_);
  ASSERT_TRUE(cert.ok()) << cert.status();
  // A second, unrelated certificate: a client trusting only it must refuse
  // the server's.
  const std::string other_dir = admin::testing::MakeTempDir("admin-fault-other");
  auto other = admin::testing::MakeTestCertificate(other_dir);
  ASSERT_TRUE(other.ok()) << other.status();

  {
    SCOPED_TRACE("TLS admin port");
    auto server = Start({"--admin-tls-cert=" + cert->cert_file,
                         "--admin-tls-key=" + cert->key_file});
    ASSERT_NE(server, nullptr);
    MemcachedLoad load(server->port());
    for (int round = 0; round < 5; ++round) {
      // A plaintext gRPC client: UNAVAILABLE, with a reason.
      grpc::Status plain = GetStats(PlainChannel(), "");
      EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();
      EXPECT_FALSE(plain.error_message().empty());
      // A TLS client that does not trust the certificate: UNAVAILABLE.
      grpc::Status untrusted = GetStats(TlsChannel(other->cert_pem), "");
      EXPECT_EQ(untrusted.error_code(), grpc::StatusCode::UNAVAILABLE)
          << untrusted.error_message();
      // Raw bytes that are neither TLS nor HTTP/2: the port hangs up.
      auto raw = Connect(admin_port_);
      ASSERT_NE(raw, nullptr);
      ASSERT_TRUE(raw->Send("stats\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
      EXPECT_TRUE(raw->WaitForClose(absl::Seconds(10)));
      // A proper TLS client is served meanwhile.
      grpc::Status good = GetStats(TlsChannel(cert->cert_pem), "");
      EXPECT_TRUE(good.ok()) << good.error_message();
    }
    load.Stop();
    EXPECT_EQ(load.failures(), 0) << load.first_failure();
    EXPECT_GT(load.pairs(), 0);
    std::printf("FIGURE memcached_set_get_pairs %lld failures %lld\n",
                static_cast<long long>(load.pairs()), static_cast<long long>(load.failures()));
    EXPECT_EQ(server->Stop(SIGTERM), 0) << server->LogTail();
  }
  {
    SCOPED_TRACE("plaintext admin port");
    auto server = Start({});
    ASSERT_NE(server, nullptr);
    MemcachedLoad load(server->port());
    for (int round = 0; round < 5; ++round) {
      // A TLS client at a plaintext port: its handshake fails, UNAVAILABLE.
      grpc::Status tls = GetStats(TlsChannel(cert->cert_pem), "");
      EXPECT_EQ(tls.error_code(), grpc::StatusCode::UNAVAILABLE) << tls.error_message();
      EXPECT_FALSE(tls.error_message().empty());
      // A TLS ClientHello's first bytes by hand, then silence: the port
      // hangs up (HTTP/2's preface is wrong) instead of waiting forever.
      auto raw = Connect(admin_port_);
      ASSERT_NE(raw, nullptr);
      ASSERT_TRUE(raw->Send(std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10)).ok());
      EXPECT_TRUE(raw->WaitForClose(absl::Seconds(10)));
      grpc::Status good = GetStats(PlainChannel(), "");
      EXPECT_TRUE(good.ok()) << good.error_message();
    }
    load.Stop();
    EXPECT_EQ(load.failures(), 0) << load.first_failure();
    EXPECT_GT(load.pairs(), 0);
    std::printf("FIGURE memcached_set_get_pairs %lld failures %lld\n",
                static_cast<long long>(load.pairs()), static_cast<long long>(load.failures()));
    EXPECT_EQ(server->Stop(SIGTERM), 0) << server->LogTail();
  }
}

// `bytes` as the request of `method` ("/memkit.admin.v1.Cache/FlushAll"),
// bypassing the generated stubs' serialization.
grpc::Status RawUnaryCall(grpc::GenericStub& stub, const std::string& method,
                          const std::string& bytes) {
  auto context = MakeContext();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

TEST_F(AdminFaultTest, MalformedAndHugeRequestsGetCleanErrorsUnderLoad) {
  auto server = Start({"--enable-test-controls"});
  ASSERT_NE(server, nullptr);
  auto watched = Connect(server->port());  // must survive every call below
  ASSERT_NE(watched, nullptr);
  ASSERT_EQ(watched->Call("set kept 0 0 5\r\nvalue\r\n"), "STORED\r\n");
  MemcachedLoad load(server->port());
  auto channel = PlainChannel();
  grpc::GenericStub generic(channel);
  auto cache = v1::Cache::NewStub(channel);

  // Well-formed admin calls on another thread the whole time: each succeeds.
  std::atomic<bool> stop{false};
  std::atomic<int> good_calls{0};
  std::atomic<int> bad_calls{0};
  std::thread poller([&] {
    while (!stop.load()) {
      (GetStats(channel, "").ok() ? good_calls : bad_calls).fetch_add(1);
    }
  });

  // Truncated protobufs: a length-delimited field 1 announcing 2^32-ish bytes
  // that never come, and a varint that never ends. Every method refuses them
  // before its handler runs (gRPC's parse failure is INTERNAL).
  const std::vector<std::string> malformed = {
      std::string("\x0a\xff\xff\xff\xff\x0f", 6),
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),
  };
  const std::vector<std::string> methods = {
      "/memkit.admin.v1.Stats/GetStats",        "/memkit.admin.v1.Config/GetConfig",
      "/memkit.admin.v1.Cache/FlushAll",        "/memkit.admin.v1.Cache/ListConnections",
      "/memkit.admin.v1.Cache/CloseConnections", "/memkit.admin.v1.Testing/AdvanceClock",
      "/memkit.admin.v1.Testing/SetFault",      "/memkit.admin.v1.Testing/CloseAllConnections",
  };
  for (const std::string& method : methods) {
    for (const std::string& bytes : malformed) {
      grpc::Status s = RawUnaryCall(generic, method, bytes);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << method << ": " << s.error_message();
    }
  }

  // Too many ids for one CloseConnections: INVALID_ARGUMENT, nothing closed.
  v1::CloseConnectionsRequest many;
  for (int64_t i = 0; i < 70000; ++i) many.add_ids(1000000000 + i);
  v1::CloseConnectionsResponse closed;
  grpc::Status s = cache->CloseConnections(MakeContext().get(), many, &closed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  // The most it takes, all unknown ids: served, nothing closed.
  many.mutable_ids()->Truncate(1 << 16);
  s = cache->CloseConnections(MakeContext().get(), many, &closed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(closed.closed(), 0);

  // A request past gRPC's 4 MiB receive limit (a million 9-byte ids):
  // RESOURCE_EXHAUSTED before any handler sees it, three times over.
  v1::CloseConnectionsRequest huge;
  for (int64_t i = 0; i < 1000000; ++i) huge.add_ids((int64_t{1} << 60) + i);
  ASSERT_GT(huge.ByteSizeLong(), 4u << 20);
  for (int i = 0; i < 3; ++i) {
    s = cache->CloseConnections(MakeContext().get(), huge, &closed);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }

  stop.store(true);
  poller.join();
  load.Stop();
  EXPECT_EQ(bad_calls.load(), 0);
  EXPECT_GT(good_calls.load(), 0);
  EXPECT_EQ(load.failures(), 0) << load.first_failure();
  EXPECT_GT(load.pairs(), 0);
  std::printf("FIGURE good_admin_calls %d memcached_set_get_pairs %lld failures %lld\n",
              good_calls.load(), static_cast<long long>(load.pairs()),
              static_cast<long long>(load.failures()));
  // Nothing malformed was acted on: no flush, no close, no clock move.
  EXPECT_EQ(watched->Call("get kept\r\n", "END\r\n"), "VALUE kept 0 5\r\nvalue\r\nEND\r\n");
  int serving = 0;
  ASSERT_TRUE(admin::testing::HealthCheck(channel, "", &serving).ok());
  EXPECT_EQ(serving, 1);
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->LogTail();
}

}  // namespace
}  // namespace server
}  // namespace memkit
