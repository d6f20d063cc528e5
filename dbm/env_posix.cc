// The POSIX Env: pread/pwrite, posix_fallocate, fdatasync, mmap and flock.

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "dbm/env.h"

namespace memkit {
namespace dbm {
namespace {

absl::Status PosixError(int error, absl::string_view what, absl::string_view path) {
  return absl::ErrnoToStatus(error, absl::StrCat(what, " ", path));
}

class PosixRegion final : public MappedRegion {
 public:
  PosixRegion(char* data, uint64_t size) : data_(data), size_(size) {}
  ~PosixRegion() override { munmap(data_, size_); }
  char* data() const override { return data_; }
  uint64_t size() const override { return size_; }

 private:
  char* const data_;
  const uint64_t size_;
};

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { close(fd_); }

  absl::Status Read(uint64_t offset, size_t n, char* buf) override {
    while (n > 0) {
      const ssize_t r = pread(fd_, buf, n, static_cast<off_t>(offset));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(errno, "pread", path_);
      }
      if (r == 0) return absl::OutOfRangeError(absl::StrCat("short read from ", path_));
      buf += r;
      n -= static_cast<size_t>(r);
      offset += static_cast<uint64_t>(r);
    }
    return absl::OkStatus();
  }

  absl::Status Write(uint64_t offset, absl::string_view data) override {
    const char* p = data.data();
    size_t n = data.size();
    while (n > 0) {
      const ssize_t w = pwrite(fd_, p, n, static_cast<off_t>(offset));
      if (w < 0) {
        if (errno == EINTR) continue;
        return PosixError(errno, "pwrite", path_);
      }
      p += w;
      n -= static_cast<size_t>(w);
      offset += static_cast<uint64_t>(w);
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    if (ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return PosixError(errno, "ftruncate", path_);
    }
    return absl::OkStatus();
  }

  absl::Status Allocate(uint64_t size) override {
    absl::StatusOr<uint64_t> current = Size();
    if (!current.ok()) return current.status();
    if (*current >= size) return absl::OkStatus();
    // posix_fallocate returns the error instead of setting errno.
    int err;
    do {
      err = posix_fallocate(fd_, static_cast<off_t>(*current),
                            static_cast<off_t>(size - *current));
    } while (err == EINTR);
    if (err != 0) return PosixError(err, "posix_fallocate", path_);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fdatasync(fd_) != 0) return PosixError(errno, "fdatasync", path_);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override {
    struct stat st;
    if (fstat(fd_, &st) != 0) return PosixError(errno, "fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::StatusOr<std::unique_ptr<MappedRegion>> Map(uint64_t size, bool writable) override {
    const int prot = writable ? (PROT_READ | PROT_WRITE) : PROT_READ;
    void* p = mmap(nullptr, size, prot, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) return PosixError(errno, "mmap", path_);
    return std::unique_ptr<MappedRegion>(new PosixRegion(static_cast<char*>(p), size));
  }

  absl::Status Lock(LockMode mode) override {
    if (mode == LockMode::kNone) return absl::OkStatus();
    const int op = (mode == LockMode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    while (flock(fd_, op) != 0) {
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK) {
        return absl::UnavailableError(
            absl::StrCat(path_, " is locked by another open database (",
                         mode == LockMode::kShared ? "a writer" : "a reader or writer", ")"));
      }
      return PosixError(errno, "flock", path_);
    }
    return absl::OkStatus();
  }

  int fd() const { return fd_; }

 private:
  const int fd_;
  const std::string path_;
};

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                 const OpenFileOptions& options) override {
    int flags = O_CLOEXEC | (options.writable ? O_RDWR : O_RDONLY);
    if (options.create) flags |= O_CREAT;
    // A writer that compacts renames a new file over `path` while holding its
    // lock; whoever locked the old inode meanwhile must start again.
    for (int attempt = 0; attempt < 100; ++attempt) {
      const int fd = open(path.c_str(), flags, 0644);
      if (fd < 0) return PosixError(errno, "open", path);
      auto file = std::make_unique<PosixFile>(fd, path);
      if (options.lock == LockMode::kNone) return std::unique_ptr<File>(std::move(file));
      absl::Status locked = file->Lock(options.lock);
      if (!locked.ok()) return locked;
      struct stat by_fd;
      struct stat by_path;
      if (fstat(fd, &by_fd) != 0) return PosixError(errno, "fstat", path);
      if (stat(path.c_str(), &by_path) != 0) {
        if (errno == ENOENT) continue;
        return PosixError(errno, "stat", path);
      }
      if (by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino) {
        return std::unique_ptr<File>(std::move(file));
      }
    }
    return absl::UnavailableError(absl::StrCat(path, " keeps being replaced; cannot lock it"));
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) {
      return PosixError(errno, "rename", absl::StrCat(from, " -> ", to));
    }
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return PosixError(errno, "unlink", path);
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(errno, "open directory", dir);
    const int rc = fsync(fd);
    const int err = errno;
    close(fd);
    if (rc != 0) return PosixError(err, "fsync directory", dir);
    return absl::OkStatus();
  }
};

}  // namespace

Env* Env::Default() {
  static Env* const env = new PosixEnv;
  return env;
}

}  // namespace dbm
}  // namespace memkit
