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

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "dbm/bench/engines.h"
#include "dbm/bench/scenarios.h"

ABSL_FLAG(int64_t, num, 1000000, "number of keys");
ABSL_FLAG(int, value_size, 100, "bytes per value");
ABSL_FLAG(int, key_size, 16, "digits per key (keys are zero-padded decimal)");
ABSL_FLAG(std::string, engines, "memkit,leveldb,lmdb,gdbm,kyoto", "engines to run");
ABSL_FLAG(std::string, scenarios, "",
          "comma-separated scenarios to run (default: all); reads need a fill_sequential first");
ABSL_FLAG(std::string, dir, "", "scratch directory (default: $TMPDIR or /tmp)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  namespace bench = memkit::dbm::bench;
  bench::DbmBenchOptions options;
  options.num = absl::GetFlag(FLAGS_num);
  options.value_size = absl::GetFlag(FLAGS_value_size);
  options.key_size = absl::GetFlag(FLAGS_key_size);
  options.dir = absl::GetFlag(FLAGS_dir);
  if (!absl::GetFlag(FLAGS_scenarios).empty()) {
    options.scenarios = absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',');
  }
  std::vector<std::unique_ptr<bench::Engine>> engines;
  for (const std::string& name :
       std::vector<std::string>(absl::StrSplit(absl::GetFlag(FLAGS_engines), ','))) {
    std::unique_ptr<bench::Engine> engine = bench::MakeEngine(name);
    if (engine == nullptr) {
      std::fprintf(stderr, "dbm_bench: unknown engine %s\n", name.c_str());
      return 1;
    }
    engines.push_back(std::move(engine));
  }
  const absl::Status status = bench::RunDbmBench(options, engines, stdout);
  if (!status.ok()) {
    std::fprintf(stderr, "dbm_bench: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
