// DbImpl: the Db behind Db::Open. Split over db_impl.cc (open, recovery,
// close), db_ops.cc (reads, writes, iteration, verify) and db_compact.cc
// (compaction and syncing).
//
// Locks, always taken in this order:
//   compact_mu_ serialises compactions (background and Compact());
//   write_mu_   serialises writers and Close, and a compaction's two short
//               critical sections (snapshot, then catch-up and switch);
//   sync_mu_    serialises fsyncs and keeps log_'s file alive during one;
//   mu_         (shared) guards the index and the mapping; readers share it,
//               writers hold it exclusively only to append and index.
// std::mutex / std::shared_mutex rather than absl::Mutex so that TSan builds
// (Debian's abseil is not instrumented) see every synchronisation.

#ifndef MEMKIT_DBM_INTERNAL_DB_IMPL_H_
#define MEMKIT_DBM_INTERNAL_DB_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "dbm/db.h"
#include "dbm/internal/format.h"
#include "dbm/internal/hint.h"
#include "dbm/internal/index.h"
#include "dbm/internal/log_file.h"

namespace memkit {
namespace dbm {
namespace internal {

// A random non-zero 64-bit id for a new data file or hash seed.
uint64_t NewRandomId();

// Env::Remove that treats a missing file as success.
absl::Status RemoveIfPresent(Env* env, const std::string& path);

class DbImpl final : public Db {
 public:
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& path,
                                                   const Options& options);
  ~DbImpl() override;

  using Db::Delete;
  using Db::Get;
  using Db::Put;
  absl::Status Get(const ReadOptions& options, absl::string_view key,
                   std::string* value) const override;
  bool Contains(absl::string_view key) const override;
  uint64_t Size() const override;
  absl::Status Put(const WriteOptions& options, absl::string_view key,
                   absl::string_view value) override;
  absl::Status Delete(const WriteOptions& options, absl::string_view key) override;
  absl::Status Write(const WriteOptions& options, const WriteBatch& batch) override;
  std::unique_ptr<Iterator> NewIterator() const override;
  absl::Status Sync() override;
  absl::Status Compact() override;
  absl::Status Verify() const override;
  absl::Status Close() override;
  const RecoveryReport& recovery() const override { return recovery_; }
  DbStats GetStats() const override;
  const std::string& path() const override { return path_; }

 private:
  DbImpl(const std::string& path, const Options& options, Env* env);

  // db_impl.cc
  absl::Status Recover(std::unique_ptr<LogFile> log);
  void StartSyncer();
  void StopSyncer();
  void SyncerLoop();
  // What a hint needs, copied under a shared lock (the table is memcpy'd),
  // so that writing the file holds no lock.
  struct HintSnapshot {
    HintInfo info;
    Index index;
  };
  HintSnapshot SnapshotForHint() const;
  absl::Status WriteHintSnapshot(const HintSnapshot& snapshot) const;
  // The background hint job (serialised with compactions by compact_mu_).
  void RunHintJob();

  // db_ops.cc
  absl::Status CheckWritable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Syncs if the options or the policy ask for it; called without write_mu_
  // so that concurrent writers can share one fsync.
  absl::Status FinishWrite(const WriteOptions& options, uint64_t seq);

  // db_compact.cc
  // Copies the live records to a new file while writers go on, then stops
  // them briefly to copy what they appended meanwhile and switch files.
  absl::Status RunCompaction();
  // Starts a background compaction or hint if the thresholds say so.
  void MaybeCompact() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Waits for background work and prevents more.
  void StopCompactor();
  // Waits until a sync covering write number `seq` has completed (running
  // one if needed).
  absl::Status SyncTo(uint64_t seq);
  void SetSyncFailure(const absl::Status& status);

  // Constant after Open.
  const std::string path_;
  const std::string hint_path_;
  const std::string compact_path_;
  const std::string dir_;
  const Options options_;
  Env* const env_;
  bool writable_ = false;
  uint64_t seed_ = 0;
  RecoveryReport recovery_;

  std::mutex compact_mu_ ABSL_ACQUIRED_BEFORE(write_mu_);

  std::mutex write_mu_;
  uint64_t next_auto_compact_garbage_ ABSL_GUARDED_BY(write_mu_) = 0;
  // The log offset the newest hint covers (for hint_every_bytes).
  uint64_t hint_checkpoint_ ABSL_GUARDED_BY(write_mu_) = 0;
  std::thread compactor_ ABSL_GUARDED_BY(write_mu_);
  bool compactor_running_ ABSL_GUARDED_BY(write_mu_) = false;
  bool compactor_stopped_ ABSL_GUARDED_BY(write_mu_) = false;

  mutable std::mutex sync_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  uint64_t synced_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  absl::Status sync_error_ ABSL_GUARDED_BY(sync_mu_);
  uint64_t syncs_ ABSL_GUARDED_BY(sync_mu_) = 0;
  // Set with sync_error_; lets writers check for it without sync_mu_.
  std::atomic<bool> failed_{false};
  // Incremented after each write is in the log.
  std::atomic<uint64_t> write_seq_{0};

  mutable std::shared_mutex mu_;
  std::unique_ptr<LogFile> log_ ABSL_GUARDED_BY(mu_);
  Index index_ ABSL_GUARDED_BY(mu_);
  uint64_t live_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_record_ ABSL_GUARDED_BY(mu_) = 0;  // for the hint
  uint32_t last_record_crc_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t compactions_ ABSL_GUARDED_BY(mu_) = 0;
  // Written under write_mu_ and mu_, so holding either is enough to read it.
  // True until Open succeeds, so a failed Open destroys a closed Db.
  bool closed_ = true;

  std::mutex syncer_mu_;
  std::condition_variable syncer_cv_;
  bool stop_syncer_ ABSL_GUARDED_BY(syncer_mu_) = false;
  std::thread syncer_;
};

}  // namespace internal
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_INTERNAL_DB_IMPL_H_
