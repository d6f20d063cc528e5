// Opening damaged files: a file cut at every byte of its last records, bit
// flips in its tail, torn and zero tails, and the options that govern them.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dbm/db.h"
#include "dbm/testing/test_util.h"
#include "gtest/gtest.h"

namespace memkit {
namespace dbm {
namespace {

using testing::FileSize;
using testing::ReadFileBytes;
using testing::ScratchDir;
using testing::WriteFileBytes;

using Model = std::map<std::string, std::string>;

// A small database whose every record boundary and intermediate state is
// known: states[i] is the content once the first i records are in.
struct History {
  std::string bytes;                // the closed data file
  std::vector<uint64_t> ends;       // ends[i]: offset after record i (ends[0]: header)
  std::vector<Model> states;
};

History BuildHistory(const std::string& path) {
  History h;
  Options options;
  options.mode = OpenMode::kNew;
  std::unique_ptr<Db> db = *Db::Open(path, options);
  Model model;
  h.ends.push_back(db->GetStats().file_bytes);
  h.states.push_back(model);
  auto record = [&] {
    h.ends.push_back(db->GetStats().file_bytes);
    h.states.push_back(model);
  };
  for (int i = 0; i < 12; ++i) {
    const std::string key = absl::StrCat("key", i % 8);
    const std::string value = absl::StrCat("value-", i, std::string(i * 3, 'x'));
    EXPECT_TRUE(db->Put(key, value).ok());
    model[key] = value;
    record();
  }
  EXPECT_TRUE(db->Delete("key2").ok());
  model.erase("key2");
  record();
  WriteBatch batch;
  batch.Put("b1", "batched one");
  batch.Delete("key3");
  batch.Put("b2", "batched two");
  EXPECT_TRUE(db->Write(WriteOptions(), batch).ok());
  model["b1"] = "batched one";
  model.erase("key3");
  model["b2"] = "batched two";
  record();
  EXPECT_TRUE(db->Put("last", "the very last value").ok());
  model["last"] = "the very last value";
  record();
  EXPECT_TRUE(db->Close().ok());
  h.bytes = ReadFileBytes(path);
  EXPECT_EQ(h.bytes.size(), h.ends.back());
  return h;
}

void ExpectContent(Db& db, const Model& model, const std::string& context) {
  EXPECT_EQ(db.Size(), model.size()) << context;
  for (const auto& [key, value] : model) {
    absl::StatusOr<std::string> got = db.Get(key);
    EXPECT_TRUE(got.ok()) << context << " key " << key << ": " << got.status();
    if (got.ok()) {
      EXPECT_EQ(*got, value) << context << " key " << key;
    }
  }
}

// Open reports as dropped the bytes from the valid end up to the last
// non-zero byte (zeros after it are preallocation, not data).
uint64_t NonZeroSpan(const std::string& bytes, uint64_t from, uint64_t to) {
  while (to > from && bytes[to - 1] == '\0') --to;
  return to - from;
}

// The number of complete records in the first `size` bytes.
size_t RecordsWithin(const History& h, uint64_t size) {
  size_t n = 0;
  while (n + 1 < h.ends.size() && h.ends[n + 1] <= size) ++n;
  return n;
}

class RecoveryTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  const std::string path_ = dir_.File("r.dbm");
};

// The long form (MEMKIT_LONG=1, tools/test.sh --long) cuts at every byte
// after the header instead of only in the last three records.
TEST_F(RecoveryTest, FileCutAtEveryByteOfTheLastRecords) {
  const History h = BuildHistory(path_);
  const std::string hint = ReadFileBytes(path_ + ".hint");
  const uint64_t from = testing::LongMode() ? h.ends[0] : h.ends[h.ends.size() - 4];
  for (uint64_t cut = from; cut <= h.bytes.size(); ++cut) {
    for (bool with_hint : {false, true}) {
      const std::string context = absl::StrCat("cut at ", cut, with_hint ? " with hint" : "");
      ASSERT_TRUE(Db::Destroy(path_).ok());
      WriteFileBytes(path_, h.bytes.substr(0, cut));
      if (with_hint) WriteFileBytes(path_ + ".hint", hint);
      absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(path_, Options());
      ASSERT_TRUE(db.ok()) << context << ": " << db.status();
      const size_t n = RecordsWithin(h, cut);
      const RecoveryReport& report = (*db)->recovery();
      EXPECT_EQ(report.valid_end, h.ends[n]) << context;
      EXPECT_EQ(report.dropped_bytes, NonZeroSpan(h.bytes, h.ends[n], cut)) << context;
      // The header said the file held everything: a cut loses acknowledged data.
      EXPECT_EQ(report.lost_committed_bytes, h.bytes.size() - h.ends[n]) << context;
      EXPECT_EQ(report.used_hint, cut == h.bytes.size() && with_hint) << context;
      ExpectContent(**db, h.states[n], context);
      // The torn tail is gone before anything new is appended.
      ASSERT_TRUE((*db)->Put("new", "after recovery").ok()) << context;
      ASSERT_TRUE((*db)->Close().ok());
      EXPECT_EQ(FileSize(path_), static_cast<int64_t>(h.ends[n] + 12 + 3 + 14)) << context;
      db = Db::Open(path_, Options());
      ASSERT_TRUE(db.ok()) << context;
      EXPECT_TRUE((*db)->recovery().clean()) << context << ": " << (*db)->recovery().ToString();
      Model expected = h.states[n];
      expected["new"] = "after recovery";
      ExpectContent(**db, expected, context + " after append");
      EXPECT_TRUE((*db)->Verify().ok()) << context;
    }
  }
}

TEST_F(RecoveryTest, BitFlipsInTheTail) {
  const History h = BuildHistory(path_);
  const uint64_t from = h.ends[h.ends.size() - 3];
  for (uint64_t byte = from; byte < h.bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      const std::string context = absl::StrCat("flip byte ", byte, " bit ", bit);
      std::string bad = h.bytes;
      bad[byte] ^= static_cast<char>(1 << bit);
      ASSERT_TRUE(Db::Destroy(path_).ok());
      WriteFileBytes(path_, bad);
      absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(path_, Options());
      ASSERT_TRUE(db.ok()) << context << ": " << db.status();
      // The damaged record and everything after it are dropped, nothing before.
      const size_t n = RecordsWithin(h, byte);
      const RecoveryReport& report = (*db)->recovery();
      EXPECT_EQ(report.valid_end, h.ends[n]) << context;
      EXPECT_EQ(report.dropped_bytes, NonZeroSpan(bad, h.ends[n], bad.size())) << context;
      EXPECT_GT(report.lost_committed_bytes, 0u) << context;
      EXPECT_NE(report.problem, "") << context;
      ExpectContent(**db, h.states[n], context);
      EXPECT_TRUE((*db)->Verify().ok()) << context;
    }
  }
}

TEST_F(RecoveryTest, FlipUnderTheHintIsFoundByVerify) {
  const History h = BuildHistory(path_);
  // Damage the second-to-last record: the hint covers it and its last-record
  // check still passes, so open trusts it; Verify() reads everything.
  std::string bad = h.bytes;
  bad[h.ends[h.ends.size() - 2] - 1] ^= 0x20;
  WriteFileBytes(path_, bad);
  Options options;
  options.mode = OpenMode::kReadOnly;
  std::unique_ptr<Db> db = *Db::Open(path_, options);
  EXPECT_TRUE(db->recovery().used_hint);
  const absl::Status s = db->Verify();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
}

TEST_F(RecoveryTest, TornTailFromACrashLosesNothingAcknowledged) {
  const History h = BuildHistory(path_);
  // What a kill during the next append leaves: part of a record after the
  // committed end, and the preallocated zeros after that.
  std::string torn = h.bytes;
  torn += std::string("\x11\x22\x33\x44\x01\x05\x00\x00\x10\x00\x00\x00keyXY", 17);
  torn += std::string(8192, '\0');
  WriteFileBytes(path_, torn);
  std::unique_ptr<Db> db = *Db::Open(path_, Options());
  const RecoveryReport& report = db->recovery();
  EXPECT_EQ(report.valid_end, h.bytes.size());
  EXPECT_EQ(report.dropped_bytes, 17u);
  EXPECT_EQ(report.lost_committed_bytes, 0u);
  EXPECT_FALSE(report.clean());
  ExpectContent(*db, h.states.back(), "torn tail");
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(FileSize(path_), static_cast<int64_t>(h.bytes.size()));
}

TEST_F(RecoveryTest, ZeroTailIsJustPreallocation) {
  const History h = BuildHistory(path_);
  WriteFileBytes(path_, h.bytes + std::string(1 << 20, '\0'));
  std::unique_ptr<Db> db = *Db::Open(path_, Options());
  EXPECT_TRUE(db->recovery().clean()) << db->recovery().ToString();
  EXPECT_EQ(db->recovery().valid_end, h.bytes.size());
  ExpectContent(*db, h.states.back(), "zero tail");
}

TEST_F(RecoveryTest, StrictOpenRefusesACorruptTailAndLeavesTheFile) {
  const History h = BuildHistory(path_);
  std::string bad = h.bytes;
  bad[bad.size() - 2] ^= 1;
  WriteFileBytes(path_, bad);
  Options strict;
  strict.truncate_corrupt_tail = false;
  const absl::Status s = Db::Open(path_, strict).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_EQ(ReadFileBytes(path_), bad);
}

TEST_F(RecoveryTest, ReadOnlyOpenIgnoresButKeepsADamagedTail) {
  const History h = BuildHistory(path_);
  const std::string cut = h.bytes.substr(0, h.bytes.size() - 5);
  WriteFileBytes(path_, cut);
  Options options;
  options.mode = OpenMode::kReadOnly;
  std::unique_ptr<Db> db = *Db::Open(path_, options);
  EXPECT_GT(db->recovery().dropped_bytes, 0u);
  ExpectContent(*db, h.states[h.states.size() - 2], "read-only");
  EXPECT_TRUE(db->Verify().ok());
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(ReadFileBytes(path_), cut);
}

}  // namespace
}  // namespace dbm
}  // namespace memkit
