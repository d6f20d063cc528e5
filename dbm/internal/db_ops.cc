// DbImpl: reads, writes, batches, iteration and Verify().

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dbm/internal/db_impl.h"
#include "dbm/internal/hash.h"

namespace memkit {
namespace dbm {
namespace internal {
namespace {

absl::Status ClosedError() { return absl::FailedPreconditionError("database is closed"); }

absl::Status CheckSizes(absl::string_view key, absl::string_view value) {
  if (key.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key of ", key.size(), " bytes exceeds the limit of ", kMaxKeySize));
  }
  if (value.size() > kMaxValueSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("value of ", value.size(), " bytes exceeds the limit of ", kMaxValueSize));
  }
  return absl::OkStatus();
}

// Iterates over a copy of the index's offsets. Holding the mapping keeps the
// records readable after the Db grows, compacts or closes: records are never
// modified in place, only appended.
class SnapshotIterator final : public Iterator {
 public:
  SnapshotIterator(std::shared_ptr<MappedRegion> region, uint64_t limit,
                   std::vector<uint64_t> offsets)
      : region_(std::move(region)), limit_(limit), offsets_(std::move(offsets)) {
    Load();
  }

  bool Valid() const override { return i_ < offsets_.size(); }
  void Next() override {
    ++i_;
    Load();
  }
  absl::string_view key() const override { return entry_.key; }
  absl::string_view value() const override { return entry_.value; }

 private:
  void Load() {
    // Skip (rather than crash on) an entry that does not decode; Verify()
    // is the place that reports such damage.
    while (i_ < offsets_.size() && !PeekEntry(region_->data(), limit_, offsets_[i_], &entry_)) {
      ++i_;
    }
  }

  const std::shared_ptr<MappedRegion> region_;
  const uint64_t limit_;
  const std::vector<uint64_t> offsets_;
  size_t i_ = 0;
  Entry entry_{};
};

}  // namespace

absl::Status DbImpl::CheckWritable() const {
  if (closed_) return ClosedError();
  if (!writable_) return absl::FailedPreconditionError("database is opened read-only");
  if (failed_.load(std::memory_order_acquire)) {
    MutexLock s(&sync_mu_);
    return sync_error_;
  }
  return absl::OkStatus();
}

absl::Status DbImpl::Get(const ReadOptions& options, absl::string_view key,
                         std::string* value) const {
  const uint64_t hash = HashKey(seed_, key);
  PrefetchIndexSlot(hash);
  ReaderMutexLock l(&mu_);
  if (closed_) return ClosedError();
  const char* base = log_->data();
  const uint64_t end = log_->end();
  const uint64_t off =
      index_.Find(hash, [&](uint64_t o) { return RecordKeyEquals(base, end, o, key); });
  if (off == 0) return absl::NotFoundError("key not found");
  Entry entry;
  if (!PeekEntry(base, end, off, &entry) ||
      (options.verify_checksum && !EntryCrcOk(base, off, entry))) {
    return absl::DataLossError(absl::StrCat("damaged record at offset ", off, " of ", path_));
  }
  value->assign(entry.value.data(), entry.value.size());
  return absl::OkStatus();
}

bool DbImpl::Contains(absl::string_view key) const {
  const uint64_t hash = HashKey(seed_, key);
  ReaderMutexLock l(&mu_);
  if (closed_) return false;
  const char* base = log_->data();
  const uint64_t end = log_->end();
  return index_.Find(hash, [&](uint64_t o) { return RecordKeyEquals(base, end, o, key); }) != 0;
}

uint64_t DbImpl::Size() const {
  ReaderMutexLock l(&mu_);
  return closed_ ? 0 : index_.size();
}

absl::Status DbImpl::Put(const WriteOptions& options, absl::string_view key,
                         absl::string_view value) {
  absl::Status s = CheckSizes(key, value);
  if (!s.ok()) return s;
  const uint64_t hash = HashKey(seed_, key);
  PrefetchIndexSlot(hash);  // the table's cache miss overlaps locking and encoding
  const uint64_t size = RecordSize(key.size(), value.size());
  uint64_t seq;
  {
    MutexLock w(&write_mu_);
    s = CheckWritable();
    if (!s.ok()) return s;
    {
      WriterMutexLock l(&mu_);
      s = log_->Reserve(size);
      if (!s.ok()) return s;
      const uint64_t off = log_->end();
      last_record_crc_ = EncodeRecord(RecordType::kPut, key, value, log_->tail());
      last_record_ = off;
      log_->Commit(size);
      const char* base = log_->data();
      const uint64_t end = log_->end();
      const uint64_t old =
          index_.Upsert(hash, off, [&](uint64_t o) { return RecordKeyEquals(base, end, o, key); });
      live_bytes_ += size;
      if (old != 0) live_bytes_ -= RecordSizeAt(base, old);
    }
    seq = write_seq_.load(std::memory_order_relaxed) + 1;  // only writers change it
    write_seq_.store(seq, std::memory_order_release);
    MaybeCompact();
  }
  return FinishWrite(options, seq);
}

absl::Status DbImpl::Delete(const WriteOptions& options, absl::string_view key) {
  absl::Status s = CheckSizes(key, absl::string_view());
  if (!s.ok()) return s;
  const uint64_t hash = HashKey(seed_, key);
  PrefetchIndexSlot(hash);
  const uint64_t size = RecordSize(key.size(), 0);
  uint64_t seq;
  {
    MutexLock w(&write_mu_);
    s = CheckWritable();
    if (!s.ok()) return s;
    {
      WriterMutexLock l(&mu_);
      const char* base = log_->data();
      const uint64_t end = log_->end();
      const size_t slot =
          index_.FindSlot(hash, [&](uint64_t o) { return RecordKeyEquals(base, end, o, key); });
      // A missing key writes nothing: no tombstone for what is not there.
      if (slot == Index::kNoSlot) return absl::NotFoundError("key not found");
      const uint64_t old = index_.slots()[slot].offset;
      s = log_->Reserve(size);
      if (!s.ok()) return s;
      const uint64_t off = log_->end();
      last_record_crc_ = EncodeRecord(RecordType::kDelete, key, absl::string_view(), log_->tail());
      last_record_ = off;
      log_->Commit(size);
      live_bytes_ -= RecordSizeAt(log_->data(), old);
      index_.EraseSlot(slot);
    }
    seq = write_seq_.load(std::memory_order_relaxed) + 1;  // only writers change it
    write_seq_.store(seq, std::memory_order_release);
    MaybeCompact();
  }
  return FinishWrite(options, seq);
}

absl::Status DbImpl::Write(const WriteOptions& options, const WriteBatch& batch) {
  if (!batch.status().ok()) return batch.status();
  if (batch.empty()) return absl::OkStatus();
  const absl::string_view rep = batch.Contents();
  const uint64_t size = kRecordHeaderSize + rep.size();
  uint64_t seq;
  {
    MutexLock w(&write_mu_);
    absl::Status s = CheckWritable();
    if (!s.ok()) return s;
    {
      WriterMutexLock l(&mu_);
      s = log_->Reserve(size);
      if (!s.ok()) return s;
      const uint64_t off = log_->end();
      char* p = log_->tail();
      std::memcpy(p + kRecordHeaderSize, rep.data(), rep.size());
      EncodeBatchHeader(batch.Count(), static_cast<uint32_t>(rep.size()), p);
      last_record_ = off;
      last_record_crc_ = Load32(p);
      log_->Commit(size);
      const char* base = log_->data();
      const uint64_t end = log_->end();
      uint64_t member = off + kRecordHeaderSize;
      for (uint32_t i = 0; i < batch.Count(); ++i) {
        Entry entry;
        PeekEntry(base, end, member, &entry);  // WriteBatch encoded it
        const uint64_t hash = HashKey(seed_, entry.key);
        auto same_key = [&](uint64_t o) { return RecordKeyEquals(base, end, o, entry.key); };
        uint64_t old;
        if (entry.type == RecordType::kPut) {
          old = index_.Upsert(hash, member, same_key);
          live_bytes_ += entry.size;
        } else {
          old = index_.Erase(hash, same_key);
        }
        if (old != 0) live_bytes_ -= RecordSizeAt(base, old);
        member += entry.size;
      }
    }
    seq = write_seq_.load(std::memory_order_relaxed) + 1;  // only writers change it
    write_seq_.store(seq, std::memory_order_release);
    MaybeCompact();
  }
  return FinishWrite(options, seq);
}

absl::Status DbImpl::FinishWrite(const WriteOptions& options, uint64_t seq) {
  if (options.sync || options_.sync == SyncPolicy::kEveryWrite) return SyncTo(seq);
  return absl::OkStatus();
}

std::unique_ptr<Iterator> DbImpl::NewIterator() const {
  ReaderMutexLock l(&mu_);
  if (closed_) return std::make_unique<SnapshotIterator>(nullptr, 0, std::vector<uint64_t>());
  std::vector<uint64_t> offsets;
  offsets.reserve(index_.size());
  const Slot* slots = index_.slots();
  for (size_t i = 0; i < index_.capacity(); ++i) {
    if (slots[i].offset != 0) offsets.push_back(slots[i].offset);
  }
  return std::make_unique<SnapshotIterator>(log_->region(), log_->end(), std::move(offsets));
}

absl::Status DbImpl::Verify() const {
  ReaderMutexLock l(&mu_);
  if (closed_) return ClosedError();
  const char* base = log_->data();
  const uint64_t end = log_->end();
  Index replay(index_.size());
  uint64_t live = 0;
  const ScanResult scan = ScanLog(base, kHeaderSize, end, [&](const ScanItem& item) {
    const uint64_t hash = HashKey(seed_, item.key);
    auto same_key = [&](uint64_t o) { return RecordKeyEquals(base, end, o, item.key); };
    uint64_t old;
    if (item.type == RecordType::kPut) {
      old = replay.Upsert(hash, item.offset, same_key);
      live += item.size;
    } else {
      old = replay.Erase(hash, same_key);
    }
    if (old != 0) live -= RecordSizeAt(base, old);
  });
  if (scan.end != end) {
    return absl::DataLossError(absl::StrCat(path_, ": ", scan.problem));
  }
  if (replay.size() != index_.size()) {
    return absl::DataLossError(absl::StrCat(path_, ": the index holds ", index_.size(),
                                            " keys but the log replays to ", replay.size()));
  }
  const Slot* slots = replay.slots();
  for (size_t i = 0; i < replay.capacity(); ++i) {
    const uint64_t off = slots[i].offset;
    if (off == 0) continue;
    Entry entry;
    PeekEntry(base, end, off, &entry);
    const uint64_t indexed = index_.Find(
        slots[i].hash, [&](uint64_t o) { return RecordKeyEquals(base, end, o, entry.key); });
    if (indexed != off) {
      return absl::DataLossError(absl::StrCat(path_, ": the index disagrees with the log for the key",
                                              " of the record at offset ", off));
    }
  }
  if (live != live_bytes_) {
    return absl::DataLossError(absl::StrCat(path_, ": live bytes are ", live_bytes_,
                                            " in memory but ", live, " in the log"));
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace dbm
}  // namespace memkit
