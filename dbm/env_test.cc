#include "dbm/env.h"

#include <cstring>
#include <memory>
#include <string>

#include "dbm/testing/fault_env.h"
#include "dbm/testing/test_util.h"
#include "gtest/gtest.h"

namespace memkit {
namespace dbm {
namespace {

using testing::ScratchDir;

std::unique_ptr<File> OpenOrDie(Env* env, const std::string& path, bool writable,
                                LockMode lock = LockMode::kNone) {
  OpenFileOptions options;
  options.writable = writable;
  options.create = writable;
  options.lock = lock;
  absl::StatusOr<std::unique_ptr<File>> file = env->OpenFile(path, options);
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? std::move(*file) : nullptr;
}

TEST(PosixEnvTest, ReadWriteTruncateAllocate) {
  ScratchDir dir;
  Env* env = Env::Default();
  std::unique_ptr<File> f = OpenOrDie(env, dir.File("f"), true);
  ASSERT_TRUE(f->Write(0, "hello world").ok());
  char buf[5];
  ASSERT_TRUE(f->Read(6, 5, buf).ok());
  EXPECT_EQ(std::string(buf, 5), "world");
  EXPECT_TRUE(absl::IsOutOfRange(f->Read(8, 5, buf)));
  ASSERT_TRUE(f->Truncate(5).ok());
  EXPECT_EQ(*f->Size(), 5u);
  ASSERT_TRUE(f->Allocate(1 << 20).ok());
  EXPECT_EQ(*f->Size(), uint64_t{1} << 20);
  ASSERT_TRUE(f->Allocate(10).ok());  // never shrinks
  EXPECT_EQ(*f->Size(), uint64_t{1} << 20);
  EXPECT_TRUE(f->Sync().ok());
}

TEST(PosixEnvTest, MappingSeesWritesAndSurvivesClose) {
  ScratchDir dir;
  Env* env = Env::Default();
  std::unique_ptr<File> f = OpenOrDie(env, dir.File("f"), true);
  ASSERT_TRUE(f->Allocate(4096).ok());
  absl::StatusOr<std::unique_ptr<MappedRegion>> region = f->Map(1 << 20, true);
  ASSERT_TRUE(region.ok()) << region.status();
  std::memcpy((*region)->data() + 100, "mapped", 6);
  char buf[6];
  ASSERT_TRUE(f->Read(100, 6, buf).ok());  // the page cache is shared
  EXPECT_EQ(std::string(buf, 6), "mapped");
  f.reset();
  EXPECT_EQ(std::string((*region)->data() + 100, 6), "mapped");
}

TEST(PosixEnvTest, OpenMissingIsNotFound) {
  ScratchDir dir;
  OpenFileOptions options;
  EXPECT_TRUE(absl::IsNotFound(Env::Default()->OpenFile(dir.File("missing"), options).status()));
  EXPECT_TRUE(absl::IsNotFound(Env::Default()->Remove(dir.File("missing"))));
}

TEST(PosixEnvTest, LocksConflictAcrossOpenFiles) {
  ScratchDir dir;
  Env* env = Env::Default();
  const std::string path = dir.File("f");
  std::unique_ptr<File> writer = OpenOrDie(env, path, true, LockMode::kExclusive);
  OpenFileOptions options;
  options.lock = LockMode::kShared;
  EXPECT_TRUE(absl::IsUnavailable(env->OpenFile(path, options).status()));
  options.lock = LockMode::kExclusive;
  options.writable = true;
  EXPECT_TRUE(absl::IsUnavailable(env->OpenFile(path, options).status()));
  writer.reset();
  std::unique_ptr<File> r1 = OpenOrDie(env, path, false, LockMode::kShared);
  std::unique_ptr<File> r2 = OpenOrDie(env, path, false, LockMode::kShared);
  EXPECT_TRUE(absl::IsUnavailable(env->OpenFile(path, options).status()));
}

TEST(PosixEnvTest, RenameRemoveSyncDir) {
  ScratchDir dir;
  Env* env = Env::Default();
  OpenOrDie(env, dir.File("a"), true)->Write(0, "x").IgnoreError();
  ASSERT_TRUE(env->Rename(dir.File("a"), dir.File("b")).ok());
  EXPECT_FALSE(testing::FileExists(dir.File("a")));
  EXPECT_TRUE(testing::FileExists(dir.File("b")));
  EXPECT_TRUE(env->SyncDir(dir.path()).ok());
  EXPECT_TRUE(env->Remove(dir.File("b")).ok());
  EXPECT_FALSE(env->SyncDir(dir.File("nope")).ok());
}

TEST(FaultEnvTest, SpaceLimitShortWriteAndFailures) {
  ScratchDir dir;
  FaultEnv env;
  std::unique_ptr<File> f = OpenOrDie(&env, dir.File("f"), true);
  env.SetSpaceLimit(10);
  EXPECT_TRUE(f->Write(0, "12345678").ok());
  EXPECT_TRUE(absl::IsResourceExhausted(f->Write(8, "abcdef")));
  EXPECT_TRUE(f->Write(0, "overwrit").ok());  // overwriting takes no space
  EXPECT_TRUE(absl::IsResourceExhausted(f->Allocate(4096)));
  env.SetSpaceLimit(-1);

  env.FailNextWriteShort();
  EXPECT_TRUE(absl::IsResourceExhausted(f->Write(8, "abcdefgh")));
  EXPECT_EQ(*f->Size(), 12u);  // half of it landed
  EXPECT_TRUE(f->Write(8, "abcdefgh").ok());

  env.SetSyncFails(true);
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_FALSE(env.SyncDir(dir.path()).ok());
  env.SetSyncFails(false);
  EXPECT_TRUE(f->Sync().ok());

  env.SetRenameFails(true);
  EXPECT_FALSE(env.Rename(dir.File("f"), dir.File("g")).ok());
  EXPECT_TRUE(testing::FileExists(dir.File("f")));
}

TEST(FaultEnvTest, StepHookRunsBeforeTheNthStep) {
  ScratchDir dir;
  FaultEnv env;
  std::unique_ptr<File> f = OpenOrDie(&env, dir.File("f"), true);
  int64_t seen_at = -1;
  env.SetStepHook(2, [&] { seen_at = *f->Size(); });
  ASSERT_TRUE(f->Write(0, "a").ok());   // step 0
  ASSERT_TRUE(f->Write(1, "b").ok());   // step 1
  ASSERT_TRUE(f->Write(2, "c").ok());   // step 2: hook first, then the write
  EXPECT_EQ(seen_at, 2);
  EXPECT_EQ(env.steps(), 3);
  ASSERT_EQ(env.step_log().size(), 3u);
  EXPECT_NE(env.step_log()[2].find("write"), std::string::npos);
}

}  // namespace
}  // namespace dbm
}  // namespace memkit
