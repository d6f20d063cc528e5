#include "dbm/internal/format.h"

#include <random>
#include <set>
#include <string>
#include <vector>

#include "dbm/internal/crc32c.h"
#include "dbm/internal/hash.h"
#include "gtest/gtest.h"

namespace memkit {
namespace dbm {
namespace internal {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 (iSCSI) test vectors and the classic check value.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, HardwareMatchesPortableAndExtends) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 300; ++n) {
    std::string data(n, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const uint32_t whole = Crc32cExtend(0, data.data(), n);
    EXPECT_EQ(whole, Crc32cExtendPortable(0, data.data(), n)) << n;
    const size_t cut = n / 3;
    EXPECT_EQ(whole, Crc32cExtend(Crc32cExtend(0, data.data(), cut), data.data() + cut, n - cut));
  }
}

TEST(HashTest, StableSeededAndSpread) {
  // Stable: the hint file stores these hashes.
  EXPECT_EQ(HashKey(1, "key"), HashKey(1, "key"));
  EXPECT_NE(HashKey(1, "key"), HashKey(2, "key"));
  EXPECT_NE(HashKey(1, ""), HashKey(1, std::string(1, '\0')));
  EXPECT_NE(HashKey(1, std::string(8, '\0')), HashKey(1, std::string(9, '\0')));
  std::set<uint64_t> hashes;
  std::set<uint64_t> low_bits;
  char buf[32];
  for (int i = 0; i < 100000; ++i) {
    snprintf(buf, sizeof(buf), "%016d", i);
    const uint64_t h = HashKey(42, buf);
    hashes.insert(h);
    low_bits.insert(h & 0xffff);
  }
  EXPECT_EQ(hashes.size(), 100000u);
  // Sequential keys must fill the low bits (the index's buckets) evenly.
  EXPECT_GT(low_bits.size(), 50000u);
  for (size_t n : {15, 16, 17, 31, 32, 33, 100}) {
    const std::string a(n, 'x');
    std::string b = a;
    b[n - 1] = 'y';
    EXPECT_NE(HashKey(9, a), HashKey(9, b)) << n;
  }
}

TEST(FileHeaderTest, RoundTripAndErrors) {
  FileHeader h;
  h.file_id = 0x1122334455667788ULL;
  h.hash_seed = 99;
  h.committed_end = 1234;
  char buf[kHeaderSize];
  EncodeFileHeader(h, buf);
  FileHeader out;
  ASSERT_TRUE(DecodeFileHeader(buf, sizeof(buf), &out).ok());
  EXPECT_EQ(out.file_id, h.file_id);
  EXPECT_EQ(out.hash_seed, 99u);
  EXPECT_EQ(out.committed_end, 1234u);

  // committed_end is outside the checksum: it changes on every write.
  Store64(buf + kCommittedEndOffset, 5);
  EXPECT_TRUE(DecodeFileHeader(buf, sizeof(buf), &out).ok());

  EXPECT_TRUE(absl::IsDataLoss(DecodeFileHeader(buf, 10, &out)));
  char bad[kHeaderSize];
  std::memcpy(bad, buf, sizeof(bad));
  bad[1] = 'X';
  EXPECT_TRUE(absl::IsDataLoss(DecodeFileHeader(bad, sizeof(bad), &out)));
  std::memcpy(bad, buf, sizeof(bad));
  bad[20] ^= 1;  // file_id, covered by the crc
  EXPECT_TRUE(absl::IsDataLoss(DecodeFileHeader(bad, sizeof(bad), &out)));

  FileHeader future = h;
  future.version = 2;
  EncodeFileHeader(future, bad);
  const absl::Status s = DecodeFileHeader(bad, sizeof(bad), &out);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("version 2"), absl::string_view::npos);
}

std::string Record(RecordType type, absl::string_view key, absl::string_view value) {
  std::string out(RecordSize(key.size(), value.size()), '\0');
  EncodeRecord(type, key, value, &out[0]);
  return out;
}

std::string Batch(const std::vector<std::string>& members) {
  std::string payload;
  for (const std::string& m : members) payload += m;
  std::string out(kRecordHeaderSize, '\0');
  out += payload;
  EncodeBatchHeader(members.size(), payload.size(), &out[0]);
  return out;
}

std::string Log(const std::vector<std::string>& records) {
  std::string log(kHeaderSize, '\0');
  for (const std::string& r : records) log += r;
  return log;
}

std::vector<std::string> Replay(const std::string& log, ScanResult* result, uint64_t limit = 0) {
  std::vector<std::string> seen;
  *result = ScanLog(log.data(), kHeaderSize, limit ? limit : log.size(), [&](const ScanItem& i) {
    seen.push_back((i.type == RecordType::kPut ? "+" : "-") + std::string(i.key));
  });
  return seen;
}

TEST(RecordTest, PeekAndCrc) {
  const std::string rec = Record(RecordType::kPut, "key", "value");
  EXPECT_EQ(rec.size(), 12u + 3 + 5);
  Entry e;
  ASSERT_TRUE(PeekEntry(rec.data(), rec.size(), 0, &e));
  EXPECT_EQ(e.key, "key");
  EXPECT_EQ(e.value, "value");
  EXPECT_EQ(e.size, rec.size());
  EXPECT_TRUE(EntryCrcOk(rec.data(), 0, e));
  EXPECT_TRUE(RecordKeyEquals(rec.data(), rec.size(), 0, "key"));
  EXPECT_FALSE(RecordKeyEquals(rec.data(), rec.size(), 0, "kez"));
  EXPECT_FALSE(RecordKeyEquals(rec.data(), rec.size(), 0, "ke"));
  EXPECT_FALSE(PeekEntry(rec.data(), rec.size() - 1, 0, &e));  // does not fit
  std::string flipped = rec;
  flipped[14] ^= 0x10;
  ASSERT_TRUE(PeekEntry(flipped.data(), flipped.size(), 0, &e));
  EXPECT_FALSE(EntryCrcOk(flipped.data(), 0, e));

  const std::string del = Record(RecordType::kDelete, "key", "");
  ASSERT_TRUE(PeekEntry(del.data(), del.size(), 0, &e));
  EXPECT_EQ(e.type, RecordType::kDelete);
}

TEST(ScanLogTest, ReplaysPutsDeletesAndBatches) {
  const std::string log = Log({Record(RecordType::kPut, "a", "1"),
                               Batch({Record(RecordType::kPut, "b", "2"),
                                      Record(RecordType::kDelete, "a", "")}),
                               Record(RecordType::kPut, "", "empty key")});
  ScanResult r;
  EXPECT_EQ(Replay(log, &r), (std::vector<std::string>{"+a", "+b", "-a", "+"}));
  EXPECT_EQ(r.end, log.size());
  EXPECT_EQ(r.records, 3u);
  EXPECT_TRUE(r.clean);
  EXPECT_EQ(r.problem, "");
}

TEST(ScanLogTest, ZeroTailIsCleanGarbageIsNot) {
  std::string log = Log({Record(RecordType::kPut, "a", "1")});
  const size_t end = log.size();
  log += std::string(4096, '\0');  // preallocated, never written
  ScanResult r;
  EXPECT_EQ(Replay(log, &r).size(), 1u);
  EXPECT_EQ(r.end, end);
  EXPECT_TRUE(r.clean);

  log[end + 100] = 7;  // something was written there
  Replay(log, &r);
  EXPECT_EQ(r.end, end);
  EXPECT_FALSE(r.clean);
  EXPECT_EQ(r.garbage_end, end + 101);
  EXPECT_NE(r.problem, "");
}

TEST(ScanLogTest, StopsAtTornOrCorruptRecord) {
  const std::string a = Record(RecordType::kPut, "a", "first");
  const std::string b = Record(RecordType::kPut, "b", "second");
  const std::string full = Log({a, b});
  for (size_t cut = kHeaderSize + a.size(); cut < full.size(); ++cut) {
    ScanResult r;
    EXPECT_EQ(Replay(full.substr(0, cut), &r).size(), 1u) << cut;
    EXPECT_EQ(r.end, kHeaderSize + a.size());
    EXPECT_EQ(r.clean, cut == kHeaderSize + a.size()) << cut;
  }
  for (size_t byte = kHeaderSize + a.size(); byte < full.size(); ++byte) {
    std::string bad = full;
    bad[byte] ^= 0x01;
    ScanResult r;
    EXPECT_EQ(Replay(bad, &r).size(), 1u) << byte;
    EXPECT_FALSE(r.clean);
  }
  // A torn batch replays none of its members.
  const std::string batch =
      Batch({Record(RecordType::kPut, "x", "1"), Record(RecordType::kPut, "y", "2")});
  const std::string with_batch = Log({a, batch});
  ScanResult r;
  EXPECT_EQ(Replay(with_batch.substr(0, with_batch.size() - 1), &r).size(), 1u);
  EXPECT_EQ(Replay(with_batch, &r).size(), 3u);
}

TEST(ScanLogTest, RejectsHostileLengthsAndTypes) {
  std::string log = Log({});
  std::string rec(kRecordHeaderSize, '\0');
  Store32(&rec[4], 1 | (100u << 8));  // put, key of 100 bytes that are not there
  Store32(&rec[8], 0xffffffffu);
  log += rec;
  ScanResult r;
  EXPECT_TRUE(Replay(log, &r).empty());
  EXPECT_FALSE(r.clean);
  Store32(&log[kHeaderSize + 4], 9);  // unknown type
  EXPECT_TRUE(Replay(log, &r).empty());
  EXPECT_NE(r.problem.find("invalid record"), std::string::npos);
  // A batch whose crc matches but whose members do not parse.
  std::string payload = "garbage!";
  std::string batch(kRecordHeaderSize, '\0');
  batch += payload;
  EncodeBatchHeader(1, payload.size(), &batch[0]);
  EXPECT_TRUE(Replay(Log({batch}), &r).empty());
  EXPECT_NE(r.problem.find("malformed batch"), std::string::npos);
}

}  // namespace
}  // namespace internal
}  // namespace dbm
}  // namespace memkit
