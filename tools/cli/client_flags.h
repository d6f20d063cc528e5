// The flags every server-talking `memkit` command shares, and the Client they
// describe: --servers (or $MEMCACHED_SERVERS, else 127.0.0.1:11211, as
// libmemcached's tools do), --protocol, --distribution, --hash, --timeout.
//
// Thread-safety: none needed; used once from main().

#ifndef MEMKIT_TOOLS_CLI_CLIENT_FLAGS_H_
#define MEMKIT_TOOLS_CLI_CLIENT_FLAGS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "tools/cli/args.h"

namespace memkit {
namespace cli {

// Adds the shared client flags (and --json) to `spec`.
void AddClientFlags(FlagSpec* spec);

// The value flags that may also stand before the command name
// (`memkit --servers=H:P get k`): the client flags plus --admin, --token-file.
bool IsGlobalValueFlag(absl::string_view name);

// A Client configured from the shared flags in `args`.
absl::StatusOr<std::unique_ptr<client::Client>> ClientFromFlags(const ParsedArgs& args);

// The server list of --servers / $MEMCACHED_SERVERS / the default, as given.
std::vector<std::string> ServersFromFlags(const ParsedArgs& args);

// --timeout (default 1 s); InvalidArgument if it is not a positive number.
absl::StatusOr<absl::Duration> TimeoutFromFlags(const ParsedArgs& args);

// A command's parsed arguments and its client, or the exit status to return
// when they could not be made (the message is already printed).
struct ClientCommand {
  ParsedArgs args;
  std::unique_ptr<client::Client> client;
  int exit_status = 0;
  bool json() const { return args.Has("json"); }
};

// Parses `raw` with the client flags plus `extra`, checks the number of
// positional arguments, and builds the client.
ClientCommand OpenClientCommand(absl::string_view command, const std::vector<std::string>& raw,
                                FlagSpec extra, size_t min_positional, size_t max_positional);

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_CLIENT_FLAGS_H_
