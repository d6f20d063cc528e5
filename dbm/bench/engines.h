// The stores dbm_bench runs side by side: memkit dbm and its peers (LevelDB,
// LMDB, gdbm, Kyoto Cabinet's hash database), behind engine.h's interface.
//
// Thread-safety: none; the benchmark is single-threaded.

#ifndef MEMKIT_DBM_BENCH_ENGINES_H_
#define MEMKIT_DBM_BENCH_ENGINES_H_

#include <memory>
#include <string>
#include <vector>

#include "dbm/bench/engine.h"

namespace memkit {
namespace dbm {
namespace bench {

// "memkit", "leveldb", "lmdb", "gdbm", "kyoto".
std::vector<std::string> EngineNames();
// Null for an unknown name.
std::unique_ptr<Engine> MakeEngine(const std::string& name);

}  // namespace bench
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_BENCH_ENGINES_H_
