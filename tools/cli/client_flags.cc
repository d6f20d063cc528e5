#include "tools/cli/client_flags.h"

#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/hash/placement.h"

namespace memkit {
namespace cli {

void AddClientFlags(FlagSpec* spec) {
  for (const char* flag : {"servers", "protocol", "distribution", "hash", "timeout"}) {
    spec->value_flags.insert(flag);
  }
}

absl::StatusOr<std::unique_ptr<client::Client>> ClientFromFlags(const ParsedArgs& args) {
  client::ClientOptions options;
  const char* env_servers = std::getenv("MEMCACHED_SERVERS");
  std::string servers = args.Get("servers", env_servers != nullptr ? env_servers : "127.0.0.1:11211");
  for (absl::string_view server : absl::StrSplit(servers, ',', absl::SkipWhitespace())) {
    options.servers.emplace_back(server);
  }
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
  if (args.Has("timeout")) {
    double seconds = 0;
    if (!absl::SimpleAtod(args.Get("timeout"), &seconds) || seconds <= 0) {
      return absl::InvalidArgumentError("--timeout must be a positive number of seconds");
    }
    options.connect_timeout = absl::Seconds(seconds);
    options.io_timeout = absl::Seconds(seconds);
  }
  return client::Client::Create(options);
}

}  // namespace cli
}  // namespace memkit
