// `memkit get|cat|exist|set|add|replace|append|prepend|cas|cp|delete|incr|decr|touch`:
// one memcached operation per key, through memkit's client. Exit codes as in
// output.h: 1 for a miss / NOT_STORED / EXISTS, 3 for a server or connection
// error.

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/client.h"
#include "tools/cli/args.h"
#include "tools/cli/client_flags.h"
#include "tools/cli/commands.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {
namespace {

constexpr size_t kAnyCount = ~size_t{0};

bool ParseInt32(const ParsedArgs& args, absl::string_view flag, int32_t* out) {
  return !args.Has(flag) || absl::SimpleAtoi(args.Get(flag), out);
}

// Fetches `keys` (with cas uniques when `with_cas`), one request per server.
absl::Status FetchAll(client::Client* client, const std::vector<std::string>& keys, bool with_cas,
                      client::ItemMap* items) {
  std::vector<absl::string_view> views(keys.begin(), keys.end());
  return with_cas ? client->GetsMulti(views, items) : client->GetMulti(views, items);
}

int ReportMisses(absl::string_view command, size_t missing, size_t total) {
  if (missing == 0) return kExitOk;
  absl::FPrintF(stderr, "memkit: %s: %d of %d keys not found\n", command, missing, total);
  return kExitNo;
}

// --flags and --exptime of the storage commands.
bool ParseStoreOptions(const ParsedArgs& args, client::StoreOptions* options) {
  int32_t flags = 0;
  if (!ParseInt32(args, "exptime", &options->exptime) || !ParseInt32(args, "flags", &flags)) {
    return false;
  }
  options->flags = static_cast<uint32_t>(flags);
  return true;
}

}  // namespace

int RunGet(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("get", raw, {{}, {"cas"}}, 1, kAnyCount);
  if (c.client == nullptr) return c.exit_status;
  const std::vector<std::string>& keys = c.args.positional;
  const bool with_cas = c.args.Has("cas") || c.json();
  client::ItemMap items;
  if (keys.size() == 1) {
    // One key: the server's own answer, so a miss names the key.
    absl::StatusOr<client::Item> item =
        with_cas ? c.client->Gets(keys[0]) : c.client->Get(keys[0]);
    if (!item.ok() && !(c.json() && absl::IsNotFound(item.status()))) {
      return ReportFailure(absl::StrCat("get ", keys[0]), item.status());
    }
    if (item.ok()) items.emplace(keys[0], *std::move(item));
  } else {
    absl::Status status = FetchAll(c.client.get(), keys, with_cas, &items);
    if (!status.ok()) return ReportFailure("get", status);
  }
  size_t missing = 0;
  std::vector<std::string> json_items;
  std::vector<std::string> json_misses;
  for (const std::string& key : keys) {
    auto it = items.find(key);
    if (it == items.end()) {
      ++missing;
      json_misses.push_back(JsonString(key));
      continue;
    }
    const client::Item& item = it->second;
    if (c.json()) {
      json_items.push_back(absl::StrFormat("%s: {\"value\": %s, \"flags\": %d, \"cas\": %d}",
                                           JsonString(key), JsonString(item.value), item.flags,
                                           item.cas));
    } else if (keys.size() == 1 && !c.args.Has("cas")) {
      std::fwrite(item.value.data(), 1, item.value.size(), stdout);
      std::fputc('\n', stdout);
    } else if (c.args.Has("cas")) {
      absl::PrintF("%s\t%d\t%s\n", key, item.cas, item.value);
    } else {
      absl::PrintF("%s\t%s\n", key, item.value);
    }
  }
  if (c.json()) {
    absl::PrintF("{\"items\": {%s}, \"misses\": [%s]}\n", absl::StrJoin(json_items, ", "),
                 absl::StrJoin(json_misses, ", "));
  }
  return ReportMisses("get", missing, keys.size());
}

int RunCat(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("cat", raw, {}, 1, kAnyCount);
  if (c.client == nullptr) return c.exit_status;
  const std::vector<std::string>& keys = c.args.positional;
  client::ItemMap items;
  absl::Status status = FetchAll(c.client.get(), keys, false, &items);
  if (!status.ok()) return ReportFailure("cat", status);
  size_t missing = 0;
  for (const std::string& key : keys) {
    auto it = items.find(key);
    if (it == items.end()) {
      ++missing;
      continue;
    }
    std::fwrite(it->second.value.data(), 1, it->second.value.size(), stdout);
  }
  std::fflush(stdout);
  return ReportMisses("cat", missing, keys.size());
}

int RunExist(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("exist", raw, {}, 1, kAnyCount);
  if (c.client == nullptr) return c.exit_status;
  const std::vector<std::string>& keys = c.args.positional;
  client::ItemMap items;
  absl::Status status = FetchAll(c.client.get(), keys, false, &items);
  if (!status.ok()) return ReportFailure("exist", status);
  size_t missing = 0;
  std::vector<std::string> json;
  for (const std::string& key : keys) {
    const bool present = items.contains(key);
    if (!present) ++missing;
    if (c.json()) json.push_back(absl::StrCat(JsonString(key), ": ", present ? "true" : "false"));
  }
  if (c.json()) absl::PrintF("{%s}\n", absl::StrJoin(json, ", "));
  return ReportMisses("exist", missing, keys.size());
}

// set/add/replace/append/prepend KEY [VALUE | - for stdin]
static int RunStore(absl::string_view command, const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand(command, raw, {{"exptime", "flags"}, {}}, 1, 2);
  if (c.client == nullptr) return c.exit_status;
  client::StoreOptions options;
  if (!ParseStoreOptions(c.args, &options)) {
    return ReportUsage(command, "--exptime and --flags take whole numbers");
  }
  const std::string& key = c.args.positional[0];
  const std::string value = ValueOrStdin(c.args.positional, 1);
  absl::Status status;
  if (command == "set") status = c.client->Set(key, value, options);
  if (command == "add") status = c.client->Add(key, value, options);
  if (command == "replace") status = c.client->Replace(key, value, options);
  if (command == "append") status = c.client->Append(key, value, options);
  if (command == "prepend") status = c.client->Prepend(key, value, options);
  if (!status.ok()) return ReportFailure(absl::StrCat(command, " ", key), status);
  return kExitOk;
}

int RunSet(const std::vector<std::string>& a) { return RunStore("set", a); }
int RunAdd(const std::vector<std::string>& a) { return RunStore("add", a); }
int RunReplace(const std::vector<std::string>& a) { return RunStore("replace", a); }
int RunAppend(const std::vector<std::string>& a) { return RunStore("append", a); }
int RunPrepend(const std::vector<std::string>& a) { return RunStore("prepend", a); }

// cas KEY CAS [VALUE | -]
int RunCas(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("cas", raw, {{"exptime", "flags"}, {}}, 2, 3);
  if (c.client == nullptr) return c.exit_status;
  client::StoreOptions options;
  if (!ParseStoreOptions(c.args, &options)) {
    return ReportUsage("cas", "--exptime and --flags take whole numbers");
  }
  uint64_t cas = 0;
  if (!absl::SimpleAtoi(c.args.positional[1], &cas)) {
    return ReportUsage("cas", "CAS must be a whole number (see `memkit get --cas KEY`)");
  }
  const std::string& key = c.args.positional[0];
  const std::string value = ValueOrStdin(c.args.positional, 2);
  absl::Status status = c.client->Cas(key, value, cas, options);
  if (!status.ok()) return ReportFailure(absl::StrCat("cas ", key), status);
  return kExitOk;
}

// cp FILE...: each file's bytes under the key of its base name (as memccp).
int RunCp(const std::vector<std::string>& raw) {
  ClientCommand c =
      OpenClientCommand("cp", raw, {{"exptime", "flags", "key-prefix"}, {}}, 1, kAnyCount);
  if (c.client == nullptr) return c.exit_status;
  client::StoreOptions options;
  if (!ParseStoreOptions(c.args, &options)) {
    return ReportUsage("cp", "--exptime and --flags take whole numbers");
  }
  const std::string prefix = c.args.Get("key-prefix");
  int exit = kExitOk;
  for (const std::string& path : c.args.positional) {
    std::ifstream file(path, std::ios::binary);
    std::string bytes;
    if (file) bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    if (!file.is_open() || file.bad()) {
      absl::FPrintF(stderr, "memkit: cp %s: cannot read the file\n", path);
      exit = WorseExit(exit, kExitError);
      continue;
    }
    const size_t slash = path.rfind('/');
    const std::string key =
        prefix + (slash == std::string::npos ? path : path.substr(slash + 1));
    absl::Status status = c.client->Set(key, bytes, options);
    if (!status.ok()) {
      exit = WorseExit(exit, ReportFailure(absl::StrCat("cp ", path, " -> ", key), status));
      continue;
    }
    absl::PrintF("%s\t%s\t%d bytes\n", path, key, bytes.size());
  }
  return exit;
}

int RunDelete(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("delete", raw, {}, 1, kAnyCount);
  if (c.client == nullptr) return c.exit_status;
  int exit = kExitOk;
  for (const std::string& key : c.args.positional) {
    absl::Status status = c.client->Delete(key);
    if (!status.ok()) exit = WorseExit(exit, ReportFailure(absl::StrCat("delete ", key), status));
  }
  return exit;
}

static int RunCounter(absl::string_view command, const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand(command, raw, {{"initial"}, {}}, 1, 2);
  if (c.client == nullptr) return c.exit_status;
  uint64_t delta = 1;
  if (c.args.positional.size() == 2 && !absl::SimpleAtoi(c.args.positional[1], &delta)) {
    return ReportUsage(command, "DELTA must be a whole number from 0 to 2^64-1");
  }
  client::CounterOptions options;
  if (c.args.Has("initial")) {
    uint64_t initial = 0;
    if (!absl::SimpleAtoi(c.args.Get("initial"), &initial)) {
      return ReportUsage(command, "--initial must be a whole number");
    }
    options.initial = initial;
  }
  const std::string& key = c.args.positional[0];
  absl::StatusOr<uint64_t> result = command == "incr" ? c.client->Incr(key, delta, options)
                                                      : c.client->Decr(key, delta, options);
  if (!result.ok()) return ReportFailure(absl::StrCat(command, " ", key), result.status());
  absl::PrintF("%d\n", *result);
  return kExitOk;
}

int RunIncr(const std::vector<std::string>& a) { return RunCounter("incr", a); }
int RunDecr(const std::vector<std::string>& a) { return RunCounter("decr", a); }

int RunTouch(const std::vector<std::string>& raw) {
  ClientCommand c = OpenClientCommand("touch", raw, {}, 2, 2);
  if (c.client == nullptr) return c.exit_status;
  int32_t exptime = 0;
  if (!absl::SimpleAtoi(c.args.positional[1], &exptime)) {
    return ReportUsage("touch", "EXPTIME must be a whole number of seconds");
  }
  absl::Status status = c.client->Touch(c.args.positional[0], exptime);
  if (!status.ok()) return ReportFailure(absl::StrCat("touch ", c.args.positional[0]), status);
  return kExitOk;
}

}  // namespace cli
}  // namespace memkit
