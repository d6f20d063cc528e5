// `memkit locate` and `memkit hash`: where keys live, computed exactly as
// libmemcached (and so pylibmc) would place them; no server is contacted.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "core/hash/hash.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "tools/cli/args.h"
#include "tools/cli/commands.h"

namespace memkit {
namespace cli {
namespace {

int UsageError(absl::string_view message) {
  std::fprintf(stderr, "memkit: %s (see `memkit help`)\n", std::string(message).c_str());
  return 2;
}

}  // namespace

int RunLocate(const std::vector<std::string>& args) {
  FlagSpec spec{{"servers", "distribution", "hash"}, {"sort-hosts"}};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, spec);
  if (!parsed.ok()) return UsageError(parsed.status().message());
  if (!parsed->Has("servers")) return UsageError("locate needs --servers=host:port[:weight],...");
  if (parsed->positional.empty()) return UsageError("locate needs at least one KEY");

  absl::StatusOr<std::vector<hash::ServerSpec>> servers =
      hash::ParseServerList(parsed->Get("servers"));
  if (!servers.ok()) return UsageError(servers.status().message());
  hash::PlacementOptions options;
  options.sort_hosts = parsed->Has("sort-hosts");
  absl::StatusOr<hash::Distribution> distribution =
      hash::ParseDistribution(parsed->Get("distribution", "ketama_weighted"));
  if (!distribution.ok()) return UsageError(distribution.status().message());
  options.distribution = *distribution;
  if (parsed->Has("hash")) {
    absl::StatusOr<hash::HashAlgorithm> algorithm = hash::ParseHashAlgorithm(parsed->Get("hash"));
    if (!algorithm.ok()) return UsageError(algorithm.status().message());
    options.hash = *algorithm;
  }
  absl::StatusOr<std::unique_ptr<hash::Placement>> placement =
      hash::Placement::Create(*std::move(servers), options);
  if (!placement.ok()) return UsageError(placement.status().message());

  const hash::Placement& p = **placement;
  for (const std::string& key : parsed->positional) {
    size_t index = p.ServerFor(key);
    absl::PrintF("%s\t%s\t(server %d, %s hash 0x%08x)\n", key, p.servers()[index].ToString(),
                 index, hash::HashAlgorithmName(p.hash()), p.KeyHash(key));
  }
  return 0;
}

int RunHash(const std::vector<std::string>& args) {
  FlagSpec spec{{"hash"}, {"all"}};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, spec);
  if (!parsed.ok()) return UsageError(parsed.status().message());
  if (parsed->positional.empty()) return UsageError("hash needs at least one KEY");
  std::vector<hash::HashAlgorithm> algorithms;
  if (parsed->Has("all")) {
    algorithms.assign(hash::kAllHashAlgorithms.begin(), hash::kAllHashAlgorithms.end());
  } else {
    absl::StatusOr<hash::HashAlgorithm> algorithm =
        hash::ParseHashAlgorithm(parsed->Get("hash", "default"));
    if (!algorithm.ok()) return UsageError(algorithm.status().message());
    algorithms.push_back(*algorithm);
  }
  for (const std::string& key : parsed->positional) {
    for (hash::HashAlgorithm algorithm : algorithms) {
      absl::PrintF("%s\t%s\t0x%08x\n", key, hash::HashAlgorithmName(algorithm),
                   hash::Hash(algorithm, key));
    }
  }
  return 0;
}

}  // namespace cli
}  // namespace memkit
