// The operations of the kill -9 crash test, shared by the writer child
// (crash_writer) and the test that checks what survived.
//
// Operation number `seq` of a writer started with `seed` depends only on
// (seed, seq), so the test can rebuild exactly what was acknowledged from
// the acknowledgement count alone, and knows the single operation that may
// have been in flight when the child was killed.
//
// Thread-safety: pure functions.

#ifndef MEMKIT_DBM_TESTING_CRASH_OPS_H_
#define MEMKIT_DBM_TESTING_CRASH_OPS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace memkit {
namespace dbm {
namespace testing {

struct CrashOp {
  enum class Kind { kPut, kDelete, kBatch, kCompact };
  Kind kind;
  // Puts (a value) and deletes (nullopt), in order; one for kPut/kDelete,
  // several for kBatch, none for kCompact.
  std::vector<std::pair<std::string, std::optional<std::string>>> writes;
};

CrashOp MakeCrashOp(uint64_t seed, uint64_t seq, int key_space);

// The content after `op`, applied to `model`.
void ApplyCrashOp(const CrashOp& op, std::map<std::string, std::string>* model);

}  // namespace testing
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_TESTING_CRASH_OPS_H_
