#include "dbm/internal/log_file.h"

#include <sys/mman.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace dbm {
namespace internal {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// Address space reserved for a writable file: cheap (no memory is touched)
// and it means growth seldom remaps, which would make readers fault the
// pages in again.
constexpr uint64_t kMinWritableMapping = uint64_t{1} << 30;
constexpr uint64_t kMaxGrowthStep = uint64_t{1} << 30;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kPopulateAhead = uint64_t{1} << 20;

uint64_t RoundUp(uint64_t n, uint64_t unit) { return (n + unit - 1) / unit * unit; }

uint64_t MappingSizeFor(uint64_t file_size) {
  uint64_t size = kMinWritableMapping;
  while (size < 2 * file_size) size *= 2;
  return size;
}

}  // namespace

absl::Status LogFile::Initialize(File* file, const FileHeader& header) {
  char buf[kHeaderSize];
  EncodeFileHeader(header, buf);
  absl::Status s = file->Truncate(0);
  if (s.ok()) s = file->Write(0, absl::string_view(buf, sizeof(buf)));
  return s;
}

absl::StatusOr<std::unique_ptr<LogFile>> LogFile::Attach(std::unique_ptr<File> file,
                                                         bool writable, uint64_t min_growth) {
  absl::StatusOr<uint64_t> size = file->Size();
  if (!size.ok()) return size.status();
  if (*size < kHeaderSize) {
    return absl::DataLossError(absl::StrCat("corrupt header: file has ", *size,
                                            " bytes, a dbm header needs ", kHeaderSize));
  }
  std::unique_ptr<LogFile> log(new LogFile(std::move(file), writable, std::max(min_growth, kMiB)));
  log->allocated_ = *size;
  log->end_ = *size;
  absl::Status s = log->Remap(writable ? MappingSizeFor(*size) : *size);
  if (!s.ok()) return s;
  s = DecodeFileHeader(log->data(), *size, &log->header_);
  if (!s.ok()) return s;
  return log;
}

absl::Status LogFile::Remap(uint64_t size) {
  absl::StatusOr<std::unique_ptr<MappedRegion>> region = file_->Map(size, writable_);
  if (!region.ok()) return region.status();
  region_ = std::shared_ptr<MappedRegion>(std::move(*region));
  populated_ = 0;  // page tables are per mapping
  return absl::OkStatus();
}

absl::Status LogFile::SetEnd(uint64_t end) {
  end_ = end;
  if (!writable_) return absl::OkStatus();
  if (allocated_ != end) {
    absl::Status s = file_->Truncate(end);
    if (!s.ok()) return s;
    allocated_ = end;
    populated_ = std::min(populated_, allocated_);
  }
  Commit(0);
  return absl::OkStatus();
}

absl::Status LogFile::Reserve(uint64_t n) {
  if (!writable_) return absl::FailedPreconditionError("database is read-only");
  const uint64_t need = end_ + n;
  if (need <= populated_) return absl::OkStatus();
  if (need > allocated_) {
    absl::Status s = Grow(need);
    if (!s.ok()) return s;
  }
  Populate(need);
  return absl::OkStatus();
}

void LogFile::Populate(uint64_t need) {
  // One madvise per stretch instead of one page fault per page of appends.
  // Only a speed-up: failure (an old kernel) just leaves the faults to do it.
  const uint64_t from = std::max(populated_, end_) & ~(kPage - 1);
  const uint64_t to = std::min(allocated_, RoundUp(need + kPopulateAhead, kPage));
  if (to > from) {
    madvise(region_->data() + from, to - from, MADV_POPULATE_WRITE);
  }
  populated_ = std::max(need, to);
}

absl::Status LogFile::Grow(uint64_t need) {
  const uint64_t step = std::min(std::max(min_growth_, allocated_), kMaxGrowthStep);
  const uint64_t target = RoundUp(std::max(need, allocated_ + step), kMiB);
  absl::Status s = file_->Allocate(target);
  if (!s.ok()) {
    // A full disk: perhaps the record itself still fits.
    if (target == RoundUp(need, kMiB) || !file_->Allocate(need).ok()) return s;
    allocated_ = need;
  } else {
    allocated_ = target;
  }
  if (allocated_ > region_->size()) return Remap(MappingSizeFor(allocated_));
  return absl::OkStatus();
}

void LogFile::Commit(uint64_t n) {
  end_ += n;
  // A release store after the record's bytes: a process killed at any point
  // leaves committed_end at or before the last complete record.
  __atomic_store_n(reinterpret_cast<uint64_t*>(region_->data() + kCommittedEndOffset), end_,
                   __ATOMIC_RELEASE);
  header_.committed_end = end_;
}

absl::Status LogFile::Finish() {
  if (!writable_ || allocated_ == end_) return absl::OkStatus();
  absl::Status s = file_->Truncate(end_);
  if (s.ok()) {
    allocated_ = end_;
    populated_ = std::min(populated_, allocated_);
  }
  return s;
}

}  // namespace internal
}  // namespace dbm
}  // namespace memkit
