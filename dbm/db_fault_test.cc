// Db under file-system faults injected with FaultEnv: a full disk, short
// writes, failed fsyncs and renames, in writes, compaction, close and open.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dbm/db.h"
#include "dbm/testing/fault_env.h"
#include "dbm/testing/test_util.h"
#include "gtest/gtest.h"

namespace memkit {
namespace dbm {
namespace {

using testing::FileExists;
using testing::ScratchDir;

class FaultTest : public ::testing::Test {
 protected:
  Options WithFaults() {
    Options options;
    options.env = &env_;
    options.min_growth_bytes = 1 << 20;
    return options;
  }
  std::unique_ptr<Db> OpenDb(Options options) {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(path_, options);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }
  std::unique_ptr<Db> Reopen() {
    Options options;  // the real Env: the faults are over
    return OpenDb(options);
  }

  ScratchDir dir_;
  const std::string path_ = dir_.File("f.dbm");
  FaultEnv env_;
};

TEST_F(FaultTest, FullDiskFailsTheWriteCleanlyAndRecovers) {
  std::unique_ptr<Db> db = OpenDb(WithFaults());
  env_.SetSpaceLimit(3 << 20);
  const std::string value(10000, 'v');
  int acknowledged = 0;
  absl::Status s;
  for (int i = 0; i < 1000; ++i) {
    s = db->Put(absl::StrCat("k", i), value);
    if (!s.ok()) break;
    ++acknowledged;
  }
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_GT(acknowledged, 100);
  EXPECT_LT(acknowledged, 1000);
  // Nothing of the failed write is visible; everything before it is.
  EXPECT_EQ(db->Size(), static_cast<uint64_t>(acknowledged));
  EXPECT_FALSE(db->Contains(absl::StrCat("k", acknowledged)));
  EXPECT_TRUE(absl::IsResourceExhausted(db->Put("more", value)));
  // Space comes back: writes resume.
  env_.SetSpaceLimit(-1);
  ASSERT_TRUE(db->Put("after", "space freed").ok());
  EXPECT_TRUE(db->Verify().ok());
  ASSERT_TRUE(db->Close().ok());
  db = Reopen();
  EXPECT_TRUE(db->recovery().clean()) << db->recovery().ToString();
  for (int i = 0; i < acknowledged; ++i) ASSERT_TRUE(db->Contains(absl::StrCat("k", i))) << i;
  EXPECT_EQ(*db->Get("after"), "space freed");
}

TEST_F(FaultTest, CreatingOnAFullDiskFails) {
  env_.SetSpaceLimit(0);
  const absl::Status s = Db::Open(path_, WithFaults()).status();
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
}

TEST_F(FaultTest, FailedFsyncIsStickyForWrites) {
  Options options = WithFaults();
  options.sync = SyncPolicy::kEveryWrite;
  std::unique_ptr<Db> db = OpenDb(options);
  ASSERT_TRUE(db->Put("before", "1").ok());
  env_.SetSyncFails(true);
  const absl::Status failed = db->Put("during", "2");
  EXPECT_FALSE(failed.ok());
  env_.SetSyncFails(false);
  // After a failed fsync nothing can be promised durable any more.
  EXPECT_EQ(db->Put("after", "3"), failed);
  EXPECT_EQ(db->Delete("before"), failed);
  EXPECT_EQ(db->Sync(), failed);
  EXPECT_EQ(*db->Get("before"), "1");  // reads go on
  EXPECT_FALSE(db->Close().ok());
  db = Reopen();
  EXPECT_EQ(*db->Get("before"), "1");
  EXPECT_FALSE(db->Contains("after"));
  EXPECT_TRUE(db->Verify().ok());
}

TEST_F(FaultTest, ShortHintWriteOnlySlowsTheNextOpen) {
  std::unique_ptr<Db> db = OpenDb(WithFaults());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Put(absl::StrCat("k", i), "v").ok());
  env_.FailNextWriteShort();
  EXPECT_TRUE(absl::IsResourceExhausted(db->Close()));
  EXPECT_FALSE(FileExists(path_ + ".hint.tmp"));
  db = Reopen();
  EXPECT_FALSE(db->recovery().used_hint);
  EXPECT_EQ(db->Size(), 100u);
  EXPECT_TRUE(db->recovery().clean());
}

TEST_F(FaultTest, CompactionFailuresLeaveTheDatabaseUsable) {
  std::unique_ptr<Db> db = OpenDb(WithFaults());
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(db->Put(absl::StrCat("k", i), absl::StrCat(round, std::string(500, 'c'))).ok());
    }
  }
  uint64_t keys = 200;
  auto check = [&](const std::string& context) {
    EXPECT_FALSE(FileExists(path_ + ".compact")) << context;
    EXPECT_EQ(db->Size(), keys) << context;
    EXPECT_EQ(db->Get("k7")->substr(0, 1), "2") << context;
    EXPECT_TRUE(db->Verify().ok()) << context;
  };
  env_.SetRenameFails(true);
  EXPECT_FALSE(db->Compact().ok());
  env_.SetRenameFails(false);
  check("rename failed");

  env_.SetSpaceLimit(10000);
  EXPECT_TRUE(absl::IsResourceExhausted(db->Compact()));
  env_.SetSpaceLimit(-1);
  check("disk full");

  env_.FailNextWriteShort();
  EXPECT_FALSE(db->Compact().ok());
  check("short write");

  env_.SetSyncFails(true);
  EXPECT_FALSE(db->Compact().ok());  // the new file could not be synced
  env_.SetSyncFails(false);
  check("sync of the new file failed");
  ASSERT_TRUE(db->Put("still", "writable").ok());
  ++keys;

  ASSERT_TRUE(db->Compact().ok());
  check("compacted");
  EXPECT_EQ(db->GetStats().compactions, 1u);
  ASSERT_TRUE(db->Close().ok());
  db = Reopen();
  EXPECT_TRUE(db->recovery().used_hint);
  check("reopened");
  EXPECT_EQ(*db->Get("still"), "writable");
}

TEST_F(FaultTest, DirectorySyncFailureAfterTheRenameIsSticky) {
  std::unique_ptr<Db> db = OpenDb(WithFaults());
  ASSERT_TRUE(db->Put("k", "v").ok());
  // Learn where the directory sync falls among a compaction's steps.
  int64_t base = env_.steps();
  ASSERT_TRUE(db->Compact().ok());
  const std::vector<std::string> log = env_.step_log();
  int64_t dir_sync = -1;
  for (int64_t i = base; i < static_cast<int64_t>(log.size()); ++i) {
    if (log[i].rfind("syncdir", 0) == 0) {
      dir_sync = i - base;
      break;
    }
  }
  ASSERT_GE(dir_sync, 0);
  ASSERT_TRUE(db->Put("k", "v2").ok());
  base = env_.steps();
  env_.SetStepHook(base + dir_sync, [this] { env_.SetSyncFails(true); });
  const absl::Status s = db->Compact();
  env_.SetSyncFails(false);
  EXPECT_FALSE(s.ok());
  // The Db moved to the new file anyway (the old one has no name any more),
  // but can no longer promise durability.
  EXPECT_EQ(*db->Get("k"), "v2");
  EXPECT_FALSE(db->Put("x", "y").ok());
  db.reset();
  db = Reopen();
  EXPECT_EQ(*db->Get("k"), "v2");
  EXPECT_FALSE(db->Contains("x"));
  EXPECT_TRUE(db->Verify().ok());
}

}  // namespace
}  // namespace dbm
}  // namespace memkit
