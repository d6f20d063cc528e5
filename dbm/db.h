// memkit::dbm::Db: an embedded, append-only key-value store in one file.
//
// Keys and values are bytes. Every put, delete or batch appends one
// checksummed record to the data file; an in-memory hash index maps each key
// to its latest record. Deleting a missing key is NotFound and writes nothing.
//
//   Options options;                    // mode kCreate, sync policy kNone
//   absl::StatusOr<std::unique_ptr<Db>> db = Db::Open("/var/lib/app/data.dbm", options);
//   absl::Status s = (*db)->Put("k", "v");
//   std::string value;
//   s = (*db)->Get("k", &value);        // NotFound for a missing key
//   s = (*db)->Close();                 // writes the hint file for a fast next open
//
// Durability (docs/dbm.md has the full story):
//   - When a write returns OK its record is in the file's page cache (the
//     store is a shared memory mapping), so it survives the process being
//     killed (kill -9, a crash, an abort) with no fsync, under every policy.
//   - Surviving a machine crash or power loss needs the data on the disk:
//     SyncPolicy::kEveryWrite syncs before each write returns;
//     SyncPolicy::kInterval syncs in the background every `sync_interval`,
//     so a machine crash loses at most that much; kNone syncs only on Sync(),
//     WriteOptions::sync and compaction. A write with WriteOptions::sync set
//     returns after a sync that covers it (concurrent ones share one fsync).
//   - Open checks the records written since the last hint, keeps the longest
//     valid prefix and truncates a torn or corrupt tail before appending
//     again; recovery() says what was dropped.
//
// Files: `path` (data), `path.hint` (index snapshot, optional), and, briefly,
// `path.compact` and `path.hint.tmp` during compaction and close.
//
// Locking: a writable Db holds an exclusive lock on the data file and a
// read-only one a shared lock, so one process writes and no one reads a
// file that is being written; a second open gets Unavailable.
//
// Thread-safety: all methods are safe to call concurrently. Reads (Get,
// Contains, Size, NewIterator) run in parallel with each other; writes are
// serialised and exclude readers only while they append and update the
// index. A compaction copies while readers and writers go on, then holds
// writers off to copy what they appended meanwhile and readers only for the
// final swap.

#ifndef MEMKIT_DBM_DB_H_
#define MEMKIT_DBM_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/net/clock.h"
#include "dbm/env.h"
#include "dbm/write_batch.h"

namespace memkit {
namespace dbm {

enum class OpenMode {
  kReadOnly,   // the file must exist; every write is FailedPrecondition
  kReadWrite,  // the file must exist
  kCreate,     // open, creating an empty database if missing
  kNew,        // always start empty, replacing any existing database
};

enum class SyncPolicy {
  kNone,        // no fsync except Sync(), WriteOptions::sync and compaction
  kEveryWrite,  // every write returns after fdatasync
  kInterval,    // a background thread syncs every `sync_interval` if dirty
};

struct Options {
  OpenMode mode = OpenMode::kCreate;

  SyncPolicy sync = SyncPolicy::kNone;
  // For kInterval: the most time a machine crash can wipe out.
  absl::Duration sync_interval = absl::Milliseconds(100);

  // Compact automatically, on a background thread that writers do not wait
  // for, once the bytes held by overwritten and deleted records reach both
  // `compact_min_garbage_bytes` and `compact_garbage_ratio` of the file.
  bool auto_compact = true;
  uint64_t compact_min_garbage_bytes = uint64_t{64} << 20;
  double compact_garbage_ratio = 0.5;

  // Load the index from `path.hint` when it matches the data file, then
  // replay only the records written after it.
  bool use_hint = true;
  // Write `path.hint` on Close(), after each compaction, and in the
  // background each time the log has grown by `hint_every_bytes` (0: never
  // in the background), so that opening after a crash replays at most
  // about that much of the log.
  bool write_hint = true;
  uint64_t hint_every_bytes = uint64_t{64} << 20;

  // Open drops a torn or corrupt tail (reporting it in recovery()). When
  // false, Open fails with DataLoss instead and leaves the file alone.
  bool truncate_corrupt_tail = true;

  // The file grows in steps of at least this much (then doubling, in steps
  // of up to 1 GiB), reserved with posix_fallocate.
  uint64_t min_growth_bytes = uint64_t{8} << 20;

  // File layer; nullptr means Env::Default(). Must outlive the Db.
  Env* env = nullptr;

  // The clock background work keeps time by (the kInterval syncer's period);
  // nullptr means net::RealClock::Get(). Tests pass a net::ManualClock and
  // Advance() it instead of sleeping. Must outlive the Db.
  const net::Clock* clock = nullptr;
};

struct ReadOptions {
  // Check the record's checksum on every read (open checks only records
  // newer than the hint; Verify() checks everything).
  bool verify_checksum = false;
};

struct WriteOptions {
  // Return only once the write is on disk (durable across a machine crash).
  bool sync = false;
};

// What Open found in the file.
struct RecoveryReport {
  bool used_hint = false;    // the index came from `path.hint`
  std::string hint_problem;  // why an existing hint was not used, else ""
  uint64_t scanned_records = 0;  // records replayed and checksummed by Open
  uint64_t scanned_bytes = 0;
  uint64_t valid_end = 0;  // the offset where the valid log ends
  // Bytes after valid_end that were dropped (or ignored, when read-only):
  // a record torn by a crash mid-write, or damage.
  uint64_t dropped_bytes = 0;
  // How much of the dropped range the file header says had been written
  // completely: 0 after a crash mid-write (nothing acknowledged was lost),
  // more than 0 when acknowledged records were damaged.
  uint64_t lost_committed_bytes = 0;
  std::string problem;  // what ended the log early, or "" if it ended cleanly

  bool clean() const { return dropped_bytes == 0 && lost_committed_bytes == 0; }
  std::string ToString() const;
};

struct DbStats {
  uint64_t live_keys = 0;
  uint64_t live_bytes = 0;     // bytes of the live keys' records
  uint64_t file_bytes = 0;     // bytes of log, header included
  uint64_t garbage_bytes = 0;  // overwritten, deleted and tombstone bytes
  uint64_t compactions = 0;
  uint64_t syncs = 0;
  // Background work, so callers (tests) can wait for it by polling rather
  // than by sleeping: compactions started automatically by writes, hint
  // files completed (on Close, after compactions and in the background), and
  // rounds of the kInterval syncer (each looks for unsynced writes).
  uint64_t auto_compactions_started = 0;
  uint64_t hints_written = 0;
  uint64_t sync_checks = 0;
};

// A point-in-time view of the keys and values, in no particular order. Later
// writes, compactions and even Close() do not disturb it. Creating one copies
// an 8-byte location per key.
//
// Thread-safety: one thread at a time per Iterator.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  // Valid until Next() or destruction.
  virtual absl::string_view key() const = 0;
  virtual absl::string_view value() const = 0;
};

class Db {
 public:
  // Opens the database at `path` as `options.mode` says.
  // Errors: NotFound (no file, modes kReadOnly/kReadWrite), Unavailable
  // (locked by another open Db), DataLoss (not a dbm file, corrupt header,
  // or a corrupt tail with truncate_corrupt_tail off), FailedPrecondition
  // (format version this build cannot read), InvalidArgument (options).
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& path,
                                                   const Options& options);

  // Removes the database's files. OK if there were none.
  static absl::Status Destroy(const std::string& path, Env* env = nullptr);

  // Closes the database if Close() was not called, ignoring errors.
  virtual ~Db() = default;

  // NotFound for a missing key; DataLoss if the record is damaged (detected
  // only with verify_checksum) or lies outside the file.
  virtual absl::Status Get(const ReadOptions& options, absl::string_view key,
                           std::string* value) const = 0;
  absl::Status Get(absl::string_view key, std::string* value) const {
    return Get(ReadOptions(), key, value);
  }
  absl::StatusOr<std::string> Get(absl::string_view key) const;

  virtual bool Contains(absl::string_view key) const = 0;

  // Number of live keys.
  virtual uint64_t Size() const = 0;

  // InvalidArgument for a key over 16 MiB - 1 bytes or a value over 2 GiB,
  // ResourceExhausted when the disk is full (nothing is written then),
  // FailedPrecondition when read-only or closed; after a failed fsync every
  // later write returns that failure.
  virtual absl::Status Put(const WriteOptions& options, absl::string_view key,
                           absl::string_view value) = 0;
  absl::Status Put(absl::string_view key, absl::string_view value) {
    return Put(WriteOptions(), key, value);
  }

  // NotFound, writing nothing, if the key is missing.
  virtual absl::Status Delete(const WriteOptions& options, absl::string_view key) = 0;
  absl::Status Delete(absl::string_view key) { return Delete(WriteOptions(), key); }

  // Applies all of `batch` or, on error, none of it.
  virtual absl::Status Write(const WriteOptions& options, const WriteBatch& batch) = 0;

  virtual std::unique_ptr<Iterator> NewIterator() const = 0;
  // Every live key, in no particular order.
  std::vector<std::string> Keys() const;

  // Makes every write so far durable across a machine crash.
  virtual absl::Status Sync() = 0;

  // Rewrites the live records into `path.compact`, syncs it, renames it over
  // `path` and syncs the directory; returns when done. Writes may go on
  // meanwhile from other threads. Killed at any point, the database opens
  // with all its data, from the old file or the new one.
  virtual absl::Status Compact() = 0;

  // Reads the whole file: every record's checksum, the structure of every
  // batch, and that replaying the log gives exactly the index in memory.
  // DataLoss describing the first problem.
  virtual absl::Status Verify() const = 0;

  // Trims the preallocated tail, syncs if the policy is not kNone, writes the
  // hint, and releases the file. Later calls fail with FailedPrecondition
  // (Close itself is idempotent). An error leaves the data intact; a failed
  // hint only makes the next open slower.
  virtual absl::Status Close() = 0;

  virtual const RecoveryReport& recovery() const = 0;
  virtual DbStats GetStats() const = 0;
  virtual const std::string& path() const = 0;
};

}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_DB_H_
