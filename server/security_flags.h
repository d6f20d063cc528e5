// The command-line half of SecurityOptions: memcached's -Y, -S, -Z and the
// ssl_* -o suboptions, with memcached's value rules, and the protocol rules
// that tie -Y to ascii and -S to binary. Called by flags.cc.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_SERVER_SECURITY_FLAGS_H_
#define MEMKIT_SERVER_SECURITY_FLAGS_H_

#include <string>

#include "absl/status/status.h"
#include "server/server.h"

namespace memkit {
namespace server {

// -Y FILE, -S, -Z (`flag` is the short name).
absl::Status ApplySecurityFlag(char flag, const std::string& value, SecurityOptions* out);

// Whether `key` is one of memcached's ssl_* -o suboptions.
bool IsSecuritySuboption(const std::string& key);
// Applies one ssl_* suboption ("ssl_verify_mode=2"); `has_value`: an '='
// was given.
absl::Status ApplySecuritySuboption(const std::string& key, const std::string& value,
                                    bool has_value, SecurityOptions* out);

// After every flag: -Y without -B means ascii and -S without -B binary
// (memcached's rules); with a -B that contradicts them, memcached's error.
absl::Status FinishSecurityFlags(bool protocol_given, ServerOptions* options);

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_SECURITY_FLAGS_H_
