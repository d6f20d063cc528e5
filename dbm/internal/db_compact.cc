// DbImpl: compaction and syncing.
//
// A compaction runs beside the writers:
//   1. under write_mu_, briefly: note the log's end and the live records;
//   2. with no lock: write those records, in file order, to `path.compact`
//      (locked, with a new file id) and fsync it;
//   3. under write_mu_: copy what writers appended since step 1 verbatim and
//      replay it into the new index, fsync, map the new file, rename it over
//      `path`, fsync the directory, and switch (readers wait only for the
//      final pointer swap);
//   4. write the hint for the new file.
// Killed before the rename, the old file is untouched (the next writable open
// deletes the leftover); killed after it, the new file is complete and
// synced. A stale hint names the old file's id and is ignored.

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dbm/internal/db_impl.h"
#include "dbm/internal/hash.h"

namespace memkit {
namespace dbm {
namespace internal {
namespace {

constexpr size_t kCopyBuffer = size_t{1} << 20;

}  // namespace

absl::Status DbImpl::Compact() { return RunCompaction(); }

void DbImpl::MaybeCompact() {
  if (compactor_running_ || compactor_stopped_) return;
  // write_mu_ is held: nobody else changes log_ or live_bytes.
  const LogFile& log = LogForWriter();
  const uint64_t live_bytes = LiveBytesForWriter();
  const uint64_t data = log.end() - kHeaderSize;
  const uint64_t garbage = data > live_bytes ? data - live_bytes : 0;
  const bool compact =
      options_.auto_compact && garbage >= options_.compact_min_garbage_bytes &&
      static_cast<double>(garbage) >= options_.compact_garbage_ratio * static_cast<double>(data) &&
      garbage >= next_auto_compact_garbage_;
  const bool hint = !compact && options_.write_hint && options_.hint_every_bytes > 0 &&
                    log.end() - std::min(hint_checkpoint_, log.end()) >=
                        options_.hint_every_bytes;
  if (!compact && !hint) return;
  if (compactor_.joinable()) compactor_.join();  // the last job has finished
  compactor_running_ = true;
  if (hint) {
    compactor_ = std::thread([this] {
      RunHintJob();
      MutexLock w(&write_mu_);
      compactor_running_ = false;
    });
    return;
  }
  auto_compactions_started_.fetch_add(1, std::memory_order_release);
  compactor_ = std::thread([this, garbage] {
    const absl::Status s = RunCompaction();
    MutexLock w(&write_mu_);
    // A failed compaction (a full disk, say) is retried only after more
    // garbage; the writes themselves carry on regardless.
    next_auto_compact_garbage_ =
        s.ok() ? 0
               : garbage + std::max<uint64_t>(options_.compact_min_garbage_bytes, uint64_t{1} << 20);
    compactor_running_ = false;
  });
}

void DbImpl::StopCompactor() {
  std::thread compactor;
  {
    MutexLock w(&write_mu_);
    compactor_stopped_ = true;
    compactor = std::move(compactor_);
  }
  if (compactor.joinable()) compactor.join();
}

absl::Status DbImpl::RunCompaction() {
  MutexLock c(&compact_mu_);
  CompactionPlan plan;
  absl::Status s = PlanCompaction(&plan);  // step 1
  if (!s.ok()) return s;
  CompactedFile out;
  s = WriteCompactedFile(plan, &out);  // step 2
  if (!s.ok()) return AbandonCompaction(&out, s);
  ReleasableMutexLock w(&write_mu_);
  s = CatchUpAndSwitch(plan, &out);  // step 3
  if (!out.switched) return AbandonCompaction(&out, s);
  // Step 4: the hint for the new file (only the next open's speed is at
  // stake, so a failure is not reported).
  if (options_.write_hint) {
    HintSnapshot snapshot = SnapshotForHint();
    hint_checkpoint_ = snapshot.info.checkpoint;
    w.Release();
    WriteHintSnapshot(snapshot).IgnoreError();
  }
  return s;  // the new file's directory sync
}

absl::Status DbImpl::PlanCompaction(CompactionPlan* plan) {
  {
    MutexLock w(&write_mu_);
    absl::Status s = CheckWritable();
    if (!s.ok()) return s;
    const LogFile& log = LogForWriter();
    const Index& index = IndexForWriter();
    plan->region = log.region();
    plan->snapshot_end = log.end();
    plan->live.reserve(index.size());
    const Slot* slots = index.slots();
    for (size_t i = 0; i < index.capacity(); ++i) {
      if (slots[i].offset != 0) plan->live.push_back(LiveRecord{slots[i].offset, slots[i].hash});
    }
  }
  // File order: sequential reads, and records keep their relative order.
  std::sort(plan->live.begin(), plan->live.end(),
            [](const LiveRecord& a, const LiveRecord& b) { return a.offset < b.offset; });
  return absl::OkStatus();
}

absl::Status DbImpl::WriteCompactedFile(const CompactionPlan& plan, CompactedFile* out) {
  const char* base = plan.region->data();
  absl::Status s = RemoveIfPresent(env_, compact_path_);
  if (!s.ok()) return s;
  OpenFileOptions file_options;
  file_options.writable = true;
  file_options.create = true;
  // Locked before it is renamed into place, so no other process can open
  // the new file for writing once it is visible.
  file_options.lock = LockMode::kExclusive;
  absl::StatusOr<std::unique_ptr<File>> file = env_->OpenFile(compact_path_, file_options);
  if (!file.ok()) return file.status();
  out->file = std::move(*file);

  FileHeader& header = out->header;
  header.file_id = NewRandomId();
  header.hash_seed = seed_;
  header.committed_end = kHeaderSize;
  for (const LiveRecord& l : plan.live) header.committed_end += RecordSizeAt(base, l.offset);
  out->copied_end = header.committed_end;

  out->index = Index(plan.live.size());
  s = LogFile::Initialize(out->file.get(), header);
  std::string buf;
  buf.reserve(kCopyBuffer);
  uint64_t flushed = kHeaderSize;
  uint64_t at = kHeaderSize;
  for (const LiveRecord& l : plan.live) {
    if (!s.ok()) break;
    const uint64_t size = RecordSizeAt(base, l.offset);
    if (!buf.empty() && buf.size() + size > kCopyBuffer) {
      s = out->file->Write(flushed, buf);
      flushed += buf.size();
      buf.clear();
    }
    // Records do not depend on where they sit, so they copy verbatim.
    buf.append(base + l.offset, size);
    out->index.Upsert(l.hash, at, [](uint64_t) { return false; });  // keys are distinct
    out->last_record = at;
    out->last_record_crc = Load32(base + l.offset);
    at += size;
  }
  if (s.ok() && !buf.empty()) s = out->file->Write(flushed, buf);
  if (s.ok()) s = out->file->Sync();
  return s;
}

absl::Status DbImpl::CatchUpAndSwitch(const CompactionPlan& plan, CompactedFile* out) {
  absl::Status s = CheckWritable();  // closed, or a failed fsync, meanwhile
  if (!s.ok()) return s;
  const LogFile& log = LogForWriter();
  const char* old_base = log.data();
  const uint64_t old_end = log.end();
  const uint64_t tail = old_end - plan.snapshot_end;
  if (tail > 0) {
    out->header.committed_end = out->copied_end + tail;
    char encoded[kHeaderSize];
    EncodeFileHeader(out->header, encoded);
    s = out->file->Write(out->copied_end, absl::string_view(old_base + plan.snapshot_end, tail));
    if (s.ok()) s = out->file->Write(0, absl::string_view(encoded, sizeof(encoded)));
    if (s.ok()) s = out->file->Sync();
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<LogFile>> attached =
      LogFile::Attach(std::move(out->file), /*writable=*/true, options_.min_growth_bytes);
  if (!attached.ok()) return attached.status();
  out->log = std::move(*attached);
  uint64_t live_bytes = out->copied_end - kHeaderSize;
  if (tail > 0) {
    // Replay the appended records against the new file, where they now sit
    // `copied_end - snapshot_end` bytes further on.
    const char* new_base = out->log->data();
    const uint64_t new_end = out->log->end();
    const uint64_t shift = out->copied_end - plan.snapshot_end;
    Index& fresh = out->index;
    const ScanResult scan =
        ScanLog(old_base, plan.snapshot_end, old_end, [&](const ScanItem& item) {
          const uint64_t hash = HashKey(seed_, item.key);
          auto same_key = [&](uint64_t o) {
            return RecordKeyEquals(new_base, new_end, o, item.key);
          };
          uint64_t old;
          if (item.type == RecordType::kPut) {
            old = fresh.Upsert(hash, item.offset + shift, same_key);
            live_bytes += item.size;
          } else {
            old = fresh.Erase(hash, same_key);
          }
          if (old != 0) live_bytes -= RecordSizeAt(new_base, old);
        });
    if (scan.end != old_end) {
      return absl::InternalError(
          absl::StrCat("compaction: the log changed under it: ", scan.problem));
    }
    out->last_record = scan.last_record + shift;
    out->last_record_crc = scan.last_record_crc;
  }
  s = env_->Rename(compact_path_, path_);
  if (!s.ok()) return s;
  // From here the Db must switch to the new file: the old one has no name.
  out->switched = true;
  const absl::Status dir_synced = env_->SyncDir(dir_);
  MutexLock sl(&sync_mu_);
  WriterMutexLock l(&mu_);
  log_ = std::move(out->log);
  index_ = std::move(out->index);
  live_bytes_ = live_bytes;
  last_record_ = out->last_record;
  last_record_crc_ = out->last_record_crc;
  ++compactions_;
  synced_seq_ = write_seq_.load(std::memory_order_acquire);
  if (!dir_synced.ok() && sync_error_.ok()) {
    sync_error_ = dir_synced;
    failed_.store(true, std::memory_order_release);
  }
  return dir_synced;
}

absl::Status DbImpl::AbandonCompaction(CompactedFile* out, absl::Status status) {
  out->file.reset();
  out->log.reset();
  RemoveIfPresent(env_, compact_path_).IgnoreError();
  return status;
}

absl::Status DbImpl::Sync() {
  if (!writable_) return absl::OkStatus();
  return SyncTo(0);
}

absl::Status DbImpl::SyncTo(uint64_t seq) {
  MutexLock s(&sync_mu_);
  if (!sync_error_.ok()) return sync_error_;
  // seq 0 (Sync()) always syncs: the file may hold records from an earlier
  // process that were never flushed.
  if (seq != 0 && synced_seq_ >= seq) return absl::OkStatus();
  const uint64_t target = write_seq_.load(std::memory_order_acquire);
  File* file;
  {
    ReaderMutexLock l(&mu_);
    if (closed_) return absl::FailedPreconditionError("database is closed");
    file = log_->file();
  }
  // sync_mu_ keeps `file` alive: compaction and Close swap log_ under it.
  absl::Status st = file->Sync();
  ++syncs_;
  if (!st.ok()) {
    // After a failed fsync the kernel may have dropped the dirty pages, so
    // nothing written since can be promised durable: fail every later write.
    sync_error_ = st;
    failed_.store(true, std::memory_order_release);
    return st;
  }
  synced_seq_ = std::max(synced_seq_, target);
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace dbm
}  // namespace memkit
