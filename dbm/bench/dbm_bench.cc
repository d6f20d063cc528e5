// dbm_bench: semidbm's benchmark scenarios on memkit dbm and, in the same
// run, on LevelDB, LMDB, gdbm and Kyoto Cabinet's hash database.
//
//   bazel run -c opt //dbm:dbm_bench -- [--num=1000000] [--engines=memkit,lmdb]
//
// Scenarios (semidbm's scripts/benchmark, after LevelDB's db_bench): keys are
// "%016d", values 100 bytes cut from 1 MiB of random bytes.
//   fill_random      a new database, keys inserted in random order
//   fill_sequential  a new database, keys in order
//   open             opening the filled database read-only (1 M keys)
//   read_hot         1% of the keys, read `num` times round-robin
//   read_sequential  every key in order
//   read_random      every key in random order
//   delete_sequential every key in order, database opened read-write
// Each scenario opens the database before the clock starts and closes it
// after it stops (except `open`, which times the open). Prints micros/op,
// ops/s and MB/s ((key + value) bytes per op) per engine, then memkit's
// time per op over the best peer's (below 1.0 means memkit is faster).

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "core/net/clock.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "dbm/bench/engines.h"
#include "dbm/db.h"

ABSL_FLAG(int64_t, num, 1000000, "number of keys");
ABSL_FLAG(int, value_size, 100, "bytes per value");
ABSL_FLAG(int, key_size, 16, "digits per key (keys are zero-padded decimal)");
ABSL_FLAG(std::string, engines, "memkit,leveldb,lmdb,gdbm,kyoto", "engines to run");
ABSL_FLAG(std::string, scenarios, "",
          "comma-separated scenarios to run (default: all); reads need a fill_sequential first");
ABSL_FLAG(std::string, dir, "", "scratch directory (default: $TMPDIR or /tmp)");

namespace memkit {
namespace dbm {
namespace bench {
namespace {


const std::vector<std::string> kScenarios = {
    "fill_random", "fill_sequential", "open",        "read_hot",
    "read_sequential", "read_random", "delete_sequential"};

struct Workload {
  std::vector<std::string> keys;      // in order
  std::vector<std::string> shuffled;  // the same, shuffled
  std::vector<std::string> hot;       // 1% sample
  std::string random_bytes;           // values are slices of this
  int value_size;
  int key_size;
};

Workload MakeWorkload(int64_t num, int key_size, int value_size) {
  Workload w;
  w.key_size = key_size;
  w.value_size = value_size;
  std::mt19937_64 rng(100);  // semidbm seeds its generator with 100
  w.keys.reserve(num);
  for (int64_t i = 0; i < num; ++i) w.keys.push_back(absl::StrFormat("%0*d", key_size, i));
  w.shuffled = w.keys;
  std::shuffle(w.shuffled.begin(), w.shuffled.end(), rng);
  const size_t hot = std::max<int64_t>(1, num / 100);
  w.hot.assign(w.shuffled.begin(), w.shuffled.begin() + hot);
  std::shuffle(w.shuffled.begin(), w.shuffled.end(), rng);
  w.random_bytes.resize(1 << 20);
  for (char& c : w.random_bytes) c = static_cast<char>(rng());
  return w;
}

// CPU time of this process (user + system), in seconds: on a loaded machine
// wall time also counts time spent waiting for a core.
double CpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

struct Result {
  double seconds = 0;
  double cpu_seconds = 0;
  int64_t ops = 0;
  int64_t failures = 0;
};

class Runner {
 public:
  Runner(const Workload& w, const std::string& dir) : w_(w), dir_(dir) {}

  // Runs one scenario on `engine`; its files live in dir_/<engine>/<db>.
  Result Run(Engine& engine, const std::string& scenario) {
    Result r;
    const std::string db = dir_ + "/" + engine.name() + (scenario == "fill_random" ? "-r" : "-s");
    if (scenario == "fill_random" || scenario == "fill_sequential") {
      Reset(db);
      Check(engine.Open(db, Access::kNew));
      const auto& keys = scenario == "fill_random" ? w_.shuffled : w_.keys;
      size_t pos = 0;
      const double cpu = CpuSeconds();
      const int64_t start = net::MonotonicNanos();
      for (const std::string& key : keys) {
        if (!engine.Put(key, absl::string_view(w_.random_bytes).substr(pos, w_.value_size))) {
          ++r.failures;
        }
        pos += w_.value_size;
        if (pos + w_.value_size > w_.random_bytes.size()) pos = 0;
      }
      r.seconds = Seconds(start);
      r.cpu_seconds = CpuSeconds() - cpu;
      r.ops = keys.size();
      Check(engine.Close());
      return r;
    }
    if (scenario == "open") {
      const double cpu = CpuSeconds();
      const int64_t start = net::MonotonicNanos();
      Check(engine.Open(db, Access::kReadOnly));
      r.seconds = Seconds(start);
      r.cpu_seconds = CpuSeconds() - cpu;
      r.ops = 1;
      Check(engine.Close());
      return r;
    }
    const bool deleting = scenario == "delete_sequential";
    Check(engine.Open(db, deleting ? Access::kReadWrite : Access::kReadOnly));
    std::string value;
    const double cpu = CpuSeconds();
    const int64_t start = net::MonotonicNanos();
    if (scenario == "read_hot") {
      const size_t n = w_.keys.size();
      for (size_t i = 0; i < n; ++i) {
        if (!engine.Get(w_.hot[i % w_.hot.size()], &value)) ++r.failures;
      }
      r.ops = n;
    } else if (deleting) {
      for (const std::string& key : w_.keys) {
        if (!engine.Delete(key)) ++r.failures;
      }
      r.ops = w_.keys.size();
    } else {
      const auto& keys = scenario == "read_random" ? w_.shuffled : w_.keys;
      for (const std::string& key : keys) {
        if (!engine.Get(key, &value) || value.size() != static_cast<size_t>(w_.value_size)) {
          ++r.failures;
        }
      }
      r.ops = keys.size();
    }
    r.seconds = Seconds(start);
    r.cpu_seconds = CpuSeconds() - cpu;
    Check(engine.Close());
    return r;
  }

  void Reset(const std::string& db) {
    const std::string cmd = "rm -rf '" + db + "' && mkdir -p '" + db + "'";
    if (system(cmd.c_str()) != 0) Fail("cannot reset " + db);
  }

 private:
  static double Seconds(int64_t start_nanos) {
    return static_cast<double>(net::MonotonicNanos() - start_nanos) / 1e9;
  }
  static void Check(const absl::Status& s) {
    if (!s.ok()) Fail(s.ToString());
  }
  static void Fail(const std::string& what) {
    std::fprintf(stderr, "dbm_bench: %s\n", what.c_str());
    std::exit(1);
  }

  const Workload& w_;
  const std::string dir_;
};

// memkit's open when it must rebuild the index from the log (no hint).
double MemkitOpenWithoutHint(const std::string& dir) {
  Options options;
  options.mode = OpenMode::kReadOnly;
  options.use_hint = false;
  const int64_t start = net::MonotonicNanos();
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(dir + "/memkit-s/data.dbm", options);
  const double seconds = static_cast<double>(net::MonotonicNanos() - start) / 1e9;
  if (!db.ok()) return -1;
  return seconds;
}

int Main() {
  const int64_t num = absl::GetFlag(FLAGS_num);
  const int key_size = absl::GetFlag(FLAGS_key_size);
  const int value_size = absl::GetFlag(FLAGS_value_size);
  std::string base = absl::GetFlag(FLAGS_dir);
  if (base.empty()) base = getenv("TMPDIR") != nullptr ? getenv("TMPDIR") : "/tmp";
  std::string dir = base + "/dbm_bench.XXXXXX";
  if (mkdtemp(&dir[0]) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::printf("dbm_bench: %lld keys, %d-byte keys, %d-byte values, in %s\n",
              static_cast<long long>(num), key_size, value_size, dir.c_str());
  const Workload w = MakeWorkload(num, key_size, value_size);
  Runner runner(w, dir);
  const double bytes_per_op = key_size + value_size;

  std::map<std::string, std::map<std::string, Result>> results;  // scenario -> engine
  std::vector<std::string> engines = absl::StrSplit(absl::GetFlag(FLAGS_engines), ',');
  std::vector<std::string> scenarios = kScenarios;
  if (!absl::GetFlag(FLAGS_scenarios).empty()) {
    scenarios = absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',');
  }
  double memkit_open_no_hint = -1;
  for (const std::string& name : engines) {
    std::unique_ptr<Engine> engine = MakeEngine(name);
    if (engine == nullptr) {
      std::fprintf(stderr, "dbm_bench: unknown engine %s\n", name.c_str());
      return 1;
    }
    for (const std::string& scenario : scenarios) {
      const Result r = runner.Run(*engine, scenario);
      results[scenario][name] = r;
      const double us = r.seconds * 1e6 / r.ops;
      const double mb_per_s =
          scenario == "open" ? 0.0 : r.ops * bytes_per_op / (1 << 20) / r.seconds;
      const std::string failed =
          r.failures > 0 ? absl::StrFormat("  (%d FAILED)", r.failures) : std::string();
      std::printf(
          "%-8s %-18s time: %7.3f s  micros/op: %8.3f  ops/s: %10.0f  MB/s: %7.1f  "
          "cpu micros/op: %8.3f%s\n",
          name.c_str(), scenario.c_str(), r.seconds, us, r.ops / r.seconds, mb_per_s,
          r.cpu_seconds * 1e6 / r.ops, failed.c_str());
      std::fflush(stdout);
      if (name == "memkit" && scenario == "open") memkit_open_no_hint = MemkitOpenWithoutHint(dir);
    }
    runner.Reset(dir + "/" + name + "-r");
    runner.Reset(dir + "/" + name + "-s");
  }

  std::printf("\n| scenario | memkit us/op |");
  for (const std::string& name : engines) {
    if (name != "memkit") std::printf(" %s us/op |", name.c_str());
  }
  std::printf(" best peer | memkit / best |\n|---|---|");
  for (const std::string& name : engines) {
    if (name != "memkit") std::printf("---|");
  }
  std::printf("---|---|\n");
  for (const std::string& scenario : scenarios) {
    const auto& row = results[scenario];
    const double scale = scenario == "open" ? 1e3 : 1e6;  // open in ms
    const char* unit = scenario == "open" ? " (ms)" : "";
    auto per_op = [&](const std::string& name) {
      const Result& r = row.at(name);
      return r.seconds * scale / r.ops;
    };
    std::printf("| %s%s |", scenario.c_str(), unit);
    if (row.count("memkit")) {
      std::printf(" %.3f |", per_op("memkit"));
    } else {
      std::printf(" - |");
    }
    std::string best;
    for (const std::string& name : engines) {
      if (name == "memkit") continue;
      std::printf(" %.3f |", per_op(name));
      if (best.empty() || per_op(name) < per_op(best)) best = name;
    }
    if (scenario == "open") {
      // The peers map their files and build nothing; memkit loads its index.
      std::printf(" - | (lazy peers) |\n");
    } else if (!best.empty() && row.count("memkit")) {
      std::printf(" %s | %.2f |\n", best.c_str(), per_op("memkit") / per_op(best));
    } else {
      std::printf(" - | - |\n");
    }
  }
  if (memkit_open_no_hint >= 0) {
    std::printf("\nmemkit open of %lld keys without the hint file (full log replay): %.1f ms\n",
                static_cast<long long>(num), memkit_open_no_hint * 1e3);
  }
  runner.Reset(dir);
  rmdir(dir.c_str());
  return 0;
}

}  // namespace
}  // namespace bench
}  // namespace dbm
}  // namespace memkit

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return memkit::dbm::bench::Main();
}
