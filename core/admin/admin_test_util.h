// Helpers for tests of admin API servers (core/admin, server, proxy, client
// pools): the standard health and reflection services called through raw
// method paths, bearer-token contexts, a TLS certificate made with openssl,
// an HTTP GET for /metrics, and Debian's promtool.
//
// Thread-safety: each function is independent and safe from any thread.

#ifndef MEMKIT_CORE_ADMIN_ADMIN_TEST_UTIL_H_
#define MEMKIT_CORE_ADMIN_ADMIN_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace memkit {
namespace admin {
namespace testing {

// A context with a 10 s deadline and, if `token` is not empty, the metadata
// "authorization: Bearer TOKEN".
std::unique_ptr<grpc::ClientContext> MakeContext(absl::string_view token = "");

// grpc.health.v1.Health/Check for the whole server (service ""); fills
// `*serving_status` (1 = SERVING) on success.
grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel, absl::string_view token,
                         int* serving_status);

// grpc.reflection.v1alpha list_services: the fully qualified service names.
grpc::Status ReflectionListServices(const std::shared_ptr<grpc::Channel>& channel,
                                    absl::string_view token, std::vector<std::string>* services);

// grpc.reflection.v1alpha file_containing_symbol: the name of the .proto
// file declaring `symbol` and the services it declares.
grpc::Status ReflectionFileOfSymbol(const std::shared_ptr<grpc::Channel>& channel,
                                    absl::string_view token, absl::string_view symbol,
                                    std::string* file_name, std::vector<std::string>* services);

// A fresh directory under TEST_TMPDIR.
std::string MakeTempDir(absl::string_view name);
// Writes `content` to `path`; false on failure.
bool WriteFile(const std::string& path, absl::string_view content);

// A self-signed certificate for CN=localhost with subjectAltName localhost
// and 127.0.0.1, made by /usr/bin/openssl in `dir`. Paths of the PEM files.
struct TestCertificate {
  std::string cert_file;
  std::string key_file;
  std::string cert_pem;
};
absl::StatusOr<TestCertificate> MakeTestCertificate(const std::string& dir);

// GET `path` from 127.0.0.1:`port`: the whole HTTP response (status line,
// headers, body).
absl::StatusOr<std::string> HttpGet(int port, absl::string_view path,
                                    absl::Duration timeout = absl::Seconds(10));
// The body of an HTTP response ("" if it has none).
std::string HttpBody(const std::string& response);

// The port printed after `prefix` on a complete line of a program's `log`
// (memkit-server's "admin-listen: 127.0.0.1:" line, for one); 0 if none yet.
int PortAfter(const std::string& log, const std::string& prefix);

// Runs `promtool check metrics` on `text`. FailedPrecondition with a clear
// message if promtool is not installed; otherwise its exit status and output.
struct PromtoolResult {
  int exit_status = 0;
  std::string output;
};
absl::StatusOr<PromtoolResult> RunPromtoolCheckMetrics(absl::string_view text);

}  // namespace testing
}  // namespace admin
}  // namespace memkit

#endif  // MEMKIT_CORE_ADMIN_ADMIN_TEST_UTIL_H_
