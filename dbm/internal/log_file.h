// The data file of an open Db: its header, its shared mapping and the append
// position.
//
// Appends go straight into a MAP_SHARED mapping: a record stored there is in
// the kernel's page cache the moment the memcpy ends, so it survives a kill -9
// of the process with no system call per write. Space is reserved ahead with
// posix_fallocate in growing steps (so a full disk is an error, never a
// SIGBUS), and address space is reserved well beyond the file so growth
// rarely remaps. After each append the header's committed_end is updated;
// Finish() trims the preallocated zeros when the database is closed.
//
// Thread-safety: none; the Db serialises writers and guards the mapping
// pointer with its lock. A region handed out by region() stays valid (and
// keeps showing the data below end()) after the LogFile grows or dies.

#ifndef MEMKIT_DBM_INTERNAL_LOG_FILE_H_
#define MEMKIT_DBM_INTERNAL_LOG_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dbm/env.h"
#include "dbm/internal/format.h"

namespace memkit {
namespace dbm {
namespace internal {

class LogFile {
 public:
  // Writes a fresh header (and nothing else) to `file`, replacing any content.
  static absl::Status Initialize(File* file, const FileHeader& header);

  // Maps `file` and decodes its header. end() is the file size until the Db
  // has scanned the log and called SetEnd(). `min_growth` is the smallest
  // step by which a writable file is extended.
  static absl::StatusOr<std::unique_ptr<LogFile>> Attach(std::unique_ptr<File> file,
                                                         bool writable, uint64_t min_growth);

  const FileHeader& header() const { return header_; }
  const char* data() const { return region_->data(); }
  uint64_t end() const { return end_; }
  uint64_t file_size() const { return allocated_; }
  const std::shared_ptr<MappedRegion>& region() const { return region_; }
  File* file() const { return file_.get(); }

  // Sets the append position after recovery. For a writable file, drops
  // everything after `end` (a torn or corrupt tail) and records it as the
  // committed end.
  absl::Status SetEnd(uint64_t end);

  // Makes room for `n` more bytes after end(); may move data().
  absl::Status Reserve(uint64_t n);

  // Where the next record goes; valid after a successful Reserve.
  char* tail() const { return region_->data() + end_; }

  // Publishes `n` bytes written at tail(): they become part of the log and
  // the header's committed_end says so.
  void Commit(uint64_t n);

  // Shrinks the file to end(), releasing the preallocated space.
  absl::Status Finish();

 private:
  LogFile(std::unique_ptr<File> file, bool writable, uint64_t min_growth)
      : file_(std::move(file)), writable_(writable), min_growth_(min_growth) {}

  absl::Status Remap(uint64_t size);
  absl::Status Grow(uint64_t need);
  void Populate(uint64_t need);

  const std::unique_ptr<File> file_;
  const bool writable_;
  const uint64_t min_growth_;
  std::shared_ptr<MappedRegion> region_;
  FileHeader header_;
  uint64_t end_ = 0;        // append position
  uint64_t allocated_ = 0;  // file size on disk
  uint64_t populated_ = 0;  // page tables of region_ are writable up to here
};

}  // namespace internal
}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_INTERNAL_LOG_FILE_H_
