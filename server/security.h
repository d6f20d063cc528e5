// The server's side of SecurityOptions (security_options.h): checking them,
// loading the user files and the TLS context into the ServerCore, and the
// auth and ssl_* lines of "stats" and "stats settings".
//
// Private to the server. Thread-safety: SetUpSecurity before the threads
// start; the stats writers from any thread.

#ifndef MEMKIT_SERVER_SECURITY_H_
#define MEMKIT_SERVER_SECURITY_H_

#include "absl/status/status.h"
#include "server/server.h"
#include "server/stats_writer.h"

namespace memkit {
namespace server {
namespace internal {

class ServerCore;

// memcached's startup rules for -Y, -S and -Z (its messages where it has
// them). InvalidArgument.
absl::Status ValidateSecurityOptions(const ServerOptions& options);

// Loads -Y's and -S's users (and -Z's certificates), and points the front
// end's options at them. NotFound/PermissionDenied/InvalidArgument as
// AuthFile::Create.
absl::Status SetUpSecurity(ServerCore* core);

// "stats": auth_cmds, auth_errors.
void WriteAuthStats(const ServerCore& core, StatSink sink);
// "stats": ssl_new_sessions (with a session cache), ssl_handshake_errors,
// time_since_server_cert_refresh; nothing without -Z.
void WriteTlsStats(const ServerCore& core, StatSink sink);
// "stats settings": auth_enabled_sasl, auth_enabled_ascii.
void WriteAuthSettings(const ServerCore& core, StatSink sink);
// "stats settings": the ssl_* keys, from ssl_enabled to ssl_min_version.
void WriteTlsSettings(const ServerCore& core, StatSink sink);

}  // namespace internal
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_SECURITY_H_
