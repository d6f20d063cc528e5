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
// core/sync's Mutex / SharedMutex (over std::mutex, so TSan builds see every
// synchronisation; annotated, so clang's -Wthread-safety checks the
// ABSL_GUARDED_BY members below).

#ifndef MEMKIT_DBM_INTERNAL_DB_IMPL_H_
#define MEMKIT_DBM_INTERNAL_DB_IMPL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/net/clock.h"
#include "core/sync/mutex.h"
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
  // Runs a round when the clock reaches `next`, then every interval.
  void SyncerLoop(int64_t next);
  // Waits until the clock reaches `*next` (then moves it on by `interval`
  // and returns true) or the syncer is stopped (false).
  bool WaitForSyncerRound(int64_t* next, int64_t interval) ABSL_LOCKS_EXCLUDED(syncer_mu_);
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

  // What the lock order above implies, for the thread-safety analysis: only
  // holders of write_mu_ change log_, index_ and live_bytes_ (under mu_ as
  // well), so a write_mu_ holder may read them without mu_.
  const LogFile& LogForWriter() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return *log_;
  }
  const Index& IndexForWriter() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return index_;
  }
  uint64_t LiveBytesForWriter() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return live_bytes_;
  }
  // Starts loading the index slot of `hash` into the cache before the lock
  // is taken. Reads the table without mu_ on purpose: a stale or torn
  // address only makes the prefetch useless, never wrong.
  void PrefetchIndexSlot(uint64_t hash) const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    index_.Prefetch(hash);
  }

  // db_ops.cc
  absl::Status CheckWritable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Syncs if the options or the policy ask for it; called without write_mu_
  // so that concurrent writers can share one fsync.
  absl::Status FinishWrite(const WriteOptions& options, uint64_t seq);

  // db_compact.cc
  // Copies the live records to a new file while writers go on, then stops
  // them briefly to copy what they appended meanwhile and switch files. The
  // steps of db_compact.cc's header comment, one function each:
  absl::Status RunCompaction();
  struct LiveRecord {
    uint64_t offset;
    uint64_t hash;
  };
  // Step 1's note of the log: its end and the live records, in file order.
  struct CompactionPlan {
    std::vector<LiveRecord> live;
    std::shared_ptr<MappedRegion> region;  // keeps the old records mapped
    uint64_t snapshot_end = 0;
  };
  // The new file as steps 2 and 3 build it.
  struct CompactedFile {
    std::unique_ptr<File> file;    // until attached as `log`
    std::unique_ptr<LogFile> log;  // until switched in
    FileHeader header;
    uint64_t copied_end = 0;  // end of the records copied in step 2
    Index index;
    uint64_t last_record = 0;
    uint32_t last_record_crc = 0;
    bool switched = false;  // renamed over `path`: the Db now uses it
  };
  // 1. Under write_mu_, briefly: note the log's end and its live records.
  absl::Status PlanCompaction(CompactionPlan* plan) ABSL_LOCKS_EXCLUDED(write_mu_);
  // 2. With no lock: write those records to `path.compact` and fsync it.
  absl::Status WriteCompactedFile(const CompactionPlan& plan, CompactedFile* out);
  // 3. Copy what writers appended since step 1, replay it into the new
  // index, fsync, rename the file over `path` and switch to it. Returns the
  // directory sync's status once switched.
  absl::Status CatchUpAndSwitch(const CompactionPlan& plan, CompactedFile* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Deletes the unfinished `path.compact`; returns `status`.
  absl::Status AbandonCompaction(CompactedFile* out, absl::Status status);
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
  const net::Clock* const clock_;
  bool writable_ = false;
  uint64_t seed_ = 0;
  RecoveryReport recovery_;

  Mutex compact_mu_ ABSL_ACQUIRED_BEFORE(write_mu_);

  Mutex write_mu_;
  uint64_t next_auto_compact_garbage_ ABSL_GUARDED_BY(write_mu_) = 0;
  // The log offset the newest hint covers (for hint_every_bytes).
  uint64_t hint_checkpoint_ ABSL_GUARDED_BY(write_mu_) = 0;
  std::thread compactor_ ABSL_GUARDED_BY(write_mu_);
  bool compactor_running_ ABSL_GUARDED_BY(write_mu_) = false;
  bool compactor_stopped_ ABSL_GUARDED_BY(write_mu_) = false;

  mutable Mutex sync_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  uint64_t synced_seq_ ABSL_GUARDED_BY(sync_mu_) = 0;
  absl::Status sync_error_ ABSL_GUARDED_BY(sync_mu_);
  uint64_t syncs_ ABSL_GUARDED_BY(sync_mu_) = 0;
  // Set with sync_error_; lets writers check for it without sync_mu_.
  std::atomic<bool> failed_{false};
  // Incremented after each write is in the log.
  std::atomic<uint64_t> write_seq_{0};

  mutable SharedMutex mu_;
  std::unique_ptr<LogFile> log_ ABSL_GUARDED_BY(mu_);
  Index index_ ABSL_GUARDED_BY(mu_);
  uint64_t live_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_record_ ABSL_GUARDED_BY(mu_) = 0;  // for the hint
  uint32_t last_record_crc_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t compactions_ ABSL_GUARDED_BY(mu_) = 0;
  // Written under write_mu_ and mu_, so holding either is enough to read it.
  // True until Open succeeds, so a failed Open destroys a closed Db.
  bool closed_ = true;

  Mutex syncer_mu_;
  CondVar syncer_cv_;
  bool stop_syncer_ ABSL_GUARDED_BY(syncer_mu_) = false;
  std::thread syncer_;

  // Background work done, for DbStats.
  std::atomic<uint64_t> auto_compactions_started_{0};
  mutable std::atomic<uint64_t> hints_written_{0};
  std::atomic<uint64_t> sync_checks_{0};
};

}  // namespace internal
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_INTERNAL_DB_IMPL_H_
