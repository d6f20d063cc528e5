// `memkit flush|stats|version|ping|dump|watch`: commands addressed to every
// server (or, for watch, one), rather than to keys.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "tools/cli/args.h"
#include "tools/cli/client_flags.h"
#include "tools/cli/commands.h"
#include "tools/cli/line_connection.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {
namespace {

// Parses the command's flags (client flags plus `extra`) without building a
// client: for the commands that talk to servers over raw connections.
absl::StatusOr<ParsedArgs> ParseServerCommand(const std::vector<std::string>& raw, FlagSpec extra) {
  AddClientFlags(&extra);
  return ParseArgs(raw, extra);
}

}  // namespace

int RunFlush(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("flush", raw, {{"delay"}, {}}, 0, 0);
  if (c.client == nullptr) return c.exit_status;
  absl::optional<int32_t> delay;
  if (c.args.Has("delay")) {
    int32_t seconds = 0;
    if (!absl::SimpleAtoi(c.args.Get("delay"), &seconds)) {
      return ReportUsage("flush", "--delay must be a whole number of seconds");
    }
    delay = seconds;
  }
  absl::Status status = c.client->FlushAll(delay);
  if (!status.ok()) return ReportFailure("flush", status);
  return kExitOk;
}

int RunStats(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("stats", raw, {}, 0, 2);
  if (c.client == nullptr) return c.exit_status;
  // "stats detail dump" arrives as two words.
  const std::string group = absl::StrJoin(c.args.positional, " ");
  int exit = kExitOk;
  std::vector<std::string> json_servers;
  for (const client::ServerStats& server : c.client->Stats(group)) {
    if (!server.status.ok()) {
      exit = WorseExit(exit, ReportFailure(absl::StrCat("stats ", server.server), server.status));
      continue;
    }
    std::vector<std::string> json_stats;
    for (const auto& [name, value] : server.stats) {
      if (c.json()) {
        json_stats.push_back(absl::StrCat(JsonString(name), ": ", JsonString(value)));
      } else {
        absl::PrintF("%s\t%s\t%s\n", server.server, name, value);
      }
    }
    if (c.json()) {
      json_servers.push_back(
          absl::StrCat(JsonString(server.server), ": {", absl::StrJoin(json_stats, ", "), "}"));
    }
  }
  if (c.json()) absl::PrintF("{%s}\n", absl::StrJoin(json_servers, ", "));
  return exit;
}

int RunVersion(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("version", raw, {}, 0, 0);
  if (c.client == nullptr) return c.exit_status;
  int exit = kExitOk;
  std::vector<std::string> json;
  for (const client::ServerVersion& server : c.client->Versions()) {
    if (!server.version.ok()) {
      exit = WorseExit(exit, ReportFailure(absl::StrCat("version ", server.server),
                                           server.version.status()));
      continue;
    }
    if (c.json()) {
      json.push_back(absl::StrCat(JsonString(server.server), ": ", JsonString(*server.version)));
    } else {
      absl::PrintF("%s\t%s\n", server.server, *server.version);
    }
  }
  if (c.json()) absl::PrintF("{%s}\n", absl::StrJoin(json, ", "));
  return exit;
}

// ping [--count=N] [--interval=SECONDS]: connects to every server and times
// `version` round trips on that connection.
int RunPing(const std::vector<std::string>& raw) {
  absl::StatusOr<ParsedArgs> args = ParseServerCommand(raw, {{"count", "interval"}, {}});
  if (!args.ok()) return ReportUsage("ping", args.status().message());
  if (!args->positional.empty()) return ReportUsage("ping", "ping takes no arguments");
  int count = 1;
  double interval = 0;
  if ((args->Has("count") && (!absl::SimpleAtoi(args->Get("count"), &count) || count < 1)) ||
      (args->Has("interval") &&
       (!absl::SimpleAtod(args->Get("interval"), &interval) || interval < 0))) {
    return ReportUsage("ping", "--count takes a whole number >= 1, --interval seconds >= 0");
  }
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(*args);
  if (!timeout.ok()) return ReportUsage("ping", timeout.status().message());
  int exit = kExitOk;
  std::vector<std::string> json;
  for (const std::string& server : ServersFromFlags(*args)) {
    const absl::Time connect_start = absl::Now();
    auto conn = LineConnection::Connect(server, *timeout);
    if (!conn.ok()) {
      exit = WorseExit(exit, ReportFailure(absl::StrCat("ping ", server), conn.status()));
      continue;
    }
    const absl::Duration connect_time = absl::Now() - connect_start;
    absl::Duration min = absl::InfiniteDuration(), max = absl::ZeroDuration(), sum;
    int ok = 0;
    absl::Status failure;
    for (int i = 0; i < count; ++i) {
      if (i > 0 && interval > 0) absl::SleepFor(absl::Seconds(interval));
      const absl::Time start = absl::Now();
      absl::Status sent = (*conn)->Send("version\r\n");
      absl::StatusOr<std::string> line =
          sent.ok() ? (*conn)->ReadLine() : absl::StatusOr<std::string>(sent);
      const absl::Duration rtt = absl::Now() - start;
      if (line.ok() && !absl::StartsWith(*line, "VERSION ")) {
        line = absl::InternalError(absl::StrCat("unexpected reply '", *line, "'"));
      }
      if (!line.ok()) {
        failure = line.status();
        break;
      }
      ++ok;
      sum += rtt;
      min = std::min(min, rtt);
      max = std::max(max, rtt);
      if (!args->Has("json")) {
        absl::PrintF("%s\tseq=%d\ttime=%.1f us\n", server, i, absl::ToDoubleMicroseconds(rtt));
      }
    }
    if (!failure.ok()) {
      exit = WorseExit(exit, ReportFailure(absl::StrCat("ping ", server), failure));
      continue;
    }
    const double avg_us = absl::ToDoubleMicroseconds(sum) / ok;
    if (args->Has("json")) {
      json.push_back(absl::StrFormat(
          "%s: {\"connect_us\": %.1f, \"count\": %d, \"min_us\": %.1f, \"avg_us\": %.1f, "
          "\"max_us\": %.1f}",
          JsonString(server), absl::ToDoubleMicroseconds(connect_time), ok,
          absl::ToDoubleMicroseconds(min), avg_us, absl::ToDoubleMicroseconds(max)));
    } else {
      absl::PrintF("%s\tconnect %.1f us, %d round trips, min/avg/max %.1f/%.1f/%.1f us\n", server,
                   absl::ToDoubleMicroseconds(connect_time), ok, absl::ToDoubleMicroseconds(min),
                   avg_us, absl::ToDoubleMicroseconds(max));
    }
  }
  if (args->Has("json")) absl::PrintF("{%s}\n", absl::StrJoin(json, ", "));
  return exit;
}

// dump [--prefix=P] [--values]: every key of every server, from
// `lru_crawler metadump all`, with its metadata (and value).
int RunDump(const std::vector<std::string>& raw) {
  absl::StatusOr<ParsedArgs> args = ParseServerCommand(raw, {{"prefix"}, {"values"}});
  if (!args.ok()) return ReportUsage("dump", args.status().message());
  if (!args->positional.empty()) return ReportUsage("dump", "dump takes no arguments");
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(*args);
  if (!timeout.ok()) return ReportUsage("dump", timeout.status().message());
  std::unique_ptr<client::Client> client;
  if (args->Has("values")) {
    absl::StatusOr<std::unique_ptr<client::Client>> c = ClientFromFlags(*args);
    if (!c.ok()) return ReportUsage("dump", c.status().message());
    client = *std::move(c);
  }
  const std::string prefix = args->Get("prefix");
  const bool json = args->Has("json");
  int exit = kExitOk;
  std::vector<std::string> json_rows;
  for (const std::string& server : ServersFromFlags(*args)) {
    absl::StatusOr<std::vector<MetadumpEntry>> dumped = ReadMetadump(server, *timeout);
    if (!dumped.ok()) {
      exit = WorseExit(exit, ReportFailure(absl::StrCat("dump ", server), dumped.status()));
      continue;
    }
    // key -> the rest of its metadump line, in the server's order.
    std::vector<std::pair<std::string, std::string>> rows;
    for (MetadumpEntry& entry : *dumped) {
      if (!absl::StartsWith(entry.key, prefix)) continue;
      rows.emplace_back(std::move(entry.key), std::move(entry.metadata));
    }
    client::ItemMap values;
    if (client != nullptr && !rows.empty()) {
      std::vector<absl::string_view> keys;
      for (const auto& row : rows) keys.push_back(row.first);
      absl::Status fetched = client->GetMulti(keys, &values);
      if (!fetched.ok()) exit = WorseExit(exit, ReportFailure("dump --values", fetched));
    }
    for (const auto& [key, meta] : rows) {
      auto value = values.find(key);
      if (json) {
        std::vector<std::string> fields = {absl::StrCat("\"key\": ", JsonString(key)),
                                           absl::StrCat("\"server\": ", JsonString(server))};
        for (absl::string_view field : absl::StrSplit(meta, ' ', absl::SkipEmpty())) {
          const size_t eq = field.find('=');
          if (eq == absl::string_view::npos) continue;
          fields.push_back(absl::StrCat(JsonString(field.substr(0, eq)), ": ",
                                        JsonString(field.substr(eq + 1))));
        }
        if (value != values.end()) {
          fields.push_back(absl::StrCat("\"value\": ", JsonString(value->second.value)));
        }
        json_rows.push_back(absl::StrCat("{", absl::StrJoin(fields, ", "), "}"));
        continue;
      }
      std::string line;
      AppendEscaped(key, &line);
      absl::StrAppend(&line, "\t", server, "\t", meta);
      if (client != nullptr) {
        line.push_back('\t');
        if (value != values.end()) AppendEscaped(value->second.value, &line);
      }
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
  }
  if (json) absl::PrintF("[%s]\n", absl::StrJoin(json_rows, ",\n "));
  return exit;
}

// watch [--count=N] [--duration=S] [TYPE...]: memcached's log stream of one
// server, line by line, until the count or duration is reached or the
// server hangs up.
int RunWatch(const std::vector<std::string>& raw) {
  absl::StatusOr<ParsedArgs> args = ParseServerCommand(raw, {{"count", "duration"}, {}});
  if (!args.ok()) return ReportUsage("watch", args.status().message());
  const std::vector<std::string> servers = ServersFromFlags(*args);
  if (servers.size() != 1) return ReportUsage("watch", "watch takes exactly one server");
  int64_t count = -1;
  double duration = 0;
  if ((args->Has("count") && (!absl::SimpleAtoi(args->Get("count"), &count) || count < 1)) ||
      (args->Has("duration") &&
       (!absl::SimpleAtod(args->Get("duration"), &duration) || !(duration > 0)))) {
    return ReportUsage("watch", "--count takes a whole number >= 1, --duration seconds > 0");
  }
  for (const std::string& type : args->positional) {
    if (type != "fetchers" && type != "mutations" && type != "evictions" && type != "connevents" &&
        type != "deletions" && type != "proxyreqs" && type != "proxyevents" &&
        type != "proxyuser" && type != "rawcmds") {
      return ReportUsage("watch", absl::StrCat("unknown watch type '", type, "'"));
    }
  }
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(*args);
  if (!timeout.ok()) return ReportUsage("watch", timeout.status().message());
  // Lines arrive only when something happens: reads wait until the end of
  // --duration (or forever).
  const absl::Time end =
      duration > 0 ? absl::Now() + absl::Seconds(duration) : absl::InfiniteFuture();
  auto conn = LineConnection::Connect(servers[0], *timeout);
  if (!conn.ok()) return ReportFailure(absl::StrCat("watch ", servers[0]), conn.status());
  std::string command = "watch";
  for (const std::string& type : args->positional) absl::StrAppend(&command, " ", type);
  absl::Status status = (*conn)->Send(absl::StrCat(command, "\r\n"));
  absl::StatusOr<std::string> first = status.ok() ? (*conn)->ReadLine() : status;
  if (!first.ok()) return ReportFailure(absl::StrCat("watch ", servers[0]), first.status());
  if (*first != "OK") {
    return ReportFailure(absl::StrCat("watch ", servers[0]),
                         absl::UnimplementedError(absl::StrCat("the server answered '", *first, "'")));
  }
  // A fresh connection with the remaining time as its read timeout is not
  // possible mid-stream, so wait in slices and check the clock between them.
  for (int64_t seen = 0; count < 0 || seen < count; ++seen) {
    absl::StatusOr<std::string> line = (*conn)->ReadLine();
    while (!line.ok() && absl::IsDeadlineExceeded(line.status()) && absl::Now() < end) {
      line = (*conn)->ReadLine();
    }
    if (!line.ok()) {
      if (absl::IsDeadlineExceeded(line.status()) && absl::Now() >= end) return kExitOk;
      return ReportFailure(absl::StrCat("watch ", servers[0]), line.status());
    }
    absl::PrintF("%s\n", *line);
    std::fflush(stdout);
    if (absl::Now() >= end) break;
  }
  return kExitOk;
}

}  // namespace cli
}  // namespace memkit
