#include "tools/cli/client_flags.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/hash/placement.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {

void AddClientFlags(FlagSpec* spec) {
  for (const char* flag : {"servers", "protocol", "distribution", "hash", "timeout"}) {
    spec->value_flags.insert(flag);
  }
  spec->bool_flags.insert("json");
}

bool IsGlobalValueFlag(absl::string_view name) {
  for (absl::string_view flag :
       {"servers", "protocol", "distribution", "hash", "timeout", "admin", "token-file"}) {
    if (name == flag) return true;
  }
  return false;
}

std::vector<std::string> ServersFromFlags(const ParsedArgs& args) {
  const char* env_servers = std::getenv("MEMCACHED_SERVERS");
  std::string servers = args.Get("servers", env_servers != nullptr ? env_servers : "127.0.0.1:11211");
  std::vector<std::string> list;
  for (absl::string_view server : absl::StrSplit(servers, ',', absl::SkipWhitespace())) {
    list.emplace_back(server);
  }
  return list;
}

absl::StatusOr<absl::Duration> TimeoutFromFlags(const ParsedArgs& args) {
  if (!args.Has("timeout")) return absl::Seconds(1);
  double seconds = 0;
  if (!absl::SimpleAtod(args.Get("timeout"), &seconds) || !(seconds > 0)) {
    return absl::InvalidArgumentError("--timeout must be a positive number of seconds");
  }
  return absl::Seconds(seconds);
}

absl::StatusOr<std::unique_ptr<client::Client>> ClientFromFlags(const ParsedArgs& args) {
  client::ClientOptions options;
  options.servers = ServersFromFlags(args);
  std::string protocol = args.Get("protocol", "text");
  if (protocol == "text") {
    options.protocol = client::Protocol::kText;
  } else if (protocol == "binary") {
    options.protocol = client::Protocol::kBinary;
  } else if (protocol == "meta") {
    options.protocol = client::Protocol::kMeta;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--protocol must be text, binary or meta, not '", protocol, "'"));
  }
  if (args.Has("distribution")) {
    absl::StatusOr<hash::Distribution> d = hash::ParseDistribution(args.Get("distribution"));
    if (!d.ok()) return d.status();
    options.distribution = *d;
  }
  if (args.Has("hash")) {
    absl::StatusOr<hash::HashAlgorithm> h = hash::ParseHashAlgorithm(args.Get("hash"));
    if (!h.ok()) return h.status();
    options.hash = *h;
  }
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(args);
  if (!timeout.ok()) return timeout.status();
  options.connect_timeout = *timeout;
  options.io_timeout = *timeout;
  return client::Client::Create(options);
}

ClientCommand OpenClientCommand(absl::string_view command, const std::vector<std::string>& raw,
                                FlagSpec extra, size_t min_positional, size_t max_positional) {
  ClientCommand result;
  AddClientFlags(&extra);
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(raw, extra);
  if (!parsed.ok()) {
    result.exit_status = ReportUsage(command, parsed.status().message());
    return result;
  }
  if (parsed->positional.size() < min_positional || parsed->positional.size() > max_positional) {
    result.exit_status = ReportUsage(command, "wrong number of arguments");
    return result;
  }
  absl::StatusOr<std::unique_ptr<client::Client>> c = ClientFromFlags(*parsed);
  if (!c.ok()) {
    result.exit_status = ReportUsage(command, c.status().message());
    return result;
  }
  result.args = *std::move(parsed);
  result.client = *std::move(c);
  return result;
}

}  // namespace cli
}  // namespace memkit
