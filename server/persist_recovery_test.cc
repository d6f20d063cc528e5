// Persister when things go wrong: damaged and foreign snapshots, strict
// mode, disk faults while writing, the directory and its lock.

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "dbm/db.h"
#include "dbm/testing/fault_env.h"
#include "gtest/gtest.h"
#include "server/cache.h"
#include "server/cache_test_util.h"
#include "server/persist.h"
#include "server/persist_format.h"
#include "server/persist_test_util.h"

namespace memkit {
namespace server {
namespace {

using testing::Exists;
using testing::kStart;
using testing::MakeCache;
using testing::PersistTest;
using testing::ReadAll;
using testing::Set;
using testing::ValueOf;
using testing::WriteAll;

// ---- damaged and foreign snapshots ------------------------------------------

class DamagedSnapshotTest : public PersistTest {
 protected:
  // A snapshot of 200 items "k<i>" = "value<i>" (flags i).
  void WriteGoodSnapshot() {
    auto cache = MakeCache(Options());
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(Set(*cache, absl::StrCat("k", i), absl::StrCat("value", i), 0, i).stored());
    }
    ASSERT_EQ(SnapshotOf(cache.get()).items, 200u);
  }

  // Checks that whatever was loaded is exactly right.
  void ExpectOnlyTrueItems(Cache& cache) {
    int present = 0;
    for (int i = 0; i < 200; ++i) {
      GetResult g = cache.Get(absl::StrCat("k", i));
      if (!g.hit()) continue;
      ++present;
      EXPECT_EQ(g.item.value(), absl::StrCat("value", i));
      EXPECT_EQ(g.item.client_flags(), static_cast<uint32_t>(i));
    }
    EXPECT_EQ(static_cast<uint64_t>(present), cache.GetStats().curr_items);
  }
};

TEST_F(DamagedSnapshotTest, GarbageStartsColdWithOneLineAndIsMovedAside) {
  ASSERT_TRUE(std::filesystem::create_directory(dir_));
  const std::string garbage = "this is not a dbm file at all\n";
  WriteAll(snapshot(), garbage);
  auto cache = MakeCache(Options());
  LoadReport r = LoadInto(cache.get());
  EXPECT_TRUE(r.found);
  EXPECT_FALSE(r.usable);
  EXPECT_FALSE(r.complete);
  EXPECT_FALSE(r.problem.empty());
  EXPECT_EQ(r.loaded, 0u);
  ASSERT_EQ(Warnings().size(), 1u);
  EXPECT_NE(Warnings()[0].find("starting cold"), std::string::npos) << Warnings()[0];
  EXPECT_FALSE(Exists(snapshot()));
  EXPECT_EQ(ReadAll(snapshot() + ".corrupt"), garbage);
  // And the next snapshot goes where it belongs.
  ASSERT_TRUE(Set(*cache, "k", "v").stored());
  EXPECT_EQ(SnapshotOf(cache.get()).items, 1u);
}

TEST_F(DamagedSnapshotTest, EmptyFileStartsCold) {
  ASSERT_TRUE(std::filesystem::create_directory(dir_));
  WriteAll(snapshot(), "");
  auto cache = MakeCache(Options());
  LoadReport r = LoadInto(cache.get());
  EXPECT_TRUE(r.found);
  EXPECT_FALSE(r.usable);
  EXPECT_EQ(Warnings().size(), 1u);
}

TEST_F(DamagedSnapshotTest, ForeignDbmStartsCold) {
  ASSERT_TRUE(std::filesystem::create_directory(dir_));
  {
    auto db = dbm::Db::Open(snapshot(), dbm::Options());
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Put("user:1", "alice").ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto cache = MakeCache(Options());
  LoadReport r = LoadInto(cache.get());
  EXPECT_TRUE(r.found);
  EXPECT_FALSE(r.usable);
  EXPECT_NE(r.problem.find("not a memkit-server snapshot"), std::string::npos) << r.problem;
  EXPECT_FALSE(cache->Inspect("user:1").has_value());
  EXPECT_EQ(Warnings().size(), 1u);
}

TEST_F(DamagedSnapshotTest, AFlippedByteLoadsOnlyWhatStillChecksOut) {
  WriteGoodSnapshot();
  std::string bytes = ReadAll(snapshot());
  bytes[bytes.size() / 2] ^= 0x40;
  WriteAll(snapshot(), bytes);
  auto cache = MakeCache(Options());
  LoadReport r = LoadInto(cache.get());
  EXPECT_TRUE(r.usable);
  EXPECT_FALSE(r.complete);
  EXPECT_FALSE(r.problem.empty());  // a checksum mismatch or a bad length
  EXPECT_GT(r.loaded, 0u);
  EXPECT_LT(r.loaded, 200u);
  ExpectOnlyTrueItems(*cache);
  ASSERT_EQ(Warnings().size(), 1u);
  EXPECT_NE(Warnings()[0].find(absl::StrCat("loaded ", r.loaded, " items")), std::string::npos)
      << Warnings()[0];
  EXPECT_TRUE(Exists(snapshot() + ".corrupt"));
  EXPECT_FALSE(Exists(snapshot()));
}

TEST_F(DamagedSnapshotTest, ACutFileLoadsItsWholeRecords) {
  WriteGoodSnapshot();
  std::string bytes = ReadAll(snapshot());
  WriteAll(snapshot(), bytes.substr(0, bytes.size() * 2 / 3));
  auto cache = MakeCache(Options());
  LoadReport r = LoadInto(cache.get());
  EXPECT_TRUE(r.usable);
  EXPECT_FALSE(r.complete);  // the final header was in the lost part
  EXPECT_GT(r.loaded, 0u);
  EXPECT_LT(r.loaded, 200u);
  ExpectOnlyTrueItems(*cache);
  EXPECT_EQ(Warnings().size(), 1u);
}

TEST_F(DamagedSnapshotTest, StrictRefusesAndChangesNothing) {
  WriteGoodSnapshot();
  std::string bytes = ReadAll(snapshot());
  bytes[bytes.size() / 2] ^= 0x40;
  WriteAll(snapshot(), bytes);
  auto cache = MakeCache(Options());
  PersistOptions strict = PersistOpts();
  strict.strict = true;
  auto p = MakePersister(cache.get(), strict);
  absl::StatusOr<LoadReport> r = p->Load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("persist_strict"), absl::string_view::npos);
  EXPECT_EQ(cache->GetStats().curr_items, 0u);
  EXPECT_EQ(ReadAll(snapshot()), bytes);
  EXPECT_FALSE(Exists(snapshot() + ".corrupt"));

  // Strict with garbage, too.
  WriteAll(snapshot(), "garbage");
  EXPECT_EQ(p->Load().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadAll(snapshot()), "garbage");
}

TEST_F(DamagedSnapshotTest, StrictLoadsAGoodSnapshot) {
  WriteGoodSnapshot();
  auto cache = MakeCache(Options());
  PersistOptions strict = PersistOpts();
  strict.strict = true;
  EXPECT_EQ(LoadInto(cache.get(), strict).loaded, 200u);
}

TEST_F(DamagedSnapshotTest, RecordsThatDoNotDecodeAreSkipped) {
  ASSERT_TRUE(std::filesystem::create_directory(dir_));
  {
    auto db = dbm::Db::Open(snapshot(), dbm::Options());
    ASSERT_TRUE(db.ok()) << db.status();
    persist::SnapshotHeader h;
    h.complete = true;
    h.written_unix = kStart;
    h.item_count = 3;
    ASSERT_TRUE((*db)->Put(persist::kHeaderKey, persist::EncodeHeader(h)).ok());
    persist::ItemRecord item;
    item.value = "good";
    std::string bytes;
    persist::EncodeItem(item, &bytes);
    ASSERT_TRUE((*db)->Put("good", bytes).ok());
    ASSERT_TRUE((*db)->Put("short", "\x01").ok());
    bytes[0] = 9;  // a version from the future
    ASSERT_TRUE((*db)->Put("future", bytes).ok());
    ASSERT_TRUE((*db)->Put(std::string(300, 'k'), "\x01").ok());  // not even a memcached key
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto cache = MakeCache(Options());
  LoadReport r = LoadInto(cache.get());
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.loaded, 1u);
  EXPECT_EQ(r.malformed, 3u);
  EXPECT_EQ(ValueOf(*cache, "good"), "good");
}

// ---- writing: failures keep the old snapshot --------------------------------

TEST_F(PersistTest, FailedSnapshotsKeepThePreviousOne) {
  dbm::FaultEnv env;
  auto cache = MakeCache(Options());
  ASSERT_TRUE(Set(*cache, "first", "1").stored());
  PersistOptions po = PersistOpts();
  po.env = &env;
  auto p = MakePersister(cache.get(), po);
  ASSERT_TRUE(p->Snapshot().ok());
  const std::string good = ReadAll(snapshot());
  ASSERT_TRUE(Set(*cache, "second", std::string(100000, 's')).stored());

  env.SetSpaceLimit(1000);  // full disk
  absl::StatusOr<SnapshotReport> r = p->Snapshot();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  env.SetSpaceLimit(-1);
  EXPECT_EQ(ReadAll(snapshot()), good);
  EXPECT_FALSE(Exists(snapshot() + ".tmp"));

  env.SetRenameFails(true);
  EXPECT_FALSE(p->Snapshot().ok());
  env.SetRenameFails(false);
  EXPECT_EQ(ReadAll(snapshot()), good);
  EXPECT_FALSE(Exists(snapshot() + ".tmp"));

  env.SetSyncFails(true);
  EXPECT_FALSE(p->Snapshot().ok());
  env.SetSyncFails(false);
  EXPECT_EQ(ReadAll(snapshot()), good);
  EXPECT_EQ(Warnings().size(), 3u);  // one line per failure

  ASSERT_TRUE(p->Snapshot().ok());
  p.reset();
  auto after = MakeCache(Options());
  EXPECT_EQ(LoadInto(after.get()).loaded, 2u);
}

TEST_F(PersistTest, EveryStepOfASnapshotLeavesAWholeSnapshot) {
  // Stop the snapshot before each of its file-system steps in turn (as a
  // crash there would): the file at items.dbm is always the old snapshot or
  // the new one, complete.
  auto cache = MakeCache(Options());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Set(*cache, absl::StrCat("a", i), "old").stored());
  {
    auto p = MakePersister(cache.get());
    ASSERT_TRUE(p->Snapshot().ok());
  }
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Set(*cache, absl::StrCat("b", i), "new").stored());
  int64_t steps = 0;
  {
    dbm::FaultEnv counting;
    PersistOptions po = PersistOpts();
    po.env = &counting;
    auto p = MakePersister(cache.get(), po);
    const int64_t before = counting.steps();
    ASSERT_TRUE(p->Snapshot().ok());
    steps = counting.steps() - before;
  }
  ASSERT_GT(steps, 3);
  PersistOptions keep = PersistOpts();
  keep.interval = absl::Hours(1);  // loading keeps the file for the next round
  for (int64_t step = 0; step < steps; ++step) {
    dbm::FaultEnv env;
    PersistOptions po = keep;
    po.env = &env;
    auto p = MakePersister(cache.get(), po);
    // From this step on the disk is full, syncs and renames fail.
    env.SetStepHook(env.steps() + step, [&env] {
      env.SetSpaceLimit(0);
      env.SetSyncFails(true);
      env.SetRenameFails(true);
    });
    absl::StatusOr<SnapshotReport> r = p->Snapshot();
    p.reset();
    auto check = MakeCache(Options());
    LoadReport loaded = LoadInto(check.get(), keep);
    ASSERT_TRUE(loaded.complete) << "step " << step << ": " << loaded.problem;
    ASSERT_TRUE(loaded.loaded == 20 || loaded.loaded == 40)
        << "step " << step << ": " << loaded.loaded;
    if (r.ok()) {
      EXPECT_EQ(loaded.loaded, 40u) << step;
    }
  }
}

// ---- the directory ----------------------------------------------------------

TEST_F(PersistTest, TheDirectoryIsCreatedAndLocked) {
  auto cache = MakeCache(Options());
  auto first = MakePersister(cache.get());
  ASSERT_NE(first, nullptr);
  struct stat st;
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  auto second = Persister::Create(PersistOpts(), cache.get());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("in use"), absl::string_view::npos);
  first.reset();
  EXPECT_TRUE(Persister::Create(PersistOpts(), cache.get()).ok());
}

TEST_F(PersistTest, BadDirectoriesAndOptions) {
  auto cache = MakeCache(Options());
  PersistOptions po = PersistOpts();
  po.dir = "";
  EXPECT_EQ(Persister::Create(po, cache.get()).status().code(),
            absl::StatusCode::kInvalidArgument);
  po = PersistOpts();
  po.interval = absl::Seconds(-1);
  EXPECT_EQ(Persister::Create(po, cache.get()).status().code(),
            absl::StatusCode::kInvalidArgument);
  po = PersistOpts();
  po.dir = root_ + "/missing/parent";
  EXPECT_EQ(Persister::Create(po, cache.get()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  WriteAll(root_ + "/file", "x");
  po.dir = root_ + "/file";
  EXPECT_EQ(Persister::Create(po, cache.get()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(PersistTest, ALeftoverTemporaryFileIsRemoved) {
  ASSERT_TRUE(std::filesystem::create_directory(dir_));
  WriteAll(snapshot() + ".tmp", "half a snapshot");
  auto cache = MakeCache(Options());
  auto p = MakePersister(cache.get());
  EXPECT_FALSE(Exists(snapshot() + ".tmp"));
}

}  // namespace
}  // namespace server
}  // namespace memkit
