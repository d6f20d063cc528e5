// semidbm's benchmark scenarios, run on any set of engines (engine.h): by
// dbm_bench on memkit dbm and its peers side by side, and by `memkit dbm
// bench` on memkit dbm alone.
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

//
// Thread-safety: RunDbmBench runs single-threaded in its caller.

#ifndef MEMKIT_DBM_BENCH_SCENARIOS_H_
#define MEMKIT_DBM_BENCH_SCENARIOS_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dbm/bench/engine.h"

namespace memkit {
namespace dbm {
namespace bench {

struct DbmBenchOptions {
  int64_t num = 1000000;  // keys
  int value_size = 100;   // bytes per value
  int key_size = 16;      // digits per key (zero-padded decimal)
  // Scenarios to run, in order (empty: all of fill_random, fill_sequential,
  // open, read_hot, read_sequential, read_random, delete_sequential).
  std::vector<std::string> scenarios;
  // Scratch directory (empty: $TMPDIR, else /tmp); a fresh subdirectory is
  // made in it and removed afterwards.
  std::string dir;
};

// Runs the scenarios on each engine in turn, printing a line per scenario
// and a summary table to `out`. InvalidArgument for bad options or an
// unknown scenario; the engine's error if one fails.
absl::Status RunDbmBench(const DbmBenchOptions& options,
                         const std::vector<std::unique_ptr<Engine>>& engines, FILE* out);

}  // namespace bench
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_BENCH_SCENARIOS_H_
