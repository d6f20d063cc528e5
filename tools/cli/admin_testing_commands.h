// `memkit admin` subcommands for the Testing service (core/admin/admin.proto),
// which a server offers only with --enable-test-controls: `clock`, `fault`
// and `close-all`. Each runs against `session` and returns the exit status.
//
// Thread-safety: as AdminSession (admin_session.h); one call per run.

#ifndef MEMKIT_TOOLS_CLI_ADMIN_TESTING_COMMANDS_H_
#define MEMKIT_TOOLS_CLI_ADMIN_TESTING_COMMANDS_H_

#include "tools/cli/admin_session.h"

namespace memkit {
namespace cli {

// `clock advance DURATION | clock set UNIX_SECONDS|now | clock freeze | clock run`.
int RunAdminClock(AdminSession& session);
// `fault outage refuse|reset | fault latency DURATION | fault fail N [MESSAGE] |
// fault drop N | fault clear`.
int RunAdminFault(AdminSession& session);
// `close-all [--reset]`.
int RunAdminCloseAll(AdminSession& session);

}  // namespace cli
}  // namespace memkit

#endif  // MEMKIT_TOOLS_CLI_ADMIN_TESTING_COMMANDS_H_
