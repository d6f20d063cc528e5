// `memkit dbm SUBCOMMAND FILE ...`: the dbm store from the shell: dump, load,
// get, put, delete, verify, compact and stats; and `memkit dbm bench`,
// dbm_bench's scenarios on memkit dbm alone.
//
// Exit status: 0 ok; 1 a missing key, or damage found by `verify`; 2 a usage
// error; 3 the file could not be opened, read or written.
//
// Dumps are one record per line, `KEY<TAB>VALUE`, with `\\`, `\t`, `\n`, `\r`
// and every byte outside printable ASCII written as C escapes (`\xNN`), so
// any key and value survive a dump and load; `load` reads the same escapes,
// so plain tab-separated lines without backslashes load as they are.

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "dbm/bench/engine.h"
#include "dbm/bench/scenarios.h"
#include "dbm/db.h"
#include "dbm/write_batch.h"
#include "tools/cli/args.h"
#include "tools/cli/commands.h"
#include "tools/cli/output.h"

namespace memkit {
namespace cli {
namespace {

constexpr int kExitMissing = kExitNo;
constexpr int kExitIo = kExitError;

int Usage(absl::string_view message) { return ReportUsage("dbm", message); }

int IoError(absl::string_view what, const absl::Status& status) {
  absl::FPrintF(stderr, "memkit dbm: %s: %s: %s\n", what, absl::StatusCodeToString(status.code()),
                status.message());
  return kExitIo;
}

absl::StatusOr<std::unique_ptr<dbm::Db>> OpenDb(const std::string& path, dbm::OpenMode mode) {
  dbm::Options options;
  options.mode = mode;
  // A tool run is short: no background compaction racing the command.
  options.auto_compact = false;
  absl::StatusOr<std::unique_ptr<dbm::Db>> db = dbm::Db::Open(path, options);
  // A damaged tail is dropped (read-write) or ignored (read-only) by Open;
  // say so, since the records in it look missing.
  if (db.ok() && !(*db)->recovery().clean()) {
    absl::FPrintF(stderr,
                  "memkit dbm: warning: %s: %d damaged bytes at the end of the log %s (%s); "
                  "see `memkit dbm verify`\n",
                  path, (*db)->recovery().dropped_bytes,
                  mode == dbm::OpenMode::kReadOnly ? "ignored" : "dropped",
                  (*db)->recovery().problem);
  }
  return db;
}

int Dump(const std::string& path) {
  auto db = OpenDb(path, dbm::OpenMode::kReadOnly);
  if (!db.ok()) return IoError(path, db.status());
  std::string line;
  for (std::unique_ptr<dbm::Iterator> it = (*db)->NewIterator(); it->Valid(); it->Next()) {
    line.clear();
    AppendEscaped(it->key(), &line);
    line.push_back('\t');
    AppendEscaped(it->value(), &line);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitIo;
}

int Load(const std::string& path, const std::string& input_path) {
  FILE* input = stdin;
  if (input_path != "-") {
    input = std::fopen(input_path.c_str(), "rb");
    if (input == nullptr) {
      return IoError(input_path, absl::NotFoundError("cannot open the input file"));
    }
  }
  auto db = OpenDb(path, dbm::OpenMode::kCreate);
  if (!db.ok()) {
    if (input != stdin) std::fclose(input);
    return IoError(path, db.status());
  }
  // Records go in batches: one log append per 1000 lines instead of one each.
  constexpr size_t kBatchRecords = 1000;
  dbm::WriteBatch batch;
  size_t in_batch = 0;
  uint64_t loaded = 0;
  uint64_t line_number = 0;
  int status = kExitOk;
  char* buffer = nullptr;
  size_t capacity = 0;
  ssize_t length;
  while ((length = getline(&buffer, &capacity, input)) >= 0) {
    ++line_number;
    absl::string_view line(buffer, static_cast<size_t>(length));
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    if (tab == absl::string_view::npos) {
      status = Usage(absl::StrCat("line ", line_number, ": no tab between key and value"));
      break;
    }
    absl::StatusOr<std::string> key = Unescape(line.substr(0, tab));
    absl::StatusOr<std::string> value = Unescape(line.substr(tab + 1));
    if (!key.ok() || !value.ok()) {
      status = Usage(absl::StrCat("line ", line_number, ": ",
                                  (key.ok() ? value.status() : key.status()).message()));
      break;
    }
    batch.Put(*key, *value);
    if (++in_batch == kBatchRecords) {
      absl::Status s = (*db)->Write(dbm::WriteOptions(), batch);
      if (!s.ok()) {
        status = IoError(absl::StrCat(path, " (line ", line_number, ")"), s);
        break;
      }
      loaded += in_batch;
      in_batch = 0;
      batch.Clear();
    }
  }
  std::free(buffer);
  if (input != stdin) std::fclose(input);
  if (status == kExitOk && in_batch > 0) {
    absl::Status s = (*db)->Write(dbm::WriteOptions(), batch);
    if (!s.ok()) status = IoError(path, s);
    if (s.ok()) loaded += in_batch;
  }
  absl::Status closed = (*db)->Close();
  if (status == kExitOk && !closed.ok()) status = IoError(path, closed);
  absl::FPrintF(stderr, "memkit dbm: loaded %d records into %s\n", loaded, path);
  return status;
}

int Get(const std::string& path, const std::string& key) {
  auto db = OpenDb(path, dbm::OpenMode::kReadOnly);
  if (!db.ok()) return IoError(path, db.status());
  dbm::ReadOptions read;
  read.verify_checksum = true;
  std::string value;
  absl::Status s = (*db)->Get(read, key, &value);
  if (absl::IsNotFound(s)) {
    absl::FPrintF(stderr, "memkit dbm: %s: no key '%s'\n", path, key);
    return kExitMissing;
  }
  if (!s.ok()) return IoError(absl::StrCat("get ", key), s);
  std::fwrite(value.data(), 1, value.size(), stdout);
  std::fputc('\n', stdout);
  return kExitOk;
}

int Put(const std::string& path, const std::string& key, const std::string& value) {
  auto db = OpenDb(path, dbm::OpenMode::kCreate);
  if (!db.ok()) return IoError(path, db.status());
  dbm::WriteOptions write;
  write.sync = true;
  absl::Status s = (*db)->Put(write, key, value);
  if (!s.ok()) return IoError(absl::StrCat("put ", key), s);
  s = (*db)->Close();
  return s.ok() ? kExitOk : IoError(path, s);
}

int Delete(const std::string& path, const std::string& key) {
  auto db = OpenDb(path, dbm::OpenMode::kReadWrite);
  if (!db.ok()) return IoError(path, db.status());
  dbm::WriteOptions write;
  write.sync = true;
  absl::Status s = (*db)->Delete(write, key);
  if (absl::IsNotFound(s)) {
    absl::FPrintF(stderr, "memkit dbm: %s: no key '%s'\n", path, key);
    return kExitMissing;
  }
  if (!s.ok()) return IoError(absl::StrCat("delete ", key), s);
  s = (*db)->Close();
  return s.ok() ? kExitOk : IoError(path, s);
}

// Opens without the hint (so every record is replayed and checksummed) and
// read-only (so a damaged tail is reported, not cut off), then checks the
// whole file again with Db::Verify().
int Verify(const std::string& path) {
  dbm::Options options;
  options.mode = dbm::OpenMode::kReadOnly;
  options.use_hint = false;
  options.auto_compact = false;
  auto db = dbm::Db::Open(path, options);
  if (!db.ok()) {
    if (absl::IsDataLoss(db.status())) {
      absl::PrintF("%s: DAMAGED: %s\n", path, db.status().message());
      return kExitMissing;
    }
    return IoError(path, db.status());
  }
  const dbm::RecoveryReport& report = (*db)->recovery();
  absl::PrintF("records checked: %d (%d bytes)\n", report.scanned_records, report.scanned_bytes);
  absl::PrintF("valid log end:   %d\n", report.valid_end);
  absl::PrintF("dropped tail:    %d bytes (%d of them acknowledged writes)\n", report.dropped_bytes,
               report.lost_committed_bytes);
  if (!report.clean()) {
    absl::PrintF("%s: DAMAGED: %s\n", path, report.problem);
    return kExitMissing;
  }
  absl::Status verified = (*db)->Verify();
  if (!verified.ok()) {
    absl::PrintF("%s: DAMAGED: %s\n", path, verified.message());
    return kExitMissing;
  }
  absl::PrintF("%s: OK\n", path);
  return kExitOk;
}

int Compact(const std::string& path) {
  auto db = OpenDb(path, dbm::OpenMode::kReadWrite);
  if (!db.ok()) return IoError(path, db.status());
  const dbm::DbStats before = (*db)->GetStats();
  absl::Status s = (*db)->Compact();
  if (!s.ok()) return IoError(absl::StrCat("compact ", path), s);
  const dbm::DbStats after = (*db)->GetStats();
  s = (*db)->Close();
  if (!s.ok()) return IoError(path, s);
  absl::PrintF("compacted %s: %d -> %d bytes (%d live keys)\n", path, before.file_bytes,
               after.file_bytes, after.live_keys);
  return kExitOk;
}

int Stats(const std::string& path) {
  auto db = OpenDb(path, dbm::OpenMode::kReadOnly);
  if (!db.ok()) return IoError(path, db.status());
  const dbm::DbStats stats = (*db)->GetStats();
  const dbm::RecoveryReport& report = (*db)->recovery();
  absl::PrintF("file:           %s\n", path);
  absl::PrintF("live_keys:      %d\n", stats.live_keys);
  absl::PrintF("live_bytes:     %d\n", stats.live_bytes);
  absl::PrintF("dead_bytes:     %d\n", stats.garbage_bytes);
  absl::PrintF("file_bytes:     %d\n", stats.file_bytes);
  const std::string hint = path + ".hint";
  struct stat st;
  if (::stat(hint.c_str(), &st) == 0) {
    absl::PrintF("hint_age_secs:  %d\n", static_cast<int64_t>(std::time(nullptr) - st.st_mtime));
  } else {
    absl::PrintF("hint_age_secs:  none (no hint file)\n");
  }
  absl::PrintF("opened_with:    %s\n", report.used_hint ? "hint" : "full scan");
  if (!report.hint_problem.empty()) absl::PrintF("hint_problem:   %s\n", report.hint_problem);
  absl::PrintF("dropped_tail:   %d bytes\n", report.dropped_bytes);
  return kExitOk;
}

// dbm_bench's scenarios on memkit dbm alone, in a scratch directory.
int Bench(const ParsedArgs& args) {
  dbm::bench::DbmBenchOptions options;
  if ((args.Has("num") && !absl::SimpleAtoi(args.Get("num"), &options.num)) ||
      (args.Has("value-size") && !absl::SimpleAtoi(args.Get("value-size"), &options.value_size)) ||
      (args.Has("key-size") && !absl::SimpleAtoi(args.Get("key-size"), &options.key_size))) {
    return Usage("--num, --value-size and --key-size take whole numbers");
  }
  if (args.Has("scenarios")) options.scenarios = absl::StrSplit(args.Get("scenarios"), ',');
  options.dir = args.Get("dir");
  std::vector<std::unique_ptr<dbm::bench::Engine>> engines;
  engines.push_back(dbm::bench::MakeMemkitEngine());
  absl::Status status = dbm::bench::RunDbmBench(options, engines, stdout);
  if (absl::IsInvalidArgument(status)) return Usage(status.message());
  if (!status.ok()) return IoError("bench", status);
  return kExitOk;
}

}  // namespace

int RunDbm(const std::vector<std::string>& raw) {
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(raw, FlagSpec{{"num", "value-size", "key-size", "scenarios", "dir"}, {}});
  if (!parsed.ok()) return Usage(parsed.status().message());
  const std::vector<std::string>& args = parsed->positional;
  if (args.size() == 1 && args[0] == "bench") return Bench(*parsed);
  if (args.size() < 2) return Usage("expected SUBCOMMAND FILE");
  const std::string& sub = args[0];
  const std::string& path = args[1];
  const size_t extra = args.size() - 2;
  auto want = [&](size_t n) { return extra == n; };
  if (sub == "dump" && want(0)) return Dump(path);
  if (sub == "load" && (want(0) || want(1))) return Load(path, extra == 1 ? args[2] : "-");
  if (sub == "get" && want(1)) return Get(path, args[2]);
  if (sub == "put" && (want(1) || want(2))) {
    return Put(path, args[2], ValueOrStdin(args, 3));
  }
  if (sub == "delete" && want(1)) return Delete(path, args[2]);
  if (sub == "verify" && want(0)) return Verify(path);
  if (sub == "compact" && want(0)) return Compact(path);
  if (sub == "stats" && want(0)) return Stats(path);
  for (absl::string_view known :
       {"dump", "load", "get", "put", "delete", "verify", "compact", "stats", "bench"}) {
    if (sub == known) return Usage(absl::StrCat("wrong number of arguments for '", sub, "'"));
  }
  return Usage(absl::StrCat("unknown subcommand '", sub, "'"));
}

}  // namespace cli
}  // namespace memkit
