#include "dbm/testing/fault_env.h"

#include <errno.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace memkit {
namespace dbm {
namespace {

class FaultFile final : public File {
 public:
  FaultFile(FaultEnv* env, std::unique_ptr<File> base, std::string path)
      : env_(env), base_(std::move(base)), path_(std::move(path)) {}

  absl::Status Read(uint64_t offset, size_t n, char* buf) override {
    return base_->Read(offset, n, buf);
  }

  absl::Status Write(uint64_t offset, absl::string_view data) override {
    absl::StatusOr<uint64_t> size = base_->Size();
    if (!size.ok()) return size.status();
    const uint64_t end = offset + data.size();
    const int64_t growth = end > *size ? static_cast<int64_t>(end - *size) : 0;
    bool short_write = false;
    absl::Status s = env_->BeginStep(absl::StrCat("write ", path_, " @", offset, " +",
                                                  data.size()),
                                     growth, false, &short_write);
    if (short_write) {
      absl::Status partial = base_->Write(offset, data.substr(0, data.size() / 2));
      if (!partial.ok()) return partial;
      return absl::ErrnoToStatus(ENOSPC, absl::StrCat("short write to ", path_));
    }
    if (!s.ok()) return s;
    return base_->Write(offset, data);
  }

  absl::Status Truncate(uint64_t size) override {
    bool unused = false;
    absl::Status s =
        env_->BeginStep(absl::StrCat("truncate ", path_, " to ", size), 0, false, &unused);
    if (!s.ok()) return s;
    return base_->Truncate(size);
  }

  absl::Status Allocate(uint64_t size) override {
    absl::StatusOr<uint64_t> current = base_->Size();
    if (!current.ok()) return current.status();
    const int64_t growth = size > *current ? static_cast<int64_t>(size - *current) : 0;
    bool unused = false;
    absl::Status s =
        env_->BeginStep(absl::StrCat("allocate ", path_, " to ", size), growth, false, &unused);
    if (!s.ok()) return s;
    return base_->Allocate(size);
  }

  absl::Status Sync() override {
    bool unused = false;
    absl::Status s = env_->BeginStep(absl::StrCat("sync ", path_), 0, true, &unused);
    if (!s.ok()) return s;
    return base_->Sync();
  }

  absl::StatusOr<uint64_t> Size() override { return base_->Size(); }

  absl::StatusOr<std::unique_ptr<MappedRegion>> Map(uint64_t size, bool writable) override {
    return base_->Map(size, writable);
  }

  absl::Status Lock(LockMode mode) override { return base_->Lock(mode); }

 private:
  FaultEnv* const env_;
  const std::unique_ptr<File> base_;
  const std::string path_;
};

}  // namespace

void FaultEnv::SetSpaceLimit(int64_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  space_left_ = bytes;
}

void FaultEnv::FailNextWriteShort() {
  std::lock_guard<std::mutex> l(mu_);
  short_next_ = true;
}

void FaultEnv::SetSyncFails(bool fail) {
  std::lock_guard<std::mutex> l(mu_);
  sync_fails_ = fail;
}

void FaultEnv::SetRenameFails(bool fail) {
  std::lock_guard<std::mutex> l(mu_);
  rename_fails_ = fail;
}

void FaultEnv::SetStepHook(int64_t step, std::function<void()> hook) {
  std::lock_guard<std::mutex> l(mu_);
  hook_step_ = step;
  hook_ = std::move(hook);
}

int64_t FaultEnv::steps() const {
  std::lock_guard<std::mutex> l(mu_);
  return steps_;
}

std::vector<std::string> FaultEnv::step_log() const {
  std::lock_guard<std::mutex> l(mu_);
  return log_;
}

absl::Status FaultEnv::BeginStep(const std::string& what, int64_t bytes, bool is_sync,
                                 bool* short_write) {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (steps_ == hook_step_) hook = hook_;
    ++steps_;
    log_.push_back(what);
  }
  if (hook) hook();
  std::lock_guard<std::mutex> l(mu_);
  if (short_next_ && what.rfind("write ", 0) == 0) {
    short_next_ = false;
    *short_write = true;
    return absl::OkStatus();
  }
  if (is_sync && sync_fails_) return absl::ErrnoToStatus(EIO, absl::StrCat(what, " failed"));
  if (bytes > 0 && space_left_ >= 0) {
    if (bytes > space_left_) {
      return absl::ErrnoToStatus(ENOSPC, absl::StrCat(what, ": no space left on device"));
    }
    space_left_ -= bytes;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<File>> FaultEnv::OpenFile(const std::string& path,
                                                         const OpenFileOptions& options) {
  absl::StatusOr<std::unique_ptr<File>> base = base_->OpenFile(path, options);
  if (!base.ok()) return base.status();
  return std::unique_ptr<File>(new FaultFile(this, std::move(*base), path));
}

absl::Status FaultEnv::Rename(const std::string& from, const std::string& to) {
  bool unused = false;
  absl::Status s = BeginStep(absl::StrCat("rename ", from, " -> ", to), 0, false, &unused);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (rename_fails_) return absl::ErrnoToStatus(EIO, absl::StrCat("rename ", from));
  }
  return base_->Rename(from, to);
}

absl::Status FaultEnv::Remove(const std::string& path) {
  bool unused = false;
  absl::Status s = BeginStep(absl::StrCat("remove ", path), 0, false, &unused);
  if (!s.ok()) return s;
  return base_->Remove(path);
}

absl::Status FaultEnv::SyncDir(const std::string& dir) {
  bool unused = false;
  absl::Status s = BeginStep(absl::StrCat("syncdir ", dir), 0, true, &unused);
  if (!s.ok()) return s;
  return base_->SyncDir(dir);
}

}  // namespace dbm
}  // namespace memkit
