#include "dbm/bench/scenarios.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/net/clock.h"
#include "dbm/db.h"

// Returns the status of `expr` from the enclosing function if it is an error.
#define MEMKIT_BENCH_RETURN_IF_ERROR(expr)     \
  do {                                         \
    const absl::Status status_ = (expr);       \
    if (!status_.ok()) return status_;         \
  } while (false)

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
  absl::StatusOr<Result> Run(Engine& engine, const std::string& scenario) {
    Result r;
    const std::string db = dir_ + "/" + engine.name() + (scenario == "fill_random" ? "-r" : "-s");
    if (scenario == "fill_random" || scenario == "fill_sequential") {
      MEMKIT_BENCH_RETURN_IF_ERROR(Reset(db));
      MEMKIT_BENCH_RETURN_IF_ERROR(engine.Open(db, Access::kNew));
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
      MEMKIT_BENCH_RETURN_IF_ERROR(engine.Close());
      return r;
    }
    if (scenario == "open") {
      const double cpu = CpuSeconds();
      const int64_t start = net::MonotonicNanos();
      MEMKIT_BENCH_RETURN_IF_ERROR(engine.Open(db, Access::kReadOnly));
      r.seconds = Seconds(start);
      r.cpu_seconds = CpuSeconds() - cpu;
      r.ops = 1;
      MEMKIT_BENCH_RETURN_IF_ERROR(engine.Close());
      return r;
    }
    const bool deleting = scenario == "delete_sequential";
    MEMKIT_BENCH_RETURN_IF_ERROR(engine.Open(db, deleting ? Access::kReadWrite : Access::kReadOnly));
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
    MEMKIT_BENCH_RETURN_IF_ERROR(engine.Close());
    return r;
  }

  absl::Status Reset(const std::string& db) {
    const std::string cmd = "rm -rf '" + db + "' && mkdir -p '" + db + "'";
    if (system(cmd.c_str()) != 0) return absl::InternalError("cannot reset " + db);
    return absl::OkStatus();
  }

 private:
  static double Seconds(int64_t start_nanos) {
    return static_cast<double>(net::MonotonicNanos() - start_nanos) / 1e9;
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

}  // namespace

absl::Status RunDbmBench(const DbmBenchOptions& options,
                         const std::vector<std::unique_ptr<Engine>>& engines, FILE* out) {
  const int64_t num = options.num;
  const int key_size = options.key_size;
  const int value_size = options.value_size;
  if (num < 1 || key_size < 1 || key_size > 64 || value_size < 1 || value_size > (1 << 20)) {
    return absl::InvalidArgumentError("num >= 1, key size 1..64, value size 1..1 MiB");
  }
  std::string base = options.dir;
  if (base.empty()) base = getenv("TMPDIR") != nullptr ? getenv("TMPDIR") : "/tmp";
  std::string dir = base + "/dbm_bench.XXXXXX";
  if (mkdtemp(&dir[0]) == nullptr) return absl::InternalError("mkdtemp " + dir + " failed");
  std::fprintf(out, "dbm_bench: %lld keys, %d-byte keys, %d-byte values, in %s\n",
              static_cast<long long>(num), key_size, value_size, dir.c_str());
  const Workload w = MakeWorkload(num, key_size, value_size);
  Runner runner(w, dir);
  const double bytes_per_op = key_size + value_size;

  std::map<std::string, std::map<std::string, Result>> results;  // scenario -> engine
  std::vector<std::string> names;
  for (const auto& engine : engines) names.push_back(engine->name());
  std::vector<std::string> scenarios = options.scenarios.empty() ? kScenarios : options.scenarios;
  for (const std::string& scenario : scenarios) {
    if (std::find(kScenarios.begin(), kScenarios.end(), scenario) == kScenarios.end()) {
      return absl::InvalidArgumentError("unknown scenario " + scenario);
    }
  }
  double memkit_open_no_hint = -1;
  for (const auto& engine : engines) {
    const std::string name = engine->name();
    for (const std::string& scenario : scenarios) {
      absl::StatusOr<Result> run = runner.Run(*engine, scenario);
      if (!run.ok()) {
        runner.Reset(dir).IgnoreError();
        rmdir(dir.c_str());
        return absl::Status(run.status().code(),
                            absl::StrCat(name, " ", scenario, ": ", run.status().message()));
      }
      const Result r = *run;
      results[scenario][name] = r;
      const double us = r.seconds * 1e6 / r.ops;
      const double mb_per_s =
          scenario == "open" ? 0.0 : r.ops * bytes_per_op / (1 << 20) / r.seconds;
      const std::string failed =
          r.failures > 0 ? absl::StrFormat("  (%d FAILED)", r.failures) : std::string();
      std::fprintf(out, 
          "%-8s %-18s time: %7.3f s  micros/op: %8.3f  ops/s: %10.0f  MB/s: %7.1f  "
          "cpu micros/op: %8.3f%s\n",
          name.c_str(), scenario.c_str(), r.seconds, us, r.ops / r.seconds, mb_per_s,
          r.cpu_seconds * 1e6 / r.ops, failed.c_str());
      std::fflush(out);
      if (name == "memkit" && scenario == "open") memkit_open_no_hint = MemkitOpenWithoutHint(dir);
    }
    runner.Reset(dir + "/" + name + "-r").IgnoreError();
    runner.Reset(dir + "/" + name + "-s").IgnoreError();
  }

  std::fprintf(out, "\n| scenario | memkit us/op |");
  for (const std::string& name : names) {
    if (name != "memkit") std::fprintf(out, " %s us/op |", name.c_str());
  }
  std::fprintf(out, " best peer | memkit / best |\n|---|---|");
  for (const std::string& name : names) {
    if (name != "memkit") std::fprintf(out, "---|");
  }
  std::fprintf(out, "---|---|\n");
  for (const std::string& scenario : scenarios) {
    const auto& row = results[scenario];
    const double scale = scenario == "open" ? 1e3 : 1e6;  // open in ms
    const char* unit = scenario == "open" ? " (ms)" : "";
    auto per_op = [&](const std::string& name) {
      const Result& r = row.at(name);
      return r.seconds * scale / r.ops;
    };
    std::fprintf(out, "| %s%s |", scenario.c_str(), unit);
    if (row.count("memkit")) {
      std::fprintf(out, " %.3f |", per_op("memkit"));
    } else {
      std::fprintf(out, " - |");
    }
    std::string best;
    for (const std::string& name : names) {
      if (name == "memkit") continue;
      std::fprintf(out, " %.3f |", per_op(name));
      if (best.empty() || per_op(name) < per_op(best)) best = name;
    }
    if (scenario == "open") {
      // The peers map their files and build nothing; memkit loads its index.
      std::fprintf(out, " - | (lazy peers) |\n");
    } else if (!best.empty() && row.count("memkit")) {
      std::fprintf(out, " %s | %.2f |\n", best.c_str(), per_op("memkit") / per_op(best));
    } else {
      std::fprintf(out, " - | - |\n");
    }
  }
  if (memkit_open_no_hint >= 0) {
    std::fprintf(out, "\nmemkit open of %lld keys without the hint file (full log replay): %.1f ms\n",
                static_cast<long long>(num), memkit_open_no_hint * 1e3);
  }
  runner.Reset(dir).IgnoreError();
  rmdir(dir.c_str());
  return absl::OkStatus();
}


}  // namespace bench
}  // namespace dbm
}  // namespace memkit
