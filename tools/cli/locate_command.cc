// `memkit locate`, `memkit hash` and `memkit migrate-plan`: where keys live,
// computed exactly as libmemcached (and so pylibmc), pymemcache or
// python-memcached would place them, and what a change of client, placement
// or server list would move. No server is contacted, except by
// `migrate-plan --dump`, which reads the keys to plan for from live servers.

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/hash/hash.h"
#include "core/hash/placement.h"
#include "core/hash/server_spec.h"
#include "tools/cli/args.h"
#include "tools/cli/commands.h"
#include "tools/cli/line_connection.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {
namespace {

// A placement named DISTRIBUTION[:HASH] ("ketama_weighted", "modula:crc",
// "pymemcache", "python_memcached") over `servers`.
absl::StatusOr<std::unique_ptr<hash::Placement>> MakePlacement(
    absl::string_view name, const std::vector<hash::ServerSpec>& servers, bool sort_hosts) {
  std::vector<std::string> parts = absl::StrSplit(name, absl::MaxSplits(':', 1));
  hash::PlacementOptions options;
  options.sort_hosts = sort_hosts;
  absl::StatusOr<hash::Distribution> distribution = hash::ParseDistribution(parts[0]);
  if (!distribution.ok()) return distribution.status();
  options.distribution = *distribution;
  if (parts.size() == 2) {
    absl::StatusOr<hash::HashAlgorithm> algorithm = hash::ParseHashAlgorithm(parts[1]);
    if (!algorithm.ok()) return algorithm.status();
    options.hash = *algorithm;
  }
  return hash::Placement::Create(servers, options);
}

// The placement a command's flags name: --placement, or the older
// --distribution with --hash.
absl::StatusOr<std::unique_ptr<hash::Placement>> PlacementFromFlags(
    const ParsedArgs& args, const std::vector<hash::ServerSpec>& servers) {
  std::string name = args.Get("placement", args.Get("distribution", "ketama_weighted"));
  if (args.Has("hash")) absl::StrAppend(&name, ":", args.Get("hash"));
  return MakePlacement(name, servers, args.Has("sort-hosts"));
}

std::string PlacementLabel(const hash::Placement& p) {
  if (p.distribution() == hash::Distribution::kRendezvous ||
      p.distribution() == hash::Distribution::kPythonMemcached) {
    return std::string(hash::DistributionName(p.distribution()));
  }
  return absl::StrCat(hash::DistributionName(p.distribution()), ":",
                      hash::HashAlgorithmName(p.hash()));
}

std::string ServerName(const hash::Placement& p, size_t index) {
  return index == hash::Placement::kNoServer ? "(none)" : p.servers()[index].ToString();
}

// The keys of every server in `servers`, from `lru_crawler metadump all`.
absl::StatusOr<std::vector<std::string>> DumpKeys(const std::vector<hash::ServerSpec>& servers) {
  std::vector<std::string> keys;
  for (const hash::ServerSpec& server : servers) {
    const std::string address =
        server.unix_socket ? server.host : absl::StrCat(server.host, ":", server.port);
    absl::StatusOr<std::vector<MetadumpEntry>> entries = ReadMetadump(address, absl::Seconds(2));
    if (!entries.ok()) {
      return absl::Status(entries.status().code(),
                          absl::StrCat(address, ": ", entries.status().message()));
    }
    for (MetadumpEntry& entry : *entries) keys.push_back(std::move(entry.key));
  }
  return keys;
}

}  // namespace

int RunLocate(const std::vector<std::string>& args) {
  FlagSpec spec{{"servers", "placement", "distribution", "hash"}, {"sort-hosts", "json"}};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, spec);
  if (!parsed.ok()) return ReportUsage("locate", parsed.status().message());
  if (!parsed->Has("servers")) return ReportUsage("locate", "locate needs --servers=host:port[:weight],...");
  if (parsed->positional.empty()) return ReportUsage("locate", "locate needs at least one KEY");

  absl::StatusOr<std::vector<hash::ServerSpec>> servers =
      hash::ParseServerList(parsed->Get("servers"));
  if (!servers.ok()) return ReportUsage("locate", servers.status().message());
  absl::StatusOr<std::unique_ptr<hash::Placement>> placement =
      PlacementFromFlags(*parsed, *servers);
  if (!placement.ok()) return ReportUsage("locate", placement.status().message());

  const hash::Placement& p = **placement;
  std::vector<std::string> json;
  for (const std::string& key : parsed->positional) {
    const size_t index = p.ServerFor(key);
    if (parsed->Has("json")) {
      json.push_back(absl::StrCat(JsonString(key), ": ", JsonString(ServerName(p, index))));
    } else if (p.distribution() == hash::Distribution::kRendezvous) {
      absl::PrintF("%s\t%s\t(server %d, rendezvous)\n", key, ServerName(p, index), index);
    } else {
      absl::PrintF("%s\t%s\t(server %d, %s hash 0x%08x)\n", key, ServerName(p, index), index,
                   PlacementLabel(p), p.KeyHash(key));
    }
  }
  if (parsed->Has("json")) absl::PrintF("{%s}\n", absl::StrJoin(json, ", "));
  return kExitOk;
}

int RunHash(const std::vector<std::string>& args) {
  FlagSpec spec{{"hash"}, {"all"}};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, spec);
  if (!parsed.ok()) return ReportUsage("hash", parsed.status().message());
  if (parsed->positional.empty()) return ReportUsage("hash", "hash needs at least one KEY");
  std::vector<hash::HashAlgorithm> algorithms;
  if (parsed->Has("all")) {
    algorithms.assign(hash::kAllHashAlgorithms.begin(), hash::kAllHashAlgorithms.end());
  } else {
    absl::StatusOr<hash::HashAlgorithm> algorithm =
        hash::ParseHashAlgorithm(parsed->Get("hash", "default"));
    if (!algorithm.ok()) return ReportUsage("hash", algorithm.status().message());
    algorithms.push_back(*algorithm);
  }
  for (const std::string& key : parsed->positional) {
    for (hash::HashAlgorithm algorithm : algorithms) {
      absl::PrintF("%s\t%s\t0x%08x\n", key, hash::HashAlgorithmName(algorithm),
                   hash::Hash(algorithm, key));
    }
  }
  return kExitOk;
}

// migrate-plan --from=PLACEMENT --to=PLACEMENT --servers=LIST [--to-servers=LIST]
//              [--dump] [--json] < keys
int RunMigratePlan(const std::vector<std::string>& args) {
  FlagSpec spec{{"servers", "to-servers", "from", "to"}, {"dump", "json", "sort-hosts"}};
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, spec);
  if (!parsed.ok()) return ReportUsage("migrate-plan", parsed.status().message());
  if (!parsed->positional.empty()) {
    return ReportUsage("migrate-plan", "keys come on standard input (or --dump), not as arguments");
  }
  if (!parsed->Has("servers")) return ReportUsage("migrate-plan", "migrate-plan needs --servers");
  absl::StatusOr<std::vector<hash::ServerSpec>> from_servers =
      hash::ParseServerList(parsed->Get("servers"));
  if (!from_servers.ok()) return ReportUsage("migrate-plan", from_servers.status().message());
  absl::StatusOr<std::vector<hash::ServerSpec>> to_servers =
      hash::ParseServerList(parsed->Get("to-servers", parsed->Get("servers")));
  if (!to_servers.ok()) return ReportUsage("migrate-plan", to_servers.status().message());
  const std::string from_name = parsed->Get("from", "ketama_weighted");
  const std::string to_name = parsed->Get("to", from_name);
  auto from = MakePlacement(from_name, *from_servers, parsed->Has("sort-hosts"));
  if (!from.ok()) return ReportUsage("migrate-plan", absl::StrCat("--from: ", from.status().message()));
  auto to = MakePlacement(to_name, *to_servers, parsed->Has("sort-hosts"));
  if (!to.ok()) return ReportUsage("migrate-plan", absl::StrCat("--to: ", to.status().message()));

  std::vector<std::string> keys;
  if (parsed->Has("dump")) {
    absl::StatusOr<std::vector<std::string>> dumped = DumpKeys(*from_servers);
    if (!dumped.ok()) return ReportFailure("migrate-plan --dump", dumped.status());
    keys = *std::move(dumped);
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) keys.push_back(line);
    }
  }
  if (keys.empty()) return ReportUsage("migrate-plan", "no keys (give them on standard input, or --dump)");

  // Per server name: keys there before, after, leaving and arriving.
  struct Counts {
    uint64_t before = 0, after = 0, leaving = 0, arriving = 0;
  };
  std::map<std::string, Counts> per_server;
  for (const hash::ServerSpec& s : *from_servers) per_server[s.ToString()];
  for (const hash::ServerSpec& s : *to_servers) per_server[s.ToString()];
  uint64_t moved = 0;
  for (const std::string& key : keys) {
    const std::string before = ServerName(**from, (*from)->ServerFor(key));
    const std::string after = ServerName(**to, (*to)->ServerFor(key));
    ++per_server[before].before;
    ++per_server[after].after;
    if (before != after) {
      ++moved;
      ++per_server[before].leaving;
      ++per_server[after].arriving;
    }
  }
  const double fraction = static_cast<double>(moved) / static_cast<double>(keys.size());
  if (parsed->Has("json")) {
    std::vector<std::string> rows;
    for (const auto& [name, c] : per_server) {
      rows.push_back(absl::StrFormat(
          "%s: {\"before\": %d, \"after\": %d, \"leaving\": %d, \"arriving\": %d}",
          JsonString(name), c.before, c.after, c.leaving, c.arriving));
    }
    absl::PrintF(
        "{\"from\": %s, \"to\": %s, \"keys\": %d, \"moved\": %d, \"moved_fraction\": %.6f, "
        "\"servers\": {%s}}\n",
        JsonString(PlacementLabel(**from)), JsonString(PlacementLabel(**to)), keys.size(), moved,
        fraction, absl::StrJoin(rows, ", "));
    return kExitOk;
  }
  absl::PrintF("from %s to %s: %d of %d keys move (%.2f%%)\n", PlacementLabel(**from),
               PlacementLabel(**to), moved, keys.size(), 100 * fraction);
  absl::PrintF("%-28s %10s %10s %10s %10s\n", "server", "before", "after", "leaving", "arriving");
  for (const auto& [name, c] : per_server) {
    absl::PrintF("%-28s %10d %10d %10d %10d\n", name, c.before, c.after, c.leaving, c.arriving);
  }
  return kExitOk;
}

}  // namespace cli
}  // namespace memkit
