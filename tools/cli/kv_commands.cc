// `memkit get|set|add|replace|append|prepend|delete|incr|decr|touch|flush|stats|version`:
// one memcached operation each, through memkit's client.

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/client.h"
#include "tools/cli/args.h"
#include "tools/cli/client_flags.h"
#include "tools/cli/commands.h"

namespace memkit {
namespace cli {
namespace {

int Usage(absl::string_view command, absl::string_view message) {
  absl::FPrintF(stderr, "memkit %s: %s (see `memkit help %s`)\n", command, message, command);
  return 2;
}

int Failed(absl::string_view what, const absl::Status& status) {
  absl::FPrintF(stderr, "memkit: %s: %s: %s\n", what, absl::StatusCodeToString(status.code()),
                status.message());
  return 1;
}

// Parses args with the client flags plus `extra`, then builds the client.
// Returns an exit status when it cannot (the message is printed).
struct Session {
  ParsedArgs args;
  std::unique_ptr<client::Client> client;
  int exit_status = 0;
};

Session Open(absl::string_view command, const std::vector<std::string>& raw, FlagSpec extra,
             size_t min_positional, size_t max_positional) {
  Session session;
  AddClientFlags(&extra);
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(raw, extra);
  if (!parsed.ok()) {
    session.exit_status = Usage(command, parsed.status().message());
    return session;
  }
  if (parsed->positional.size() < min_positional || parsed->positional.size() > max_positional) {
    session.exit_status = Usage(command, "wrong number of arguments");
    return session;
  }
  absl::StatusOr<std::unique_ptr<client::Client>> c = ClientFromFlags(*parsed);
  if (!c.ok()) {
    session.exit_status = Usage(command, c.status().message());
    return session;
  }
  session.args = *std::move(parsed);
  session.client = *std::move(c);
  return session;
}

bool ParseInt32(const ParsedArgs& args, absl::string_view flag, int32_t* out) {
  return !args.Has(flag) || absl::SimpleAtoi(args.Get(flag), out);
}

}  // namespace

int RunGet(const std::vector<std::string>& raw) {
  Session s = Open("get", raw, {}, 1, ~size_t{0});
  if (s.client == nullptr) return s.exit_status;
  const std::vector<std::string>& keys = s.args.positional;
  if (keys.size() == 1) {
    absl::StatusOr<client::Item> item = s.client->Get(keys[0]);
    if (!item.ok()) return Failed(absl::StrCat("get ", keys[0]), item.status());
    std::fwrite(item->value.data(), 1, item->value.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }
  std::vector<absl::string_view> views(keys.begin(), keys.end());
  client::ItemMap items;
  absl::Status status = s.client->GetMulti(views, &items);
  if (!status.ok()) return Failed("get", status);
  int missing = 0;
  for (const std::string& key : keys) {
    auto it = items.find(key);
    if (it == items.end()) {
      ++missing;
      continue;
    }
    absl::PrintF("%s\t%s\n", key, it->second.value);
  }
  if (missing > 0) {
    absl::FPrintF(stderr, "memkit: get: %d of %d keys not found\n", missing, keys.size());
    return 1;
  }
  return 0;
}

// set/add/replace/append/prepend KEY [VALUE | - for stdin]
static int RunStore(absl::string_view command, const std::vector<std::string>& raw) {
  Session s = Open(command, raw, {{"exptime", "flags"}, {}}, 1, 2);
  if (s.client == nullptr) return s.exit_status;
  client::StoreOptions options;
  int32_t flags = 0;
  if (!ParseInt32(s.args, "exptime", &options.exptime) || !ParseInt32(s.args, "flags", &flags)) {
    return Usage(command, "--exptime and --flags take whole numbers");
  }
  options.flags = static_cast<uint32_t>(flags);
  const std::string& key = s.args.positional[0];
  std::string value;
  if (s.args.positional.size() == 2 && s.args.positional[1] != "-") {
    value = s.args.positional[1];
  } else {
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  absl::Status status;
  if (command == "set") status = s.client->Set(key, value, options);
  if (command == "add") status = s.client->Add(key, value, options);
  if (command == "replace") status = s.client->Replace(key, value, options);
  if (command == "append") status = s.client->Append(key, value, options);
  if (command == "prepend") status = s.client->Prepend(key, value, options);
  if (!status.ok()) return Failed(absl::StrCat(command, " ", key), status);
  return 0;
}

int RunSet(const std::vector<std::string>& a) { return RunStore("set", a); }
int RunAdd(const std::vector<std::string>& a) { return RunStore("add", a); }
int RunReplace(const std::vector<std::string>& a) { return RunStore("replace", a); }
int RunAppend(const std::vector<std::string>& a) { return RunStore("append", a); }
int RunPrepend(const std::vector<std::string>& a) { return RunStore("prepend", a); }

int RunDelete(const std::vector<std::string>& raw) {
  Session s = Open("delete", raw, {}, 1, ~size_t{0});
  if (s.client == nullptr) return s.exit_status;
  int failures = 0;
  for (const std::string& key : s.args.positional) {
    absl::Status status = s.client->Delete(key);
    if (!status.ok()) failures += Failed(absl::StrCat("delete ", key), status);
  }
  return failures > 0 ? 1 : 0;
}

static int RunCounter(absl::string_view command, const std::vector<std::string>& raw) {
  Session s = Open(command, raw, {{"initial"}, {}}, 1, 2);
  if (s.client == nullptr) return s.exit_status;
  uint64_t delta = 1;
  if (s.args.positional.size() == 2 && !absl::SimpleAtoi(s.args.positional[1], &delta)) {
    return Usage(command, "DELTA must be a whole number from 0 to 2^64-1");
  }
  client::CounterOptions options;
  if (s.args.Has("initial")) {
    uint64_t initial = 0;
    if (!absl::SimpleAtoi(s.args.Get("initial"), &initial)) {
      return Usage(command, "--initial must be a whole number");
    }
    options.initial = initial;
  }
  const std::string& key = s.args.positional[0];
  absl::StatusOr<uint64_t> result = command == "incr" ? s.client->Incr(key, delta, options)
                                                      : s.client->Decr(key, delta, options);
  if (!result.ok()) return Failed(absl::StrCat(command, " ", key), result.status());
  absl::PrintF("%d\n", *result);
  return 0;
}

int RunIncr(const std::vector<std::string>& a) { return RunCounter("incr", a); }
int RunDecr(const std::vector<std::string>& a) { return RunCounter("decr", a); }

int RunTouch(const std::vector<std::string>& raw) {
  Session s = Open("touch", raw, {}, 2, 2);
  if (s.client == nullptr) return s.exit_status;
  int32_t exptime = 0;
  if (!absl::SimpleAtoi(s.args.positional[1], &exptime)) {
    return Usage("touch", "EXPTIME must be a whole number of seconds");
  }
  absl::Status status = s.client->Touch(s.args.positional[0], exptime);
  if (!status.ok()) return Failed(absl::StrCat("touch ", s.args.positional[0]), status);
  return 0;
}

int RunFlush(const std::vector<std::string>& raw) {
  Session s = Open("flush", raw, {{"delay"}, {}}, 0, 0);
  if (s.client == nullptr) return s.exit_status;
  absl::optional<int32_t> delay;
  if (s.args.Has("delay")) {
    int32_t seconds = 0;
    if (!absl::SimpleAtoi(s.args.Get("delay"), &seconds)) {
      return Usage("flush", "--delay must be a whole number of seconds");
    }
    delay = seconds;
  }
  absl::Status status = s.client->FlushAll(delay);
  if (!status.ok()) return Failed("flush", status);
  return 0;
}

int RunStats(const std::vector<std::string>& raw) {
  Session s = Open("stats", raw, {}, 0, 1);
  if (s.client == nullptr) return s.exit_status;
  std::string group = s.args.positional.empty() ? "" : s.args.positional[0];
  int failures = 0;
  for (const client::ServerStats& server : s.client->Stats(group)) {
    if (!server.status.ok()) {
      failures += Failed(absl::StrCat("stats ", server.server), server.status);
      continue;
    }
    for (const auto& [name, value] : server.stats) {
      absl::PrintF("%s\t%s\t%s\n", server.server, name, value);
    }
  }
  return failures > 0 ? 1 : 0;
}

int RunVersion(const std::vector<std::string>& raw) {
  Session s = Open("version", raw, {}, 0, 0);
  if (s.client == nullptr) return s.exit_status;
  int failures = 0;
  for (const client::ServerVersion& server : s.client->Versions()) {
    if (!server.version.ok()) {
      failures += Failed(absl::StrCat("version ", server.server), server.version.status());
      continue;
    }
    absl::PrintF("%s\t%s\n", server.server, *server.version);
  }
  return failures > 0 ? 1 : 0;
}

}  // namespace cli
}  // namespace memkit
