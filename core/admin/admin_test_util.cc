#include "core/admin/admin_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/admin/testdata/wire_test.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/sync_stream.h"

namespace memkit {
namespace admin {
namespace testing {
namespace {

namespace td = ::memkit::admin::testdata;

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kReflection[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

// One request, one response on the reflection stream.
grpc::Status ReflectOnce(const std::shared_ptr<grpc::Channel>& channel, absl::string_view token,
                         const td::ServerReflectionRequest& request,
                         td::ServerReflectionResponse* response) {
  auto context = MakeContext(token);
  grpc::internal::RpcMethod method(kReflection, grpc::internal::RpcMethod::BIDI_STREAMING, channel);
  std::unique_ptr<
      grpc::ClientReaderWriter<td::ServerReflectionRequest, td::ServerReflectionResponse>>
      stream(grpc::internal::ClientReaderWriterFactory<
             td::ServerReflectionRequest, td::ServerReflectionResponse>::Create(channel.get(),
                                                                                method,
                                                                                context.get()));
  stream->Write(request);
  stream->WritesDone();
  const bool got = stream->Read(response);
  grpc::Status status = stream->Finish();
  if (status.ok() && !got) return grpc::Status(grpc::StatusCode::INTERNAL, "no reflection reply");
  return status;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::unique_ptr<grpc::ClientContext> MakeContext(absl::string_view token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  return context;
}

grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel, absl::string_view token,
                         int* serving_status) {
  auto context = MakeContext(token);
  grpc::internal::RpcMethod method(kHealthCheck, grpc::internal::RpcMethod::NORMAL_RPC, channel);
  td::HealthCheckRequest request;
  td::HealthCheckResponse response;
  grpc::Status status =
      grpc::internal::BlockingUnaryCall(channel.get(), method, context.get(), request, &response);
  if (status.ok()) *serving_status = response.status();
  return status;
}

grpc::Status ReflectionListServices(const std::shared_ptr<grpc::Channel>& channel,
                                    absl::string_view token, std::vector<std::string>* services) {
  td::ServerReflectionRequest request;
  request.set_list_services("");
  td::ServerReflectionResponse response;
  grpc::Status status = ReflectOnce(channel, token, request, &response);
  if (!status.ok()) return status;
  services->clear();
  for (const auto& s : response.list_services_response().service()) services->push_back(s.name());
  return status;
}

grpc::Status ReflectionFileOfSymbol(const std::shared_ptr<grpc::Channel>& channel,
                                    absl::string_view token, absl::string_view symbol,
                                    std::string* file_name, std::vector<std::string>* services) {
  td::ServerReflectionRequest request;
  request.set_file_containing_symbol(std::string(symbol));
  td::ServerReflectionResponse response;
  grpc::Status status = ReflectOnce(channel, token, request, &response);
  if (!status.ok()) return status;
  if (response.has_error_response()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, response.error_response().error_message());
  }
  // The first file is the one declaring the symbol; its imports follow.
  if (response.file_descriptor_response().file_descriptor_proto_size() == 0) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no file descriptor");
  }
  google::protobuf::FileDescriptorProto file;
  if (!file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0))) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unparseable FileDescriptorProto");
  }
  *file_name = file.name();
  services->clear();
  for (const auto& s : file.service()) services->push_back(s.name());
  return status;
}

std::string MakeTempDir(absl::string_view name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(base != nullptr ? base : "/tmp", "/", name, "-", getpid(), "-",
                                 absl::ToUnixNanos(absl::Now()));
  mkdir(dir.c_str(), 0700);
  return dir;
}

bool WriteFile(const std::string& path, absl::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return static_cast<bool>(out);
}

absl::StatusOr<TestCertificate> MakeTestCertificate(const std::string& dir) {
  if (access("/usr/bin/openssl", X_OK) != 0) {
    return absl::FailedPreconditionError(
        "/usr/bin/openssl is missing: install Debian's openssl (tools/setup.sh does)");
  }
  TestCertificate cert;
  cert.cert_file = dir + "/cert.pem";
  cert.key_file = dir + "/key.pem";
  const std::string command =
      absl::StrCat("/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost",
                   " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ", cert.key_file,
                   " -out ", cert.cert_file, " >", dir, "/openssl.log 2>&1");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("openssl req failed: ", ReadAll(dir + "/openssl.log")));
  }
  cert.cert_pem = ReadAll(cert.cert_file);
  return cert;
}

absl::StatusOr<std::string> HttpGet(int port, absl::string_view path, absl::Duration timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to 127.0.0.1:", port));
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("send failed");
  }
  std::string response;
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) {
      close(fd);
      return absl::DeadlineExceededError("HTTP response timed out");
    }
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[8192];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

std::string HttpBody(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

int PortAfter(const std::string& log, const std::string& prefix) {
  const size_t at = log.find(prefix);
  if (at == std::string::npos || log.find('\n', at) == std::string::npos) return 0;
  const size_t start = at + prefix.size();
  const size_t end = log.find_first_not_of("0123456789", start);
  int port = 0;
  return absl::SimpleAtoi(log.substr(start, end - start), &port) ? port : 0;
}

absl::StatusOr<PromtoolResult> RunPromtoolCheckMetrics(absl::string_view text) {
  const char* promtool = "/usr/bin/promtool";
  if (access(promtool, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "/usr/bin/promtool is missing: install Debian's prometheus package (tools/setup.sh does)");
  }
  const std::string dir = MakeTempDir("promtool");
  const std::string input = dir + "/scrape.txt";
  const std::string output = dir + "/promtool.out";
  if (!WriteFile(input, text)) return absl::InternalError("cannot write " + input);
  const std::string command =
      absl::StrCat(promtool, " check metrics < ", input, " > ", output, " 2>&1");
  const int raw = std::system(command.c_str());
  PromtoolResult result;
  result.exit_status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.output = ReadAll(output);
  return result;
}

}  // namespace testing
}  // namespace admin
}  // namespace memkit
