// The flags every server-talking `memkit` command shares, and the Client they
// describe: --servers (or $MEMCACHED_SERVERS, else 127.0.0.1:11211, as
// libmemcached's tools do), --protocol, --distribution, --hash, --timeout.

#ifndef MEMKIT_TOOLS_CLI_CLIENT_FLAGS_H_
#define MEMKIT_TOOLS_CLI_CLIENT_FLAGS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "tools/cli/args.h"

namespace memkit {
namespace cli {

// Adds the shared client flags to `spec`.
void AddClientFlags(FlagSpec* spec);

// A Client configured from the shared flags in `args`.
absl::StatusOr<std::unique_ptr<client::Client>> ClientFromFlags(const ParsedArgs& args);

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_CLIENT_FLAGS_H_
