// memkit-server's command line: every flag and -o suboption of memcached
// 1.6.18, parsed as memcached parses them (glibc getopt_long's short
// clusters, long forms, unique-prefix abbreviations and error messages;
// memcached's atoi/atof/safe_strtoul value rules, its checks, in its order,
// with its messages and exit statuses), into ServerOptions. Options memkit
// has no machinery for land in ServerOptions::tunables (tunables.h) and are
// reported by "stats settings". -S, -Y, -Z and the ssl_* suboptions are
// not parsed here yet (authentication and TLS).
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
  bool license = false;  // -i: print the license and exit 0
  std::string user;      // -u: drop privileges to this user when run as root
  std::string pidfile;   // -P: write the process id here
  bool daemonize = false;         // -d: fork, setsid, stdio to /dev/null
  bool enable_coredumps = false;  // -r: raise the core file limit
  bool lock_memory = false;       // -k: mlockall(MCL_CURRENT | MCL_FUTURE)
  // What memcached prints on stderr without failing (e.g. -t above 64).
  std::vector<std::string> warnings;
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

// `args` excludes the program name; `program` prefixes getopt's messages as
// argv[0] does memcached's. An error is InvalidArgument whose message is
// exactly what memcached prints on stderr (one or two lines, no final
// newline); FlagErrorExitCode() gives its exit status. The options are
// validated (ValidateServerOptions) unless -h, -i or -V was given.
absl::StatusOr<ServerFlags> ParseServerFlags(const std::vector<std::string>& args,
                                             const std::string& program = "memkit-server");

// The exit status memcached has for a ParseServerFlags error: 1 for a bad
// option value, 64 (EX_USAGE) for the checks after parsing, 71 (EX_OSERR).
int FlagErrorExitCode(const absl::Status& status);

// The -h text: the flags memkit-server honours, with their defaults, then
// the ones it accepts without effect.
std::string ServerUsage();

// The -i text.
std::string ServerLicense();

// Parses "64", "64k", "2m", "1g" (case-insensitive suffix; `unit` multiplies
// a bare number). InvalidArgument on anything else or on overflow.
absl::StatusOr<size_t> ParseSizeFlag(const std::string& text, size_t unit);

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_FLAGS_H_
