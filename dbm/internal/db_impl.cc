// DbImpl: opening (recovery from the log and the hint), closing, and the
// background syncer.

#include "dbm/internal/db_impl.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "dbm/internal/hash.h"
#include "dbm/internal/hint.h"

namespace memkit {
namespace dbm {
namespace internal {
namespace {

constexpr uint64_t kGarbageWindow = uint64_t{64} << 20;

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status RemoveIfPresent(Env* env, const std::string& path) {
  absl::Status s = env->Remove(path);
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

uint64_t NewRandomId() {
  static absl::BitGen* gen = new absl::BitGen;
  static Mutex* mu = new Mutex;
  MutexLock l(mu);
  uint64_t id;
  do {
    id = absl::Uniform<uint64_t>(*gen);
  } while (id == 0);
  return id;
}

DbImpl::DbImpl(const std::string& path, const Options& options, Env* env)
    : path_(path),
      hint_path_(path + ".hint"),
      compact_path_(path + ".compact"),
      dir_(DirOf(path)),
      options_(options),
      env_(env),
      clock_(options.clock != nullptr ? options.clock : net::RealClock::Get()) {}

DbImpl::~DbImpl() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<Db>> DbImpl::Open(const std::string& path,
                                                 const Options& options) {
  if (path.empty()) return absl::InvalidArgumentError("empty database path");
  if (!(options.compact_garbage_ratio >= 0 && options.compact_garbage_ratio <= 1)) {
    return absl::InvalidArgumentError("compact_garbage_ratio must be within [0, 1]");
  }
  if (options.sync == SyncPolicy::kInterval && options.sync_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("sync_interval must be positive");
  }
  Env* env = options.env != nullptr ? options.env : Env::Default();
  std::unique_ptr<DbImpl> db(new DbImpl(path, options, env));
  db->writable_ = options.mode != OpenMode::kReadOnly;
  const bool create = options.mode == OpenMode::kCreate || options.mode == OpenMode::kNew;

  OpenFileOptions file_options;
  file_options.writable = db->writable_;
  file_options.create = create;
  file_options.lock = db->writable_ ? LockMode::kExclusive : LockMode::kShared;
  absl::StatusOr<std::unique_ptr<File>> file = env->OpenFile(path, file_options);
  if (!file.ok()) return file.status();
  absl::StatusOr<uint64_t> size = (*file)->Size();
  if (!size.ok()) return size.status();

  // A new database, or a file left empty by a crash during creation: we
  // hold the exclusive lock, so nobody else is using it.
  if (options.mode == OpenMode::kNew || (create && *size == 0)) {
    FileHeader header;
    header.file_id = NewRandomId();
    header.hash_seed = NewRandomId();
    absl::Status s = LogFile::Initialize(file->get(), header);
    if (s.ok()) s = RemoveIfPresent(env, db->hint_path_);
    if (s.ok() && options.sync != SyncPolicy::kNone) s = (*file)->Sync();
    if (s.ok() && options.sync != SyncPolicy::kNone) s = env->SyncDir(db->dir_);
    if (!s.ok()) return s;
  }

  absl::StatusOr<std::unique_ptr<LogFile>> log =
      LogFile::Attach(std::move(*file), db->writable_, options.min_growth_bytes);
  if (!log.ok()) return log.status();
  absl::Status s = db->Recover(std::move(*log));
  if (!s.ok()) return s;
  db->StartSyncer();
  return std::unique_ptr<Db>(std::move(db));
}

absl::Status DbImpl::Recover(std::unique_ptr<LogFile> log) {
  const char* base = log->data();
  const uint64_t size = log->file_size();
  const FileHeader& header = log->header();
  seed_ = header.hash_seed;

  Index index;
  uint64_t live = 0;
  uint64_t start = kHeaderSize;
  uint64_t last_record = 0;
  uint32_t last_record_crc = 0;
  if (options_.use_hint) {
    absl::StatusOr<LoadedHint> hint = ReadHint(env_, hint_path_, header.file_id, size);
    if (hint.ok()) {
      const HintInfo& info = hint->info;
      bool matches = info.last_record == 0 && info.checkpoint == kHeaderSize;
      if (info.last_record != 0) {
        uint32_t crc = 0;
        std::string unused;
        const uint64_t n = CheckRecord(base, info.last_record, info.checkpoint, &crc, &unused);
        matches = n != 0 && info.last_record + n == info.checkpoint && crc == info.last_record_crc;
      }
      if (matches) {
        index = std::move(hint->index);
        live = info.live_bytes;
        start = info.checkpoint;
        last_record = info.last_record;
        last_record_crc = info.last_record_crc;
        recovery_.used_hint = true;
      } else {
        recovery_.hint_problem = "hint does not match the end of the data it covers";
      }
    } else if (!absl::IsNotFound(hint.status())) {
      recovery_.hint_problem = std::string(hint.status().message());
    }
  }

  // Garbage after the valid end is looked for up to 64 MiB past where the
  // header says the log ends: a record torn by a crash lies there, and the
  // rest is the (possibly huge) preallocated zero tail.
  const uint64_t garbage_limit =
      std::max(start, std::min(header.committed_end, size)) + kGarbageWindow;
  const ScanResult scan = ScanLog(base, start, size, [&](const ScanItem& item) {
    const uint64_t hash = HashKey(seed_, item.key);
    auto same_key = [&](uint64_t off) { return RecordKeyEquals(base, size, off, item.key); };
    uint64_t old;
    if (item.type == RecordType::kPut) {
      old = index.Upsert(hash, item.offset, same_key);
      live += item.size;
    } else {
      old = index.Erase(hash, same_key);
    }
    if (old != 0) live -= RecordSizeAt(base, old);
  }, garbage_limit);
  if (scan.records > 0) {
    last_record = scan.last_record;
    last_record_crc = scan.last_record_crc;
  }
  recovery_.scanned_records = scan.records;
  recovery_.scanned_bytes = scan.end - start;
  recovery_.valid_end = scan.end;
  recovery_.dropped_bytes = scan.garbage_end - scan.end;
  recovery_.lost_committed_bytes =
      header.committed_end > scan.end ? header.committed_end - scan.end : 0;
  recovery_.problem = scan.problem;
  if (!scan.clean && !options_.truncate_corrupt_tail) {
    return absl::DataLossError(absl::StrCat(path_, ": ", scan.problem, "; ",
                                            recovery_.dropped_bytes,
                                            " bytes after offset ", scan.end,
                                            " would be dropped (truncate_corrupt_tail is off)"));
  }
  // For a writer this truncates the torn or corrupt tail, before anything
  // new is appended after the valid prefix.
  absl::Status s = log->SetEnd(scan.end);
  // Records inherited from a killed process may still be only in the page
  // cache; a syncing policy promises they reach the disk.
  if (s.ok() && writable_ && options_.sync != SyncPolicy::kNone) s = log->file()->Sync();
  if (s.ok() && writable_) s = RemoveIfPresent(env_, compact_path_);
  if (s.ok() && writable_) s = RemoveIfPresent(env_, hint_path_ + ".tmp");
  if (!s.ok()) return s;

  MutexLock w(&write_mu_);
  WriterMutexLock l(&mu_);
  log_ = std::move(log);
  index_ = std::move(index);
  live_bytes_ = live;
  last_record_ = last_record;
  last_record_crc_ = last_record_crc;
  hint_checkpoint_ = start;
  closed_ = false;
  return absl::OkStatus();
}

DbImpl::HintSnapshot DbImpl::SnapshotForHint() const {
  ReaderMutexLock l(&mu_);
  HintSnapshot snapshot{HintInfo(), index_.Clone()};
  snapshot.info.file_id = log_->header().file_id;
  snapshot.info.checkpoint = log_->end();
  snapshot.info.last_record = last_record_;
  snapshot.info.last_record_crc = last_record_crc_;
  snapshot.info.live_bytes = live_bytes_;
  return snapshot;
}

absl::Status DbImpl::WriteHintSnapshot(const HintSnapshot& snapshot) const {
  absl::Status s = WriteHint(env_, hint_path_, snapshot.info, snapshot.index);
  if (s.ok()) hints_written_.fetch_add(1, std::memory_order_release);
  return s;
}

void DbImpl::RunHintJob() {
  MutexLock c(&compact_mu_);
  HintSnapshot snapshot{HintInfo(), Index()};
  {
    MutexLock w(&write_mu_);
    if (!CheckWritable().ok()) return;
    snapshot = SnapshotForHint();
  }
  // A failure (a full disk) is not retried until the log grows again.
  WriteHintSnapshot(snapshot).IgnoreError();
  MutexLock w(&write_mu_);
  hint_checkpoint_ = snapshot.info.checkpoint;
}

absl::Status DbImpl::Close() {
  StopCompactor();
  MutexLock c(&compact_mu_);  // an explicit Compact() ends first
  MutexLock w(&write_mu_);
  if (closed_) return absl::OkStatus();
  StopSyncer();
  absl::Status result;
  if (writable_) {
    {
      WriterMutexLock l(&mu_);
      result = log_->Finish();
    }
    if (options_.sync != SyncPolicy::kNone) {
      absl::Status s = SyncTo(write_seq_.load());
      if (result.ok()) result = s;
    }
    if (options_.write_hint) {
      absl::Status s = WriteHintSnapshot(SnapshotForHint());
      if (result.ok()) result = s;
    }
  }
  MutexLock s(&sync_mu_);
  WriterMutexLock l(&mu_);
  closed_ = true;
  log_.reset();
  index_ = Index();
  return result;
}

void DbImpl::StartSyncer() {
  if (!writable_ || options_.sync != SyncPolicy::kInterval) return;
  // The first round is due one interval after Open returns, whenever the
  // thread gets going.
  const int64_t first = clock_->MonotonicNow() + absl::ToInt64Nanoseconds(options_.sync_interval);
  syncer_ = std::thread([this, first] { SyncerLoop(first); });
}

void DbImpl::StopSyncer() {
  if (!syncer_.joinable()) return;
  {
    MutexLock l(&syncer_mu_);
    stop_syncer_ = true;
  }
  syncer_cv_.SignalAll();
  syncer_.join();
}

void DbImpl::SyncerLoop(int64_t next) {
  const int64_t interval = absl::ToInt64Nanoseconds(options_.sync_interval);
  while (WaitForSyncerRound(&next, interval)) {
    // Only when something was written (SyncTo returns at once when all is
    // synced); a failure is kept in sync_error_ and returned by later writes.
    const uint64_t seq = write_seq_.load(std::memory_order_acquire);
    if (seq > 0) SyncTo(seq).IgnoreError();
    sync_checks_.fetch_add(1, std::memory_order_release);
  }
}

bool DbImpl::WaitForSyncerRound(int64_t* next, int64_t interval) {
  // The real clock is waited on directly; a test's clock moves without
  // notice, so it is looked at every millisecond.
  const bool real = clock_ == net::RealClock::Get();
  MutexLock l(&syncer_mu_);
  while (!stop_syncer_) {
    const int64_t now = clock_->MonotonicNow();
    if (now >= *next) {
      *next = now + interval;
      return true;
    }
    const int64_t wait = real ? *next - now : std::min<int64_t>(*next - now, 1000000);
    syncer_cv_.WaitWithTimeout(&syncer_mu_, absl::Nanoseconds(wait));
  }
  return false;
}

DbStats DbImpl::GetStats() const {
  DbStats stats;
  stats.auto_compactions_started = auto_compactions_started_.load(std::memory_order_acquire);
  stats.hints_written = hints_written_.load(std::memory_order_acquire);
  stats.sync_checks = sync_checks_.load(std::memory_order_acquire);
  {
    MutexLock s(&sync_mu_);
    stats.syncs = syncs_;
  }
  ReaderMutexLock l(&mu_);
  if (closed_) return stats;
  stats.live_keys = index_.size();
  stats.live_bytes = live_bytes_;
  stats.file_bytes = log_->end();
  const uint64_t data = log_->end() - kHeaderSize;
  stats.garbage_bytes = data > live_bytes_ ? data - live_bytes_ : 0;
  stats.compactions = compactions_;
  return stats;
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path, const Options& options) {
  return internal::DbImpl::Open(path, options);
}

absl::Status Db::Destroy(const std::string& path, Env* env) {
  if (env == nullptr) env = Env::Default();
  for (const std::string& p : {path, path + ".hint", path + ".hint.tmp", path + ".compact"}) {
    absl::Status s = internal::RemoveIfPresent(env, p);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Db::Get(absl::string_view key) const {
  std::string value;
  absl::Status s = Get(ReadOptions(), key, &value);
  if (!s.ok()) return s;
  return value;
}

std::vector<std::string> Db::Keys() const {
  std::vector<std::string> keys;
  for (std::unique_ptr<Iterator> it = NewIterator(); it->Valid(); it->Next()) {
    keys.emplace_back(it->key());
  }
  return keys;
}

std::string RecoveryReport::ToString() const {
  std::string out = absl::StrCat(used_hint ? "index from hint" : "index rebuilt from log",
                                 ", replayed ", scanned_records, " records (", scanned_bytes,
                                 " bytes), valid end ", valid_end);
  if (!hint_problem.empty()) absl::StrAppend(&out, "; hint ignored: ", hint_problem);
  if (dropped_bytes > 0) absl::StrAppend(&out, "; dropped ", dropped_bytes, " bytes: ", problem);
  if (lost_committed_bytes > 0) {
    absl::StrAppend(&out, "; ", lost_committed_bytes,
                    " bytes of acknowledged records were lost");
  }
  return out;
}

}  // namespace dbm
}  // namespace memkit
