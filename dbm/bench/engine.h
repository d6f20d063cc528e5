// The interface dbm_bench's scenarios drive, and memkit dbm behind it. The
// peers (LevelDB, LMDB, gdbm, Kyoto Cabinet) are in engines.h, so that a
// program benchmarking memkit alone (`memkit dbm bench`) links none of them.
//
// Every engine is configured the same way as far as each allows: no fsync
// per write (each write survives a kill of the process but not a machine
// crash), one operation per transaction, values copied out on reads.
//
// Thread-safety: none; the benchmark is single-threaded.

#ifndef MEMKIT_DBM_BENCH_ENGINE_H_
#define MEMKIT_DBM_BENCH_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace dbm {
namespace bench {

enum class Access {
  kNew,        // create empty, replacing what was there
  kReadOnly,   // existing, reads only
  kReadWrite,  // existing, reads and writes
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  // `dir` is a directory owned by this engine.
  virtual absl::Status Open(const std::string& dir, Access access) = 0;
  virtual absl::Status Close() = 0;
  virtual bool Put(absl::string_view key, absl::string_view value) = 0;
  // False when missing or on error.
  virtual bool Get(absl::string_view key, std::string* value) = 0;
  virtual bool Delete(absl::string_view key) = 0;
};

// memkit dbm with default options (no fsync per write), files in the
// engine's directory.
std::unique_ptr<Engine> MakeMemkitEngine();

}  // namespace bench
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_BENCH_ENGINE_H_
