#include "dbm/internal/hint.h"

#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dbm/internal/crc32c.h"
#include "dbm/internal/format.h"

namespace memkit {
namespace dbm {
namespace internal {
namespace {

constexpr char kHintMagic[8] = {'M', 'K', 'D', 'B', 'H', 'I', 'N', 'T'};
constexpr uint32_t kHintVersion = 1;
constexpr size_t kHintHeaderSize = 80;
constexpr size_t kHintHeaderCrcSpan = 76;
// A hint may claim at most this many slots (1 TiB of index): a corrupt
// capacity must not turn into a huge allocation.
constexpr uint64_t kMaxCapacity = uint64_t{1} << 36;

}  // namespace

absl::Status WriteHint(Env* env, const std::string& path, const HintInfo& info,
                       const Index& index) {
  const std::string tmp = path + ".tmp";
  const absl::string_view slots(reinterpret_cast<const char*>(index.slots()),
                                index.capacity() * sizeof(Slot));
  char h[kHintHeaderSize] = {};
  std::memcpy(h, kHintMagic, sizeof(kHintMagic));
  Store32(h + 8, kHintVersion);
  Store32(h + 12, kHintHeaderSize);
  Store64(h + 16, info.file_id);
  Store64(h + 24, info.checkpoint);
  Store64(h + 32, info.last_record);
  Store32(h + 40, info.last_record_crc);
  Store64(h + 48, index.size());
  Store64(h + 56, info.live_bytes);
  Store64(h + 64, index.capacity());
  Store32(h + 72, Crc32c(slots));
  Store32(h + 76, Crc32cExtend(0, h, kHintHeaderCrcSpan));

  absl::StatusOr<std::unique_ptr<File>> file =
      env->OpenFile(tmp, OpenFileOptions{/*writable=*/true, /*create=*/true, LockMode::kNone});
  if (!file.ok()) return file.status();
  absl::Status s = (*file)->Truncate(0);
  if (s.ok()) s = (*file)->Write(0, absl::string_view(h, sizeof(h)));
  if (s.ok()) s = (*file)->Write(sizeof(h), slots);
  file->reset();
  if (s.ok()) s = env->Rename(tmp, path);
  if (!s.ok()) env->Remove(tmp).IgnoreError();
  return s;
}

absl::StatusOr<LoadedHint> ReadHint(Env* env, const std::string& path, uint64_t file_id,
                                    uint64_t data_size) {
  absl::StatusOr<std::unique_ptr<File>> file = env->OpenFile(path, OpenFileOptions{});
  if (!file.ok()) return file.status();
  absl::StatusOr<uint64_t> size = (*file)->Size();
  if (!size.ok()) return size.status();
  if (*size < kHintHeaderSize) return absl::DataLossError("hint file too short");
  char h[kHintHeaderSize];
  absl::Status s = (*file)->Read(0, sizeof(h), h);
  if (!s.ok()) return s;
  if (std::memcmp(h, kHintMagic, sizeof(kHintMagic)) != 0 ||
      Load32(h + 76) != Crc32cExtend(0, h, kHintHeaderCrcSpan)) {
    return absl::DataLossError("hint header damaged");
  }
  if (Load32(h + 8) != kHintVersion || Load32(h + 12) != kHintHeaderSize) {
    return absl::FailedPreconditionError("hint written by another format version");
  }
  LoadedHint hint{HintInfo{}, Index()};
  hint.info.file_id = Load64(h + 16);
  hint.info.checkpoint = Load64(h + 24);
  hint.info.last_record = Load64(h + 32);
  hint.info.last_record_crc = Load32(h + 40);
  hint.info.live_bytes = Load64(h + 56);
  const uint64_t count = Load64(h + 48);
  const uint64_t capacity = Load64(h + 64);
  if (hint.info.file_id != file_id) {
    return absl::FailedPreconditionError("hint belongs to another data file");
  }
  if (hint.info.checkpoint < kHeaderSize || hint.info.checkpoint > data_size) {
    return absl::FailedPreconditionError("hint covers more data than the file holds");
  }
  if (capacity < Index::kMinCapacity || capacity > kMaxCapacity ||
      (capacity & (capacity - 1)) != 0 || count > Index::MaxLoad(capacity) ||
      *size != kHintHeaderSize + capacity * sizeof(Slot)) {
    return absl::DataLossError("hint table shape is inconsistent");
  }
  SlotArray slots = Index::AllocateSlots(capacity, /*zero=*/false);
  s = (*file)->Read(kHintHeaderSize, capacity * sizeof(Slot), reinterpret_cast<char*>(slots.get()));
  if (!s.ok()) return s;
  const absl::string_view raw(reinterpret_cast<const char*>(slots.get()), capacity * sizeof(Slot));
  if (Crc32c(raw) != Load32(h + 72)) return absl::DataLossError("hint table checksum mismatch");
  uint64_t seen = 0;
  const uint64_t limit = hint.info.checkpoint - kRecordHeaderSize;
  for (uint64_t i = 0; i < capacity; ++i) {
    const uint64_t off = slots[i].offset;
    if (off == 0) continue;
    if (off < kHeaderSize || off > limit) return absl::DataLossError("hint slot out of range");
    ++seen;
  }
  if (seen != count) return absl::DataLossError("hint slot count mismatch");
  hint.index = Index(std::move(slots), capacity, count);
  return hint;
}

}  // namespace internal
}  // namespace dbm
}  // namespace memkit
