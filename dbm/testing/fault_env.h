// A fault-injecting Env for tests of code that stores data through dbm.
//
// Wraps another Env (by default the POSIX one) and, on demand: fails writes
// and allocations with ENOSPC once a byte budget is spent (a full disk),
// makes the next write short, fails fsync with EIO, fails renames, and calls
// a hook before the Nth mutating step so a test can kill the process at any
// point of a multi-step operation such as compaction.
//
// Mutating steps, counted from 0: File::Write, Allocate, Truncate, Sync and
// Env::Rename, Remove, SyncDir. Reads and maps are never failed.
//
// Thread-safety: all methods are safe from any thread.

#ifndef MEMKIT_DBM_TESTING_FAULT_ENV_H_
#define MEMKIT_DBM_TESTING_FAULT_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dbm/env.h"

namespace memkit {
namespace dbm {

class FaultEnv final : public Env {
 public:
  explicit FaultEnv(Env* base = Env::Default()) : base_(base) {}

  // From now on, writes and allocations may add at most `bytes` more bytes to
  // files; the one that would exceed gets ResourceExhausted (ENOSPC). A
  // negative value removes the limit.
  void SetSpaceLimit(int64_t bytes);

  // The next File::Write stores the first half of its data, then fails with
  // ENOSPC (as a real short write followed by a full disk would).
  void FailNextWriteShort();

  // While set, File::Sync and Env::SyncDir fail with EIO.
  void SetSyncFails(bool fail);

  // While set, Env::Rename fails with EIO.
  void SetRenameFails(bool fail);

  // Calls `hook` just before mutating step number `step` runs. A hook that
  // returns (rather than killing the process) lets the step run normally.
  void SetStepHook(int64_t step, std::function<void()> hook);

  // Mutating steps run so far, and their descriptions ("sync x.dbm", ...).
  int64_t steps() const;
  std::vector<std::string> step_log() const;

  absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                 const OpenFileOptions& options) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Remove(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;

  // Used by the wrapped files. Returns the error the step must fail with, or
  // OK; `bytes` is how much the step adds to the disk.
  absl::Status BeginStep(const std::string& what, int64_t bytes, bool is_sync, bool* short_write);

 private:
  Env* const base_;
  mutable std::mutex mu_;
  int64_t space_left_ = -1;
  bool short_next_ = false;
  bool sync_fails_ = false;
  bool rename_fails_ = false;
  int64_t steps_ = 0;
  int64_t hook_step_ = -1;
  std::function<void()> hook_;
  std::vector<std::string> log_;
};

}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_TESTING_FAULT_ENV_H_
