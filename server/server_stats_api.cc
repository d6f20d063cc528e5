// Server::StatsLines: memcached's stats for the admin API, through the same
// writers the "stats" command uses. Kept apart from server.cc so that the
// admin API's needs stay out of the front end's way.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/handlers/server_core.h"
#include "server/server.h"
#include "server/stats_writer.h"

namespace memkit {
namespace server {

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Server::StatsLines(
    absl::string_view which) {
  std::vector<std::pair<std::string, std::string>> lines;
  auto sink = [&lines](absl::string_view name, absl::string_view value) {
    lines.emplace_back(std::string(name), std::string(value));
  };
  if (which.empty()) {
    internal::WriteGeneralStats(*core_, sink);
  } else if (which == "settings") {
    internal::WriteSettingsStats(*core_, sink);
  } else if (which == "conns") {
    internal::WriteConnsStats(*core_, nullptr, sink);
  } else if (!internal::WriteEngineStats(*core_, which, sink)) {
    return absl::InvalidArgumentError(absl::StrCat("no stats \"", which, "\""));
  }
  return lines;
}

}  // namespace server
}  // namespace memkit
