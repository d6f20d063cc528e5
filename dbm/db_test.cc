// Db's API: modes, reads and writes, batches, iteration, compaction, locking,
// header errors, sync policies and concurrent use.

#include "dbm/db.h"

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/net/clock.h"
#include "dbm/testing/test_util.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"

namespace memkit {
namespace dbm {
namespace {

using testing::FileExists;
using testing::FileSize;
using testing::ReadFileBytes;
using testing::ScratchDir;
using testing::WriteFileBytes;

class DbTest : public ::testing::Test {
 protected:
  std::unique_ptr<Db> OpenDb(Options options = Options()) {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(path_, options);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }
  static Options Mode(OpenMode mode) {
    Options options;
    options.mode = mode;
    return options;
  }

  ScratchDir dir_;
  const std::string path_ = dir_.File("test.dbm");
};

TEST_F(DbTest, PutGetOverwriteDelete) {
  std::unique_ptr<Db> db = OpenDb();
  EXPECT_TRUE(absl::IsNotFound(db->Get("a").status()));
  ASSERT_TRUE(db->Put("a", "1").ok());
  ASSERT_TRUE(db->Put("b", "2").ok());
  EXPECT_EQ(*db->Get("a"), "1");
  ASSERT_TRUE(db->Put("a", "one").ok());
  EXPECT_EQ(*db->Get("a"), "one");
  EXPECT_EQ(db->Size(), 2u);
  EXPECT_TRUE(db->Contains("b"));
  ASSERT_TRUE(db->Delete("b").ok());
  EXPECT_FALSE(db->Contains("b"));
  EXPECT_TRUE(absl::IsNotFound(db->Get("b").status()));
  EXPECT_EQ(db->Size(), 1u);
}

TEST_F(DbTest, DeletingAMissingKeyIsNotFoundAndWritesNothing) {
  std::unique_ptr<Db> db = OpenDb();
  ASSERT_TRUE(db->Put("k", "v").ok());
  const uint64_t end = db->GetStats().file_bytes;
  EXPECT_TRUE(absl::IsNotFound(db->Delete("missing")));
  ASSERT_TRUE(db->Delete("k").ok());
  const uint64_t after_delete = db->GetStats().file_bytes;
  EXPECT_GT(after_delete, end);
  EXPECT_TRUE(absl::IsNotFound(db->Delete("k")));  // already gone
  EXPECT_EQ(db->GetStats().file_bytes, after_delete);
  ASSERT_TRUE(db->Close().ok());
  // semidbm corrupted its file here; the file must reopen cleanly.
  std::unique_ptr<Db> again = OpenDb();
  EXPECT_TRUE(again->recovery().clean()) << again->recovery().ToString();
  EXPECT_EQ(again->Size(), 0u);
  EXPECT_TRUE(again->Verify().ok());
}

TEST_F(DbTest, BinaryEmptyAndLargeKeysAndValues) {
  std::unique_ptr<Db> db = OpenDb();
  const std::string binary_key("a\0b\xff", 4);
  const std::string big(3 << 20, 'x');
  ASSERT_TRUE(db->Put(binary_key, std::string("\0\0", 2)).ok());
  ASSERT_TRUE(db->Put("", "empty key").ok());
  ASSERT_TRUE(db->Put("empty value", "").ok());
  ASSERT_TRUE(db->Put("big", big).ok());
  EXPECT_EQ(*db->Get(binary_key), std::string("\0\0", 2));
  EXPECT_FALSE(db->Contains(std::string("a\0b", 3)));
  EXPECT_EQ(*db->Get(""), "empty key");
  EXPECT_EQ(*db->Get("empty value"), "");
  EXPECT_EQ(*db->Get("big"), big);
  ASSERT_TRUE(db->Close().ok());
  std::unique_ptr<Db> again = OpenDb();
  EXPECT_EQ(*again->Get("big"), big);
  EXPECT_EQ(*again->Get(binary_key), std::string("\0\0", 2));
}

TEST_F(DbTest, OversizedKeyIsInvalidArgument) {
  std::unique_ptr<Db> db = OpenDb();
  const std::string huge_key(1 << 24, 'k');
  EXPECT_TRUE(absl::IsInvalidArgument(db->Put(huge_key, "v")));
  EXPECT_TRUE(absl::IsInvalidArgument(db->Delete(huge_key)));
  WriteBatch batch;
  batch.Put("fine", "v");
  batch.Put(huge_key, "v");
  EXPECT_TRUE(absl::IsInvalidArgument(batch.status()));
  EXPECT_TRUE(absl::IsInvalidArgument(db->Write(WriteOptions(), batch)));
  EXPECT_FALSE(db->Contains("fine"));  // all or nothing
}

TEST_F(DbTest, OpenModes) {
  EXPECT_TRUE(absl::IsNotFound(Db::Open(path_, Mode(OpenMode::kReadWrite)).status()));
  EXPECT_TRUE(absl::IsNotFound(Db::Open(path_, Mode(OpenMode::kReadOnly)).status()));
  {
    std::unique_ptr<Db> db = OpenDb(Mode(OpenMode::kCreate));
    ASSERT_TRUE(db->Put("k", "v").ok());
  }
  {
    std::unique_ptr<Db> db = OpenDb(Mode(OpenMode::kReadWrite));
    EXPECT_EQ(*db->Get("k"), "v");
  }
  {
    std::unique_ptr<Db> db = OpenDb(Mode(OpenMode::kReadOnly));
    EXPECT_EQ(*db->Get("k"), "v");
    EXPECT_TRUE(absl::IsFailedPrecondition(db->Put("x", "y")));
    EXPECT_TRUE(absl::IsFailedPrecondition(db->Delete("k")));
    EXPECT_TRUE(absl::IsFailedPrecondition(db->Compact()));
    EXPECT_TRUE(db->Sync().ok());
    EXPECT_TRUE(db->Verify().ok());
    ASSERT_TRUE(db->Close().ok());
  }
  {
    std::unique_ptr<Db> db = OpenDb(Mode(OpenMode::kNew));
    EXPECT_EQ(db->Size(), 0u);
    ASSERT_TRUE(db->Put("fresh", "1").ok());
  }
  std::unique_ptr<Db> db = OpenDb(Mode(OpenMode::kReadWrite));
  EXPECT_FALSE(db->Contains("k"));
  EXPECT_TRUE(db->Contains("fresh"));
}

TEST_F(DbTest, InvalidOptions) {
  Options options;
  options.compact_garbage_ratio = 1.5;
  EXPECT_TRUE(absl::IsInvalidArgument(Db::Open(path_, options).status()));
  options = Options();
  options.sync = SyncPolicy::kInterval;
  options.sync_interval = absl::ZeroDuration();
  EXPECT_TRUE(absl::IsInvalidArgument(Db::Open(path_, options).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Db::Open("", Options()).status()));
}

TEST_F(DbTest, ReopenUsesHintAndReplaysOnlyNewerRecords) {
  {
    std::unique_ptr<Db> db = OpenDb();
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(db->Put(absl::StrCat("k", i), "v").ok());
    ASSERT_TRUE(db->Delete("k7").ok());
  }
  EXPECT_TRUE(FileExists(path_ + ".hint"));
  {
    std::unique_ptr<Db> db = OpenDb();
    EXPECT_TRUE(db->recovery().used_hint);
    EXPECT_EQ(db->recovery().scanned_records, 0u);
    EXPECT_EQ(db->Size(), 999u);
    ASSERT_TRUE(db->Put("after", "hint").ok());
    // Keep the old hint: copy the files as a kill -9 would leave them.
    WriteFileBytes(dir_.File("copy.dbm"), ReadFileBytes(path_));
    WriteFileBytes(dir_.File("copy.dbm.hint"), ReadFileBytes(path_ + ".hint"));
  }
  absl::StatusOr<std::unique_ptr<Db>> copy = Db::Open(dir_.File("copy.dbm"), Options());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_TRUE((*copy)->recovery().used_hint);
  EXPECT_EQ((*copy)->recovery().scanned_records, 1u);
  EXPECT_EQ(*(*copy)->Get("after"), "hint");
  EXPECT_EQ((*copy)->Size(), 1000u);
  EXPECT_TRUE((*copy)->Verify().ok());

  Options no_hint;
  no_hint.use_hint = false;
  std::unique_ptr<Db> db = OpenDb(no_hint);
  EXPECT_FALSE(db->recovery().used_hint);
  EXPECT_EQ(db->recovery().scanned_records, 1002u);
  EXPECT_EQ(db->Size(), 1000u);
}

TEST_F(DbTest, BackgroundHintsKeepOpenAfterACrashShort) {
  Options options;
  options.hint_every_bytes = 64 << 10;
  std::unique_ptr<Db> db = OpenDb(options);
  const std::string value(1000, 'h');
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(db->Put(absl::StrCat("k", i), value).ok());
  // 200 KB written: a background hint must be written without any Close.
  test_support::Eventually([&] { return db->GetStats().hints_written > 0; }, absl::Seconds(30));
  ASSERT_GE(db->GetStats().hints_written, 1u);
  ASSERT_TRUE(FileExists(path_ + ".hint"));
  // Copy the files as a kill -9 would leave them, and open the copy.
  WriteFileBytes(dir_.File("copy.dbm"), ReadFileBytes(path_));
  WriteFileBytes(dir_.File("copy.dbm.hint"), ReadFileBytes(path_ + ".hint"));
  absl::StatusOr<std::unique_ptr<Db>> copy = Db::Open(dir_.File("copy.dbm"), Options());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_TRUE((*copy)->recovery().used_hint) << (*copy)->recovery().ToString();
  EXPECT_LT((*copy)->recovery().scanned_records, 200u);
  EXPECT_EQ((*copy)->Size(), 200u);
  EXPECT_TRUE((*copy)->Verify().ok());
}

TEST_F(DbTest, HintOfAnotherFileIsIgnored) {
  { OpenDb()->Put("a", "1").IgnoreError(); }
  const std::string hint = ReadFileBytes(path_ + ".hint");
  ASSERT_FALSE(hint.empty());
  { ASSERT_TRUE(OpenDb(Mode(OpenMode::kNew))->Put("b", "2").ok()); }
  WriteFileBytes(path_ + ".hint", hint);  // stale: names the old file
  std::unique_ptr<Db> db = OpenDb();
  EXPECT_FALSE(db->recovery().used_hint);
  EXPECT_NE(db->recovery().hint_problem, "");
  EXPECT_FALSE(db->Contains("a"));
  EXPECT_EQ(*db->Get("b"), "2");
  ASSERT_TRUE(db->Close().ok());
  std::string damaged = ReadFileBytes(path_ + ".hint");
  damaged[damaged.size() - 3] ^= 0x40;
  WriteFileBytes(path_ + ".hint", damaged);
  db = OpenDb();
  EXPECT_FALSE(db->recovery().used_hint);
  EXPECT_EQ(*db->Get("b"), "2");
}

TEST_F(DbTest, WriteBatchIsAtomicAndOrdered) {
  std::unique_ptr<Db> db = OpenDb();
  ASSERT_TRUE(db->Put("old", "x").ok());
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");
  batch.Delete("a");
  batch.Delete("never-there");  // harmless in a batch
  batch.Delete("old");
  batch.Put("c", "3");
  batch.Put("c", "33");
  EXPECT_EQ(batch.Count(), 7u);
  ASSERT_TRUE(db->Write(WriteOptions(), batch).ok());
  EXPECT_FALSE(db->Contains("a"));
  EXPECT_FALSE(db->Contains("old"));
  EXPECT_EQ(*db->Get("b"), "2");
  EXPECT_EQ(*db->Get("c"), "33");
  EXPECT_EQ(db->Size(), 2u);
  EXPECT_TRUE(db->Write(WriteOptions(), WriteBatch()).ok());
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  ASSERT_TRUE(db->Close().ok());
  Options no_hint;
  no_hint.use_hint = false;
  db = OpenDb(no_hint);
  EXPECT_EQ(*db->Get("c"), "33");
  EXPECT_EQ(db->Size(), 2u);
  EXPECT_TRUE(db->Verify().ok());
}

TEST_F(DbTest, IteratorIsASnapshot) {
  std::unique_ptr<Db> db = OpenDb();
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 200; ++i) {
    expected[absl::StrCat("key", i)] = absl::StrCat("value", i);
    ASSERT_TRUE(db->Put(absl::StrCat("key", i), absl::StrCat("value", i)).ok());
  }
  std::unique_ptr<Iterator> it = db->NewIterator();
  // Changes after the snapshot, including a compaction that replaces the
  // file and growth that remaps it, must not show through.
  ASSERT_TRUE(db->Delete("key3").ok());
  ASSERT_TRUE(db->Put("key4", "changed").ok());
  ASSERT_TRUE(db->Put("new", "x").ok());
  ASSERT_TRUE(db->Compact().ok());
  ASSERT_TRUE(db->Put("big", std::string(20 << 20, 'b')).ok());
  std::map<std::string, std::string> seen;
  for (; it->Valid(); it->Next()) seen[std::string(it->key())] = std::string(it->value());
  EXPECT_EQ(seen, expected);

  std::vector<std::string> keys = db->Keys();
  EXPECT_EQ(keys.size(), 201u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).count("key3"), 0u);
  ASSERT_TRUE(db->Close().ok());
  EXPECT_FALSE(db->NewIterator()->Valid());
}

TEST_F(DbTest, CompactKeepsLiveDataAndShrinksTheFile) {
  std::unique_ptr<Db> db = OpenDb();
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(db->Put(absl::StrCat("k", i), absl::StrCat("round", round, "-", i)).ok());
    }
  }
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Delete(absl::StrCat("k", i)).ok());
  WriteBatch batch;
  batch.Put("batched", "yes");
  ASSERT_TRUE(db->Write(WriteOptions(), batch).ok());
  const DbStats before = db->GetStats();
  EXPECT_GT(before.garbage_bytes, before.live_bytes);
  ASSERT_TRUE(db->Compact().ok());
  const DbStats after = db->GetStats();
  EXPECT_EQ(after.compactions, 1u);
  EXPECT_EQ(after.garbage_bytes, 0u);
  EXPECT_EQ(after.live_keys, 401u);
  EXPECT_LT(after.file_bytes, before.file_bytes / 3);
  EXPECT_FALSE(FileExists(path_ + ".compact"));
  EXPECT_TRUE(db->Verify().ok());
  EXPECT_EQ(*db->Get("k450"), "round4-450");
  EXPECT_EQ(*db->Get("batched"), "yes");
  EXPECT_FALSE(db->Contains("k50"));
  ASSERT_TRUE(db->Put("after", "compaction").ok());
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(FileSize(path_), static_cast<int64_t>(after.file_bytes + 12 + 5 + 10));

  db = OpenDb();
  EXPECT_TRUE(db->recovery().used_hint);
  EXPECT_EQ(db->Size(), 402u);
  EXPECT_EQ(*db->Get("after"), "compaction");
  EXPECT_TRUE(db->Verify().ok());
}

// Polls (a background compaction finishes on its own time) with a deadline.
bool WaitForCompactions(Db& db, uint64_t n) {
  return test_support::Eventually([&] { return db.GetStats().compactions >= n; },
                                  absl::Seconds(30));
}

TEST_F(DbTest, AutoCompactionFollowsTheThresholds) {
  Options options;
  options.compact_min_garbage_bytes = 64 << 10;
  options.compact_garbage_ratio = 0.5;
  std::unique_ptr<Db> db = OpenDb(options);
  const std::string value(1000, 'v');
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db->Put(absl::StrCat("k", i), value).ok());
  // 50 KB of live data and no garbage: below both thresholds. A write that
  // crosses them starts the compaction before it returns, so none started.
  EXPECT_EQ(db->GetStats().auto_compactions_started, 0u);
  EXPECT_EQ(db->GetStats().compactions, 0u);
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(db->Put(absl::StrCat("k", i), value).ok());
  }
  // Writes go on while it runs in the background.
  EXPECT_GE(db->GetStats().auto_compactions_started, 1u);
  ASSERT_TRUE(WaitForCompactions(*db, 1));
  EXPECT_EQ(db->Size(), 50u);
  EXPECT_TRUE(db->Verify().ok());
  ASSERT_TRUE(db->Close().ok());  // waits for a compaction in progress
  // 250 KB were written; compaction left much less.
  EXPECT_LT(FileSize(path_), 200 << 10);

  options.auto_compact = false;
  db = OpenDb(options);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(db->Put(absl::StrCat("k", i), value).ok());
  }
  EXPECT_EQ(db->GetStats().auto_compactions_started, 0u);
  EXPECT_EQ(db->GetStats().compactions, 0u);
}

TEST_F(DbTest, CompactionCatchesUpWithConcurrentWrites) {
  std::unique_ptr<Db> db = OpenDb();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = absl::StrCat("k", i % 500);
    model[key] = absl::StrCat(i, std::string(i % 100, 'w'));
    ASSERT_TRUE(db->Put(key, model[key]).ok());
  }
  // Writers (puts, deletes, batches) race with explicit compactions.
  std::atomic<bool> stop{false};
  std::thread compactor([&] {
    while (!stop.load()) ASSERT_TRUE(db->Compact().ok());
  });
  std::mt19937 rng(5);
  for (int i = 0; i < 5000; ++i) {
    const std::string key = absl::StrCat("k", rng() % 600);
    if (i % 7 == 0) {
      if (db->Delete(key).ok()) model.erase(key);
    } else if (i % 11 == 0) {
      const std::string other = absl::StrCat("k", rng() % 600);
      WriteBatch batch;
      batch.Put(key, "batched");
      batch.Delete(other);
      model[key] = "batched";
      model.erase(other);
      ASSERT_TRUE(db->Write(WriteOptions(), batch).ok());
    } else {
      model[key] = absl::StrCat("v", i);
      ASSERT_TRUE(db->Put(key, model[key]).ok());
    }
  }
  stop = true;
  compactor.join();
  EXPECT_GT(db->GetStats().compactions, 0u);
  EXPECT_TRUE(db->Verify().ok());
  auto content = [&] {
    std::map<std::string, std::string> all;
    for (std::unique_ptr<Iterator> it = db->NewIterator(); it->Valid(); it->Next()) {
      all[std::string(it->key())] = std::string(it->value());
    }
    return all;
  };
  EXPECT_TRUE(content() == model);
  ASSERT_TRUE(db->Close().ok());
  db = OpenDb();
  EXPECT_TRUE(db->recovery().used_hint);
  EXPECT_TRUE(db->Verify().ok());
  EXPECT_TRUE(content() == model);
}

TEST_F(DbTest, VerifyAndChecksummedReadsCatchDamage) {
  {
    std::unique_ptr<Db> db = OpenDb();
    ASSERT_TRUE(db->Put("first", "aaaaaaaaaa").ok());
    ASSERT_TRUE(db->Put("second", "bbbbbbbbbb").ok());
    EXPECT_TRUE(db->Verify().ok());
  }
  // Damage a value covered by the hint: open trusts the hint, reads do not
  // check by default, Verify() and verify_checksum do.
  std::string bytes = ReadFileBytes(path_);
  const size_t at = bytes.find("aaaaaaaaaa");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] = 'Z';
  WriteFileBytes(path_, bytes);
  std::unique_ptr<Db> db = OpenDb(Mode(OpenMode::kReadOnly));
  EXPECT_TRUE(db->recovery().used_hint);
  EXPECT_EQ(*db->Get("first"), "aaaZaaaaaa");
  std::string value;
  ReadOptions checked;
  checked.verify_checksum = true;
  EXPECT_TRUE(absl::IsDataLoss(db->Get(checked, "first", &value)));
  EXPECT_TRUE(db->Get(checked, "second", &value).ok());
  const absl::Status s = db->Verify();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("checksum"), absl::string_view::npos) << s;
}

TEST_F(DbTest, CorruptOrForeignHeaderIsRejected) {
  { ASSERT_TRUE(OpenDb()->Put("k", "v").ok()); }
  const std::string good = ReadFileBytes(path_);
  std::string bad = good;
  bad[0] = 'X';
  WriteFileBytes(path_, bad);
  absl::Status s = Db::Open(path_, Options()).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("magic"), absl::string_view::npos);

  bad = good;
  bad[17] ^= 1;  // file id, under the header crc
  WriteFileBytes(path_, bad);
  s = Db::Open(path_, Mode(OpenMode::kReadOnly)).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;

  WriteFileBytes(path_, good.substr(0, 30));
  EXPECT_TRUE(absl::IsDataLoss(Db::Open(path_, Mode(OpenMode::kReadWrite)).status()));

  WriteFileBytes(path_, "");
  EXPECT_TRUE(absl::IsDataLoss(Db::Open(path_, Mode(OpenMode::kReadWrite)).status()));
  // kCreate treats an empty file (a crash during creation) as new.
  std::unique_ptr<Db> db = OpenDb(Mode(OpenMode::kCreate));
  EXPECT_EQ(db->Size(), 0u);
}

TEST_F(DbTest, OnlyOneWriterAndNoReadersWhileWriting) {
  std::unique_ptr<Db> writer = OpenDb();
  EXPECT_TRUE(absl::IsUnavailable(Db::Open(path_, Options()).status()));
  EXPECT_TRUE(absl::IsUnavailable(Db::Open(path_, Mode(OpenMode::kReadOnly)).status()));
  ASSERT_TRUE(writer->Compact().ok());  // the lock moves to the new file
  EXPECT_TRUE(absl::IsUnavailable(Db::Open(path_, Options()).status()));
  ASSERT_TRUE(writer->Close().ok());
  std::unique_ptr<Db> r1 = OpenDb(Mode(OpenMode::kReadOnly));
  std::unique_ptr<Db> r2 = OpenDb(Mode(OpenMode::kReadOnly));
  EXPECT_TRUE(absl::IsUnavailable(Db::Open(path_, Options()).status()));
}

TEST_F(DbTest, ClosedDbRefusesWork) {
  std::unique_ptr<Db> db = OpenDb();
  ASSERT_TRUE(db->Put("k", "v").ok());
  ASSERT_TRUE(db->Close().ok());
  EXPECT_TRUE(db->Close().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(db->Get("k").status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->Put("k", "v")));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->Delete("k")));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->Compact()));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->Verify()));
  EXPECT_FALSE(db->Contains("k"));
  EXPECT_EQ(db->Size(), 0u);
}

TEST_F(DbTest, SyncPolicies) {
  Options every;
  every.sync = SyncPolicy::kEveryWrite;
  {
    std::unique_ptr<Db> db = OpenDb(every);
    const uint64_t base = db->GetStats().syncs;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(db->Put(absl::StrCat(i), "v").ok());
    EXPECT_EQ(db->GetStats().syncs, base + 5);
  }
  {
    std::unique_ptr<Db> db = OpenDb();  // kNone
    const uint64_t base = db->GetStats().syncs;
    ASSERT_TRUE(db->Put("a", "v").ok());
    EXPECT_EQ(db->GetStats().syncs, base);
    WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Put(sync, "b", "v").ok());
    EXPECT_EQ(db->GetStats().syncs, base + 1);
    ASSERT_TRUE(db->Sync().ok());
    EXPECT_EQ(db->GetStats().syncs, base + 2);
  }
  // The interval syncer keeps time by the Options' clock, moved by hand.
  net::ManualClock clock;
  Options interval;
  interval.sync = SyncPolicy::kInterval;
  interval.sync_interval = absl::Seconds(10);
  interval.clock = &clock;
  std::unique_ptr<Db> db = OpenDb(interval);
  const uint64_t base = db->GetStats().syncs;
  ASSERT_TRUE(db->Put("c", "v").ok());
  // Polls, with a real-time deadline, until `stat` of the stats passes `floor`.
  auto wait_for = [&](uint64_t DbStats::*stat, uint64_t floor) {
    return test_support::Eventually([&] { return db->GetStats().*stat > floor; },
                                    absl::Seconds(10));
  };
  // Before the interval has passed on the clock, no round ran.
  clock.Advance(absl::Seconds(9));
  EXPECT_EQ(db->GetStats().sync_checks, 0u);
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(wait_for(&DbStats::syncs, base));
  ASSERT_TRUE(wait_for(&DbStats::sync_checks, 0));
  // Nothing dirty: the next round runs and syncs nothing.
  const uint64_t settled = db->GetStats().syncs;
  const uint64_t rounds = db->GetStats().sync_checks;
  clock.Advance(absl::Seconds(10));
  ASSERT_TRUE(wait_for(&DbStats::sync_checks, rounds));
  EXPECT_EQ(db->GetStats().syncs, settled);
}

TEST_F(DbTest, ConcurrentReadersWithAWriterAndCompactions) {
  Options options;
  options.compact_min_garbage_bytes = 32 << 10;
  std::unique_ptr<Db> db = OpenDb(options);
  constexpr int kKeys = 300;
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(db->Put(absl::StrCat("k", i), absl::StrCat("k", i, ":0")).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::string value;
      while (!stop.load()) {
        const std::string key = absl::StrCat("k", rng() % kKeys);
        absl::Status s = db->Get(key, &value);
        // Every value starts with its key; a key may be briefly deleted.
        if (s.ok() ? value.rfind(key + ":", 0) != 0 : !absl::IsNotFound(s)) ++bad;
        if (rng() % 100 == 0) {
          for (std::unique_ptr<Iterator> it = db->NewIterator(); it->Valid(); it->Next()) {
            if (it->value().rfind(std::string(it->key()) + ":", 0) != 0) ++bad;
          }
        }
      }
    });
  }
  std::mt19937 rng(99);
  for (int n = 1; n < 3000; ++n) {
    const std::string key = absl::StrCat("k", rng() % kKeys);
    if (n % 10 == 0) {
      db->Delete(key).IgnoreError();
    } else {
      ASSERT_TRUE(db->Put(key, absl::StrCat(key, ":", n, std::string(rng() % 200, 'p'))).ok());
    }
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(WaitForCompactions(*db, 1));
  EXPECT_TRUE(db->Verify().ok());
}

TEST_F(DbTest, DestroyRemovesEverything) {
  { ASSERT_TRUE(OpenDb()->Put("k", "v").ok()); }
  ASSERT_TRUE(FileExists(path_));
  ASSERT_TRUE(FileExists(path_ + ".hint"));
  ASSERT_TRUE(Db::Destroy(path_).ok());
  EXPECT_FALSE(FileExists(path_));
  EXPECT_FALSE(FileExists(path_ + ".hint"));
  EXPECT_TRUE(Db::Destroy(path_).ok());
}

}  // namespace
}  // namespace dbm
}  // namespace memkit
