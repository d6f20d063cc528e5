// Test helpers for the Persister's tests: a ManualClock, a scratch
// directory and Persister plumbing that captures the log.
//
// Thread-safety: a fixture belongs to its test; the log sink may be called
// from a background snapshot thread.

#ifndef MEMKIT_SERVER_PERSIST_TEST_UTIL_H_
#define MEMKIT_SERVER_PERSIST_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/net/clock.h"
#include "core/sync/mutex.h"
#include "gtest/gtest.h"
#include "server/cache.h"
#include "server/cache_test_util.h"
#include "server/persist.h"
#include "tests/support/scratch_dir.h"

namespace memkit {
namespace server {
namespace testing {

inline constexpr int64_t kStart = 1700000000;

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline bool Exists(const std::string& path) { return std::filesystem::exists(path); }

class PersistTest : public ::testing::Test {
 protected:
  PersistTest() : clock_(absl::FromUnixSeconds(kStart)) {
    auto scratch = test_support::ScratchDir::Create("persist_test");
    EXPECT_TRUE(scratch.ok()) << scratch.status();
    if (scratch.ok()) scratch_ = *std::move(scratch);
    root_ = scratch_ != nullptr ? scratch_->path() : "/nonexistent";
    dir_ = root_ + "/snap";
  }

  CacheOptions Options() const { return TestOptions(&clock_); }

  PersistOptions PersistOpts() {
    PersistOptions po;
    po.dir = dir_;
    po.clock = &clock_;  // background snapshots move with the test's clock
    po.log = [this](int level, absl::string_view line) {
      MutexLock l(&log_mu_);
      log_.push_back(absl::StrCat(level, " ", line));
    };
    return po;
  }

  std::unique_ptr<Persister> MakePersister(Cache* cache, PersistOptions po) {
    auto p = Persister::Create(po, cache);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::move(*p) : nullptr;
  }
  std::unique_ptr<Persister> MakePersister(Cache* cache) {
    return MakePersister(cache, PersistOpts());
  }

  // Snapshots `cache` with a Persister that is then released (and the lock
  // with it), as a server does at shutdown.
  SnapshotReport SnapshotOf(Cache* cache) {
    auto p = MakePersister(cache);
    if (p == nullptr) return {};
    absl::StatusOr<SnapshotReport> r = p->Snapshot();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : SnapshotReport();
  }

  LoadReport LoadInto(Cache* cache, PersistOptions po) {
    auto p = MakePersister(cache, po);
    if (p == nullptr) return {};
    absl::StatusOr<LoadReport> r = p->Load();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : LoadReport();
  }
  LoadReport LoadInto(Cache* cache) { return LoadInto(cache, PersistOpts()); }

  std::vector<std::string> Warnings() {
    MutexLock l(&log_mu_);
    std::vector<std::string> out;
    for (const std::string& line : log_) {
      if (absl::StartsWith(line, "0 ")) out.push_back(line);
    }
    return out;
  }

  std::string snapshot() const { return dir_ + "/items.dbm"; }

  net::ManualClock clock_;
  std::unique_ptr<test_support::ScratchDir> scratch_;  // removed with its contents
  std::string root_;
  std::string dir_;
  Mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace testing
}  // namespace server
}  // namespace memkit

#endif  // MEMKIT_SERVER_PERSIST_TEST_UTIL_H_
