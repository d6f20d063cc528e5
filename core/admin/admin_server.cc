#include "core/admin/admin_server.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace memkit {
namespace admin {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " file ", path));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// The bearer-token check, run by gRPC's server auth filter before a call
// reaches any service (so a rejected call executes nothing).
struct TokenCheck {
  std::string expected;  // "Bearer TOKEN"
};

// Compares without an early exit, so the time taken says nothing of how
// much of a guess was right.
bool SameSecret(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return diff == 0;
}

absl::string_view SliceView(const grpc_slice& slice) {
  return absl::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slice)),
                           GRPC_SLICE_LENGTH(slice));
}

void ProcessToken(void* state, grpc_auth_context* /*context*/, const grpc_metadata* md,
                  size_t num_md, grpc_process_auth_metadata_done_cb done, void* user_data) {
  const auto* check = static_cast<const TokenCheck*>(state);
  for (size_t i = 0; i < num_md; ++i) {
    if (SliceView(md[i].key) != "authorization") continue;
    if (SameSecret(SliceView(md[i].value), check->expected)) {
      done(user_data, &md[i], 1, nullptr, 0, GRPC_STATUS_OK, nullptr);
      return;
    }
    done(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_UNAUTHENTICATED,
         "wrong admin token (send the metadata authorization: Bearer TOKEN)");
    return;
  }
  done(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_UNAUTHENTICATED,
       "this admin port requires a token (send the metadata authorization: Bearer TOKEN)");
}

void DestroyTokenCheck(void* state) { delete static_cast<TokenCheck*>(state); }

// Server credentials over a gRPC core credentials object. grpc++ 1.51's
// InsecureServerCredentials() refuses an auth metadata processor, but the
// core's insecure credentials accept one; this wrapper lets the same token
// check guard plaintext and TLS ports alike.
class CoreServerCredentials final : public grpc::ServerCredentials {
 public:
  explicit CoreServerCredentials(grpc_server_credentials* creds) : creds_(creds) {}
  ~CoreServerCredentials() override { grpc_server_credentials_release(creds_); }

  // The token check is installed on the core credentials at creation.
  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor>& /*processor*/) override {}

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }

  grpc_server_credentials* const creds_;  // owned (one reference)
};

void InitGlobalPluginsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  });
}

}  // namespace

bool IsLoopbackHost(absl::string_view host) {
  if (absl::EqualsIgnoreCase(host, "localhost") || host == "::1") return true;
  return absl::StartsWith(host, "127.") && host.find(':') == absl::string_view::npos;
}

absl::Status SplitHostPort(absl::string_view address, std::string* host, int* port) {
  absl::string_view h;
  absl::string_view p;
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos || address.substr(close + 1, 1) != ":") {
      return absl::InvalidArgumentError(
          absl::StrCat("bad address \"", address, "\": want [V6]:PORT"));
    }
    h = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos || address.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad address \"", address, "\": want HOST:PORT"));
    }
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
  }
  int n = 0;
  if (!absl::SimpleAtoi(p, &n) || n < 0 || n > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in \"", address, "\""));
  }
  *host = std::string(h);
  *port = n;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Create(
    const AdminServerOptions& options) {
  std::string host;
  int requested_port = 0;
  if (absl::Status s = SplitHostPort(options.listen, &host, &requested_port); !s.ok()) return s;

  std::string token = options.token;
  if (!options.token_file.empty()) {
    absl::StatusOr<std::string> content = ReadFile(options.token_file, "admin token");
    if (!content.ok()) return content.status();
    token = std::string(absl::StripAsciiWhitespace(*content));
    if (token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the admin token file ", options.token_file, " is empty"));
    }
  }
  if (!IsLoopbackHost(host) && token.empty() && !options.insecure) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to serve the admin API on non-loopback address ", options.listen,
                     " without a token: give a token file, or say insecure (--admin-insecure)"));
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("admin TLS needs both a certificate and a key file");
  }

  grpc_server_credentials* core_creds = nullptr;
  if (!options.tls_cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(options.tls_cert_file, "admin TLS certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(options.tls_key_file, "admin TLS key");
    if (!key.ok()) return key.status();
    grpc_ssl_pem_key_cert_pair pair = {key->c_str(), cert->c_str()};
    core_creds = grpc_ssl_server_credentials_create_ex(
        nullptr, &pair, 1, GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE, nullptr);
    if (core_creds == nullptr) {
      return absl::InvalidArgumentError("the admin TLS certificate or key is not valid PEM");
    }
  } else {
    core_creds = grpc_insecure_server_credentials_create();
  }
  if (!token.empty()) {
    grpc_auth_metadata_processor processor;
    processor.process = ProcessToken;
    processor.destroy = DestroyTokenCheck;
    processor.state = new TokenCheck{absl::StrCat("Bearer ", token)};
    grpc_server_credentials_set_auth_metadata_processor(core_creds, processor);
  }
  auto creds = std::make_shared<CoreServerCredentials>(core_creds);

  InitGlobalPluginsOnce();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  // gRPC sets SO_REUSEPORT by default, which would let a second admin
  // server share a port already taken; an operator wants "address in use".
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.listen, creds, &bound_port);
  for (grpc::Service* service : options.services) builder.RegisterService(service);
  std::unique_ptr<AdminServer> admin(new AdminServer());
  admin->server_ = builder.BuildAndStart();
  if (admin->server_ == nullptr || bound_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve the admin API on ", options.listen, " (address in use?)"));
  }
  admin->port_ = bound_port;
  std::string dial_host = host;
  if (host.empty() || host == "0.0.0.0") dial_host = "127.0.0.1";
  if (host == "::") dial_host = "::1";
  admin->address_ = dial_host.find(':') != std::string::npos
                        ? absl::StrCat("[", dial_host, "]:", bound_port)
                        : absl::StrCat(dial_host, ":", bound_port);
  admin->tls_ = !options.tls_cert_file.empty();
  admin->requires_token_ = !token.empty();
  admin->shutdown_grace_ = options.shutdown_grace;
  return admin;
}

AdminServer::~AdminServer() { Shutdown(); }

void AdminServer::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::microseconds(absl::ToInt64Microseconds(shutdown_grace_)));
  server_->Wait();
}

}  // namespace admin
}  // namespace memkit
