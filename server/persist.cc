// Persister: the directory, its lock, logging and the background thread.
// Writing and loading snapshots are in persist_snapshot.cc.

#include "server/persist.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dbm/db.h"

namespace memkit {
namespace server {

absl::StatusOr<std::unique_ptr<Persister>> Persister::Create(const PersistOptions& options,
                                                             Cache* cache) {
  if (options.dir.empty()) return absl::InvalidArgumentError("persist: no directory given");
  if (options.interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("persist: the snapshot interval must not be negative");
  }
  if (cache == nullptr) return absl::InvalidArgumentError("persist: no cache");
  // One level, as `mkdir` would: a typo in a parent should not grow a tree.
  if (::mkdir(options.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    const int err = errno;
    return absl::FailedPreconditionError(absl::StrCat(
        "persist: cannot create directory ", options.dir, ": ", std::strerror(err)));
  }
  struct stat st;
  if (::stat(options.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("persist: ", options.dir, " is not a directory"));
  }
  dbm::Env* env = options.env != nullptr ? options.env : dbm::Env::Default();
  const std::string lock_path = options.dir + "/memkit-server.lock";
  dbm::OpenFileOptions lo;
  lo.writable = true;
  lo.create = true;
  lo.lock = dbm::LockMode::kExclusive;
  auto lock = env->OpenFile(lock_path, lo);
  if (!lock.ok()) {
    if (absl::IsUnavailable(lock.status())) {
      return absl::UnavailableError(absl::StrCat("persist: directory ", options.dir,
                                                 " is in use by another memkit-server (",
                                                 lock_path, " is locked)"));
    }
    return absl::Status(lock.status().code(),
                        absl::StrCat("persist: cannot lock ", lock_path, ": ",
                                     lock.status().message()));
  }
  std::unique_ptr<Persister> p(new Persister(options, cache, std::move(*lock)));
  // A snapshot that was being written when the last process died.
  dbm::Db::Destroy(p->tmp_path_, env).IgnoreError();
  return p;
}

Persister::Persister(const PersistOptions& options, Cache* cache, std::unique_ptr<dbm::File> lock)
    : options_(options),
      cache_(cache),
      env_(options.env != nullptr ? options.env : dbm::Env::Default()),
      clock_(options.clock != nullptr ? options.clock : net::RealClock::Get()),
      path_(options.dir + "/items.dbm"),
      tmp_path_(options.dir + "/items.dbm.tmp"),
      dir_lock_(std::move(lock)) {}

Persister::~Persister() { StopBackground(); }

void Persister::Log(int level, absl::string_view line) const {
  if (options_.log) {
    options_.log(level, line);
  } else if (level == 0) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  }
}

void Persister::StartBackground() {
  if (options_.interval <= absl::ZeroDuration() || thread_.joinable()) return;
  {
    MutexLock l(&mu_);
    stop_ = false;
  }
  // The first snapshot is due one interval from now, whenever the thread
  // gets going.
  const int64_t first = clock_->MonotonicNow() + absl::ToInt64Nanoseconds(options_.interval);
  thread_ = std::thread([this, first] { BackgroundLoop(first); });
}

void Persister::StopBackground() {
  if (!thread_.joinable()) return;
  {
    MutexLock l(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

uint64_t Persister::background_snapshots() const {
  MutexLock l(&mu_);
  return background_done_;
}

void Persister::BackgroundLoop(int64_t next) {
  while (WaitForRound(&next)) {
    const bool ok = Snapshot().ok();  // logs its own failure
    MutexLock l(&mu_);
    if (ok) ++background_done_;
  }
}

bool Persister::WaitForRound(int64_t* next) {
  // The real clock is waited on directly; another clock (a server's, which
  // `debugtime` moves, or a test's) moves without notice, so it is looked
  // at every few milliseconds.
  const bool real = clock_ == net::RealClock::Get();
  const int64_t interval = absl::ToInt64Nanoseconds(options_.interval);
  MutexLock l(&mu_);
  while (!stop_) {
    const int64_t now = clock_->MonotonicNow();
    if (now >= *next) {
      *next = now + interval;
      return true;
    }
    const int64_t wait = real ? *next - now : std::min<int64_t>(*next - now, 5000000);
    cv_.WaitWithTimeout(&mu_, absl::Nanoseconds(wait));
  }
  return false;
}

absl::StatusOr<SnapshotReport> Persister::Snapshot() {
  MutexLock l(&snapshot_mu_);
  absl::StatusOr<SnapshotReport> r = WriteSnapshot();
  if (!r.ok()) {
    dbm::Db::Destroy(tmp_path_, env_).IgnoreError();
    Log(0, absl::StrCat("persist: snapshot to ", path_, " failed (the previous one is kept): ",
                        r.status().message()));
    return r;
  }
  Log(1, absl::StrCat("persist: wrote a snapshot of ", r->items, " items (", r->file_bytes,
                      " bytes) to ", path_, " in ", absl::ToInt64Milliseconds(r->elapsed),
                      " ms"));
  return r;
}

}  // namespace server
}  // namespace memkit
