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
