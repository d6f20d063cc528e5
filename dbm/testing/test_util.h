// Helpers for dbm's tests: scratch directories and whole-file byte access.
//
// Thread-safety: free functions; a ScratchDir belongs to one test.

#ifndef MEMKIT_DBM_TESTING_TEST_UTIL_H_
#define MEMKIT_DBM_TESTING_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/scratch_dir.h"

namespace memkit {
namespace dbm {
namespace testing {

// A fresh directory under $TEST_TMPDIR (or /tmp), removed with its contents
// on destruction: //tests/support's ScratchDir, made in a constructor (it
// aborts when no directory can be made) for dbm's fixtures.
class ScratchDir {
 public:
  ScratchDir();

  const std::string& path() const { return dir_->path(); }
  // path() + "/" + name
  std::string File(const std::string& name) const { return dir_->Path(name); }

 private:
  std::unique_ptr<test_support::ScratchDir> dir_;
};

// The whole content of `path`; "" if it cannot be read.
std::string ReadFileBytes(const std::string& path);
// Replaces `path` with `bytes`. False on error.
bool WriteFileBytes(const std::string& path, const std::string& bytes);
bool FileExists(const std::string& path);
int64_t FileSize(const std::string& path);  // -1 if missing

// True when the environment has MEMKIT_LONG=1 (`tools/test.sh --long`): the
// crash and truncation tests then run their long forms (docs/reliability.md).
bool LongMode();

}  // namespace testing
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_TESTING_TEST_UTIL_H_
