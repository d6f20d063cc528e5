// The file layer under memkit::dbm, in the manner of LevelDB's Env.
//
// Every file-system call the store makes goes through an Env, so tests can
// swap in a fault-injecting one (dbm/testing/fault_env.h: full disk, short
// writes, failed fsync, a crash at the Nth step) and embedders can add their
// own. Env::Default() is the POSIX implementation.
//
// Errors are absl::Status built from errno (ENOSPC -> ResourceExhausted,
// ENOENT -> NotFound, lock held elsewhere -> Unavailable).
//
// Thread-safety: an Env is safe to use from any thread. A File may be used
// from several threads at once for Read/Write at distinct offsets and Sync;
// Truncate/Allocate/Map need external serialisation.

#ifndef MEMKIT_DBM_ENV_H_
#define MEMKIT_DBM_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace memkit {
namespace dbm {

// A shared memory mapping of the first size() bytes of a file. Stores into a
// writable mapping land in the file's page cache at once, so they survive the
// death of the process (not of the machine) without any further call.
// Unmapped on destruction; stays valid after its File is closed.
class MappedRegion {
 public:
  virtual ~MappedRegion() = default;
  virtual char* data() const = 0;
  virtual uint64_t size() const = 0;
};

enum class LockMode {
  kNone,
  kShared,     // many readers
  kExclusive,  // one writer, no readers
};

class File {
 public:
  virtual ~File() = default;

  // Reads exactly `n` bytes at `offset`; OutOfRange if the file ends first.
  virtual absl::Status Read(uint64_t offset, size_t n, char* buf) = 0;

  // Writes all of `data` at `offset`, retrying short writes.
  virtual absl::Status Write(uint64_t offset, absl::string_view data) = 0;

  // Sets the file's size, discarding or zero-filling the end.
  virtual absl::Status Truncate(uint64_t size) = 0;

  // Grows the file to at least `size` bytes with its blocks reserved, so that
  // stores through a mapping can never fail for lack of space (which would
  // be a SIGBUS). ResourceExhausted when the disk is full.
  virtual absl::Status Allocate(uint64_t size) = 0;

  // Makes everything written to the file, by Write or through a mapping,
  // durable across a machine crash (fdatasync).
  virtual absl::Status Sync() = 0;

  virtual absl::StatusOr<uint64_t> Size() = 0;

  // Maps `size` bytes from offset 0, shared. `size` may exceed the file's
  // size (reserving address space for growth); touching bytes past the end of
  // the file is the caller's bug.
  virtual absl::StatusOr<std::unique_ptr<MappedRegion>> Map(uint64_t size, bool writable) = 0;

  // Takes an advisory lock without waiting: Unavailable if another open file
  // (in this or another process) holds a conflicting one. Released when the
  // File is destroyed.
  virtual absl::Status Lock(LockMode mode) = 0;
};

struct OpenFileOptions {
  // Open for writing as well as reading.
  bool writable = false;
  // Create the file (mode 0644) if it does not exist; else NotFound.
  bool create = false;
  // Lock to take. When not kNone, OpenFile also makes sure that the file it
  // locked is still the one at `path`, retrying if a rename replaced it.
  LockMode lock = LockMode::kNone;
};

class Env {
 public:
  virtual ~Env() = default;

  // The POSIX Env. Never destroyed.
  static Env* Default();

  virtual absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                         const OpenFileOptions& options) = 0;

  // Atomically replaces `to` with `from`.
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;

  // NotFound if `path` does not exist.
  virtual absl::Status Remove(const std::string& path) = 0;

  // Makes renames and creations in directory `dir` durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
};

}  // namespace dbm
}  // namespace memkit

#endif  // MEMKIT_DBM_ENV_H_
