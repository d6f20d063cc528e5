// memkit::admin::AdminServer: the gRPC server of memkit's admin API
// (admin.proto, package memkit.admin.v1). A component (memkit-server, the
// proxy, a program embedding client pools) creates one and plugs in its
// implementations of the Stats, Pools, Config, Cache and Testing services;
// AdminServer adds the standard grpc.health.v1.Health service and server
// reflection (grpc.reflection.v1alpha) so that generic gRPC tools work.
//
//   AdminServerOptions options;
//   options.listen = "127.0.0.1:0";                // port 0: OS-chosen
//   options.services = {&my_stats, &my_config};    // not owned
//   auto admin = AdminServer::Create(options);     // serving
//   int port = (*admin)->port();
//
// Safety rules, checked by Create():
// - it listens on loopback unless told otherwise; a non-loopback address
//   needs a token (or `insecure`, which says the operator accepts an open
//   admin port);
// - with a token, every call (health and reflection too) must carry the
//   metadata `authorization: Bearer TOKEN`; a call without it, or with a
//   wrong one, fails UNAUTHENTICATED before any handler runs;
// - with a certificate and key, the port speaks TLS only.
//
// Thread-safety: Create(), Shutdown() and the destructor from one owning
// thread; the accessors from any thread. The plugged-in services are called
// from gRPC's threads, concurrently.

#ifndef MEMKIT_CORE_ADMIN_ADMIN_SERVER_H_
#define MEMKIT_CORE_ADMIN_ADMIN_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace memkit {
namespace admin {

struct AdminServerOptions {
  // HOST:PORT to listen on ("[::1]:PORT" for IPv6); port 0: OS-chosen (see
  // AdminServer::port()).
  std::string listen = "127.0.0.1:0";
  // A file whose content (surrounding whitespace trimmed) is the bearer
  // token every call must present. Empty: no token.
  std::string token_file;
  // The token itself, for programs that hold it in memory; token_file wins.
  std::string token;
  // PEM files of the server's certificate (chain) and private key: both or
  // neither. With them the port speaks TLS only.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Allow a non-loopback listen address without a token.
  bool insecure = false;
  // The services to serve (generated memkit.admin.v1 ...::Service
  // subclasses, or any other gRPC service). Not owned; they must outlive the
  // AdminServer.
  std::vector<grpc::Service*> services;
  // How long Shutdown() lets running calls (streams above all) finish before
  // cancelling them.
  absl::Duration shutdown_grace = absl::Milliseconds(500);
};

// True for addresses only this machine can reach: 127.0.0.0/8, ::1,
// "localhost". `host` is without port or brackets.
bool IsLoopbackHost(absl::string_view host);

// Splits "HOST:PORT" or "[V6]:PORT"; InvalidArgument if malformed. The host
// is returned without brackets.
absl::Status SplitHostPort(absl::string_view address, std::string* host, int* port);

class AdminServer {
 public:
  // Checks the options (InvalidArgument: a non-loopback address without a
  // token or `insecure`, half a TLS pair, an empty token file; NotFound: a
  // file that cannot be read), binds (Unavailable if it cannot) and serves.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Create(const AdminServerOptions& options);
  // Shutdown().
  ~AdminServer();

  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The port it listens on (the chosen one when 0 was asked for).
  int port() const { return port_; }
  // "HOST:PORT" with the real port ("[::1]:PORT" for IPv6): what a client
  // dials.
  const std::string& address() const { return address_; }
  bool tls() const { return tls_; }
  bool requires_token() const { return requires_token_; }

  // Stops accepting calls, gives running ones `shutdown_grace`, then
  // cancels them and returns. Idempotent.
  void Shutdown();

 private:
  AdminServer() = default;

  // ---- constant after Create
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;
  bool tls_ = false;
  bool requires_token_ = false;
  absl::Duration shutdown_grace_;
  // ---- owner thread only
  bool shut_down_ = false;
};

}  // namespace admin
}  // namespace memkit

#endif  // MEMKIT_CORE_ADMIN_ADMIN_SERVER_H_
