// Server addresses as placement sees them: host, port, weight, or a unix
// socket path, and the parser for the `--servers` / config-file forms.
//
// The host string is exactly what goes into ketama labels, so it is kept as
// written (no resolution, no case folding): "cache1" and "10.0.0.1" place keys
// differently even if they name the same machine, as in libmemcached.
//
// Accepted forms (one server; lists are comma-separated):
//   host                 port 11211, weight 1
//   host:port            e.g. 10.0.0.1:11212, cache-3.example.com:11211
//   host:port:weight     weight >= 1
//   [ipv6]               brackets required for IPv6; the host is stored
//   [ipv6]:port          without them (pylibmc does the same; libmemcached's
//   [ipv6]:port:weight   own memcached_servers_parse() keeps them)
//   /path/to.sock        unix socket (port 0), weight 1
//   /path/to.sock:weight a trailing ":digits" is the weight
//   unix:/path[:weight]  the same, pylibmc's spelling ("unix:11211" is the
//                        host "unix", port 11211)
//
// Thread-safety: plain values and pure functions.

#ifndef MEMKIT_CORE_HASH_SERVER_SPEC_H_
#define MEMKIT_CORE_HASH_SERVER_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace hash {

inline constexpr uint16_t kDefaultPort = 11211;

// libmemcached keeps host names in a MEMCACHED_NI_MAXHOST (1025) byte buffer
// and refuses longer ones; memkit does too.
inline constexpr size_t kMaxHostLength = 1024;

struct ServerSpec {
  // Host name, IPv4 literal, IPv6 literal without brackets, or, for a unix
  // socket, the socket's path.
  std::string host;

  // TCP port. Placement treats 0 as 11211 for TCP servers, as
  // memcached_server_add() does. For a unix socket set 0 (the parser does):
  // libmemcached's memcached_server_add_unix_socket*() and pylibmc store 0,
  // which shows in ketama labels ("/path:0-7"); 11211 instead reproduces a
  // socket added through memcached_server_add("/path", 0) ("/path-7").
  uint16_t port = kDefaultPort;

  // Relative weight for kKetamaWeighted. 0 counts as 1 (libmemcached's rule).
  uint32_t weight = 1;

  // True for a unix-domain socket at `host`.
  bool unix_socket = false;

  // The parseable form: "host:port", "host:port:weight" when weight != 1,
  // "[v6]:port", "/path", "/path:weight".
  std::string ToString() const;

  friend bool operator==(const ServerSpec& a, const ServerSpec& b) {
    return a.host == b.host && a.port == b.port && a.weight == b.weight &&
           a.unix_socket == b.unix_socket;
  }
  friend bool operator!=(const ServerSpec& a, const ServerSpec& b) { return !(a == b); }
};

// Parses one server in the forms above, ignoring surrounding whitespace.
// Errors are InvalidArgument and quote the offending text.
absl::StatusOr<ServerSpec> ParseServerSpec(absl::string_view text);

// Parses a comma-separated list ("a:11211, b:11212:2, /tmp/mc.sock").
// Empty entries and an empty list are errors.
absl::StatusOr<std::vector<ServerSpec>> ParseServerList(absl::string_view text);

}  // namespace hash
}  // namespace memkit

#endif  // MEMKIT_CORE_HASH_SERVER_SPEC_H_
