// memkit::server::Persister: keeps a memkit-server's items across restarts
// in a memkit dbm file, so a restarted server comes back warm.
//
// The request path never touches the disk. Instead the cache is snapshotted
// into a fresh dbm file, `DIR/items.dbm.tmp`, which is synced and then
// renamed over `DIR/items.dbm`: on graceful shutdown and, optionally, every
// `interval` from a background thread. At start, before the server serves,
// Load() puts the last snapshot's items back into the cache, skipping those
// that expired meanwhile (expiry is stored as an absolute time, so relative
// TTLs keep counting down across the downtime). docs/server.md
// ("Persistence") has the format and the limits: after a kill -9 the
// server comes back cold, or with periodic snapshots as of the last one
// (later sets lost, later deletes undone); CAS uniques are renumbered.
//
//   PersistOptions po;  po.dir = "/var/lib/memkit";
//   auto persister = Persister::Create(po, cache);   // locks the directory
//   absl::StatusOr<LoadReport> loaded = (*persister)->Load();
//   (*persister)->StartBackground();                 // if po.interval > 0
//   ...
//   (*persister)->StopBackground();
//   absl::StatusOr<SnapshotReport> written = (*persister)->Snapshot();
//
// A snapshot that is not a memkit-server snapshot, or is damaged, never
// stops a start unless `strict`: Load logs one line, loads whatever records
// still check out (each carries a CRC), and moves the file aside to
// `DIR/items.dbm.corrupt`.
//
// A snapshot that is loaded is then removed unless background snapshots
// are on, so a server that dies without a graceful shutdown (and without
// periodic snapshots) comes back cold rather than with its previous run's
// items (which would undo every delete and flush_all since), as memcached's
// -e memory file does.
//
// Thread-safety: Load and Snapshot are safe from any thread (snapshots run
// one at a time); Create, StartBackground, StopBackground and the destructor
// from the owning thread. The cache must outlive the Persister.

#ifndef MEMKIT_SERVER_PERSIST_H_
#define MEMKIT_SERVER_PERSIST_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/net/clock.h"
#include "core/sync/mutex.h"
#include "dbm/env.h"
#include "server/cache.h"

namespace memkit {
namespace server {

struct PersistOptions {
  // The directory holding the snapshot (created if missing, one level). It
  // is locked for the Persister's lifetime: a second server on the same
  // directory fails with Unavailable.
  std::string dir;
  // StartBackground() snapshots this often; zero: no background snapshots.
  absl::Duration interval = absl::ZeroDuration();
  // Load() fails with DataLoss (instead of starting cold or partly warm)
  // when the snapshot is foreign or damaged, and then changes nothing.
  bool strict = false;
  // Lines worth an operator's attention (a damaged snapshot, a failed
  // snapshot) come with level 0, routine ones (loaded, written) with level
  // 1. Null: level-0 lines to stderr.
  std::function<void(int level, absl::string_view line)> log;
  // File layer; null means dbm::Env::Default(). Not owned.
  dbm::Env* env = nullptr;
  // The clock `interval` is counted on (its MonotonicNow()); null means the
  // real clock. A server passes its item clock, so `debugtime` and a test's
  // ManualClock move the snapshotter too. Not owned.
  const net::Clock* clock = nullptr;
};

// What Load() did.
struct LoadReport {
  bool found = false;      // a snapshot file was there
  bool usable = false;     // it was a memkit-server snapshot (else: cold start)
  bool complete = false;   // ... whole and undamaged
  std::string problem;     // why it was not, else ""
  uint64_t loaded = 0;     // items stored (when they exceed -m, later ones evict earlier ones)
  uint64_t expired = 0;    // skipped: expired by the server clock
  uint64_t not_stored = 0; // refused by the cache (too large for -I, out of memory)
  uint64_t malformed = 0;  // records that checksum but do not decode
  int64_t snapshot_unix = 0;  // when the snapshot was taken (server clock)
  absl::Duration opening;  // of it: opening the file, checking every record's CRC
  absl::Duration elapsed;
};

// What Snapshot() wrote.
struct SnapshotReport {
  uint64_t items = 0;
  uint64_t file_bytes = 0;
  // Listing the keys, one cache shard lock at a time (each shard is locked
  // for about this divided by the number of shards).
  absl::Duration listing;
  absl::Duration elapsed;
};

class Persister {
 public:
  // InvalidArgument for an empty dir or negative interval; the file layer's
  // error if the directory cannot be created or locked (Unavailable when
  // another process holds it).
  static absl::StatusOr<std::unique_ptr<Persister>> Create(const PersistOptions& options,
                                                           Cache* cache);
  // Stops the background thread (no final snapshot: call Snapshot()).
  ~Persister();

  Persister(const Persister&) = delete;
  Persister& operator=(const Persister&) = delete;

  // Stores the snapshot's live items into the cache. When they may not all
  // fit in its memory limit, the most recently used go in last (so they
  // head the LRU; with eviction off, first). Then removes the snapshot
  // unless `interval` is set (see above). A missing snapshot is a cold
  // start, OK. Errors only with `strict`.
  absl::StatusOr<LoadReport> Load();

  // Writes a new snapshot of the cache and atomically replaces the old one.
  // On error the old snapshot is untouched and the temporary file removed.
  // Reads the cache as a `mg u` would (no LRU bump), but counts as a get
  // per item in `cmd_get`/`get_hits` (see docs/server.md).
  absl::StatusOr<SnapshotReport> Snapshot();

  // Starts snapshotting every `interval` (no-op when it is zero or already
  // running). StopBackground() waits for a snapshot in progress.
  void StartBackground();
  void StopBackground();

  // DIR/items.dbm
  const std::string& snapshot_path() const { return path_; }
  // Background snapshots completed (for tests and logs).
  uint64_t background_snapshots() const;

 private:
  Persister(const PersistOptions& options, Cache* cache, std::unique_ptr<dbm::File> lock);

  void Log(int level, absl::string_view line) const;
  absl::StatusOr<SnapshotReport> WriteSnapshot();
  // Load's last step: sets a damaged snapshot aside, or removes a consumed
  // one, and logs what was loaded.
  void FinishLoad(const LoadReport& report);
  // Runs a snapshot when the clock reaches `next`, then every interval.
  void BackgroundLoop(int64_t next);
  // Waits until the clock reaches `*next` (then moves it on by the interval
  // and returns true) or StopBackground() (false).
  bool WaitForRound(int64_t* next) ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after construction.
  const PersistOptions options_;
  Cache* const cache_;
  dbm::Env* const env_;
  const net::Clock* const clock_;
  const std::string path_;
  const std::string tmp_path_;
  const std::unique_ptr<dbm::File> dir_lock_;

  Mutex snapshot_mu_;  // one snapshot at a time

  mutable Mutex mu_;
  CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t background_done_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // owner thread only
};

}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_PERSIST_H_
