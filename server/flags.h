// memkit-server's command line: memcached 1.6's flags (those memkit really
// supports) parsed into ServerOptions. Short and long forms as memcached's
// getopt_long takes them ("-p 11211", "-p11211", "--port=11211",
// "--port 11211", "-vv"), sizes with k/m/g suffixes, -o's comma-separated
// extended options. Anything unknown, unsupported or malformed is an error
// whose message is one line naming the flag and the value.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_SERVER_FLAGS_H_
#define MEMKIT_SERVER_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/server.h"

namespace memkit {
namespace server {

struct ServerFlags {
  ServerOptions options;
  bool help = false;     // -h: print Usage() and exit 0
  bool version = false;  // -V: print the version and exit 0
  std::string user;      // -u: drop privileges to this user when run as root
  std::string pidfile;   // -P: write the process id here
  bool protocol_given = false;  // -B appeared (memcached's rules for -Y and -S)

  // ---- the admin API (docs/admin.md); memkit extensions, long form only
  // --admin-listen=HOST:PORT: serve the gRPC admin API there (port 0: any
  // free port, printed to stderr as "admin-listen: HOST:PORT"). Empty: off.
  std::string admin_listen;
  // --admin-port-file=FILE: write the admin port chosen (a line) there.
  std::string admin_port_file;
  // --admin-token-file=FILE: every admin call must send "authorization:
  // Bearer <the file's content>".
  std::string admin_token_file;
  // --admin-tls-cert=FILE, --admin-tls-key=FILE: serve the admin API over TLS.
  std::string admin_tls_cert;
  std::string admin_tls_key;
  // --admin-insecure: allow a non-loopback --admin-listen without a token.
  bool admin_insecure = false;
  // --metrics-listen=HOST:PORT: serve Prometheus text on GET /metrics (port
  // 0: any free port, printed as "metrics-listen: HOST:PORT"). Empty: off.
  std::string metrics_listen;
  // --enable-test-controls: serve the admin API's Testing service (move the
  // clock, inject faults, drop connections), as the in-process FakeServer.
  // Never in production.
  bool enable_test_controls = false;
};

// `args` excludes the program name. InvalidArgument with a one-line message.
// The options are validated (ValidateServerOptions) unless -h or -V was given.
absl::StatusOr<ServerFlags> ParseServerFlags(const std::vector<std::string>& args);

// The -h text: every flag memkit-server supports, with its default.
std::string ServerUsage();

// Parses "64", "64k", "2m", "1g" (case-insensitive suffix; `unit` multiplies
// a bare number). InvalidArgument on anything else or on overflow.
absl::StatusOr<size_t> ParseSizeFlag(const std::string& text, size_t unit);

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_FLAGS_H_
