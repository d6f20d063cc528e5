#include "core/value/internal/zlib.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/alloc_counter.h"

namespace memkit {
namespace value {
namespace internal {
namespace {

using ::testing::HasSubstr;

std::string Repeat(absl::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s.data(), s.size());
  return out;
}

// What pylibmc 1.6.3 stored for set("k", "abc" * 1000, min_compress_len=100)
// (and Python's zlib.compress(b"abc" * 1000, 6)).
const absl::string_view kPylibmcAbc1000(
    "\x78\x9c\xed\xc2\x41\x11\x00\x00\x0c\x02\xa0\xac\x6a\xff\x0e\xab\xb1\x07\x1c\xe9\xa2\xaa"
    "\xaa\xfe\x7e\xec\xd4\x7c\xad",
    29);

TEST(ZlibTest, CompressMatchesPylibmcByteForByte) {
  std::string out;
  ASSERT_TRUE(ZlibCompress(Repeat("abc", 1000), 6, &out).ok());
  EXPECT_EQ(out, kPylibmcAbc1000);
}

TEST(ZlibTest, CompressWritesZlibFormat) {
  std::string out;
  ASSERT_TRUE(ZlibCompress("hello", 6, &out).ok());
  EXPECT_EQ(out, std::string("\x78\x9c\xcb\x48\xcd\xc9\xc9\x07\x00\x06\x2c\x02\x15", 13));
}

TEST(ZlibTest, CompressRejectsBadLevels) {
  std::string out;
  EXPECT_EQ(ZlibCompress("x", 0, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ZlibCompress("x", 10, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ZlibCompress("x", -1, &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ZlibTest, RoundTripsAtEveryLevel) {
  const std::string data = Repeat("memkit value ", 5000);
  for (int level = 1; level <= 9; ++level) {
    std::string compressed;
    ASSERT_TRUE(ZlibCompress(data, level, &compressed).ok());
    std::string inflated = "stale";
    ASSERT_TRUE(ZlibInflate(compressed, data.size(), &inflated).ok()) << level;
    EXPECT_EQ(inflated, data);
  }
}

TEST(ZlibTest, InflatesEmptyValue) {
  std::string compressed;
  ASSERT_TRUE(ZlibCompress("", 6, &compressed).ok());
  std::string inflated = "stale";
  ASSERT_TRUE(ZlibInflate(compressed, 1, &inflated).ok());
  EXPECT_EQ(inflated, "");
}

TEST(ZlibTest, InflateAcceptsExactlyTheBound) {
  const std::string data(100000, 'z');
  std::string compressed;
  ASSERT_TRUE(ZlibCompress(data, 6, &compressed).ok());
  std::string inflated;
  EXPECT_TRUE(ZlibInflate(compressed, 100000, &inflated).ok());
  EXPECT_EQ(inflated.size(), 100000u);
  absl::Status over = ZlibInflate(compressed, 99999, &inflated);
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(over.message()), HasSubstr("more than max_decompressed_size (99999"));
  EXPECT_EQ(inflated, "") << "a failed inflate leaves nothing behind";
}

// A zlib bomb: 32 MiB of zeros compress to ~32 KiB. With a 1 MiB bound the
// inflater must stop having allocated no buffer above 1 MiB + 1 byte (+ 1 for
// std::string's terminator).
TEST(ZlibTest, InflateStopsAZlibBomb) {
  std::string bomb;
  {
    const std::string zeros(32 << 20, '\0');
    ASSERT_TRUE(ZlibCompress(zeros, 1, &bomb).ok());
  }
  ASSERT_LT(bomb.size(), 200u << 10);
  std::string inflated;
  // The largest single allocation (//tests/support's counter replaces
  // operator new) while inflating.
  test_support::AllocCounter::ResetLargest();
  absl::Status status = ZlibInflate(bomb, 1 << 20, &inflated);
  const size_t largest = test_support::AllocCounter::Largest();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_LE(largest, (1u << 20) + 2) << "no buffer may exceed the bound plus one byte";
  EXPECT_GT(largest, 1u << 19) << "the inflater should have used the room it had";
}

TEST(ZlibTest, InflateWithZeroBoundRefusesAnyOutput) {
  std::string compressed;
  ASSERT_TRUE(ZlibCompress("x", 6, &compressed).ok());
  std::string inflated;
  EXPECT_EQ(ZlibInflate(compressed, 0, &inflated).code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(ZlibCompress("", 6, &compressed).ok());
  EXPECT_TRUE(ZlibInflate(compressed, 0, &inflated).ok());
}

void ExpectDataLoss(absl::string_view data, absl::string_view part) {
  std::string inflated = "stale";
  absl::Status status = ZlibInflate(data, 1 << 20, &inflated);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(std::string(part)));
  EXPECT_EQ(inflated, "");
}

TEST(ZlibTest, InflateRejectsCorruptData) {
  ExpectDataLoss("notzlib", "zlib data is corrupt: incorrect header check");
  ExpectDataLoss("", "truncated");
  // Raw deflate (no zlib header), which pylibmc also refuses.
  std::string compressed;
  ASSERT_TRUE(ZlibCompress("abc", 6, &compressed).ok());
  ExpectDataLoss(absl::string_view(compressed).substr(2, compressed.size() - 6), "corrupt");
  // A flipped checksum byte.
  std::string bad_sum = compressed;
  bad_sum.back() ^= 1;
  ExpectDataLoss(bad_sum, "incorrect data check");
}

TEST(ZlibTest, InflateRejectsTruncatedData) {
  std::string compressed;
  ASSERT_TRUE(ZlibCompress(Repeat("abcdefgh", 1000), 6, &compressed).ok());
  for (size_t cut : {size_t{1}, size_t{2}, compressed.size() / 2, compressed.size() - 1}) {
    ExpectDataLoss(absl::string_view(compressed).substr(0, cut), "truncated");
  }
}

TEST(ZlibTest, InflateRejectsTrailingBytes) {
  std::string compressed;
  ASSERT_TRUE(ZlibCompress("abc", 6, &compressed).ok());
  ExpectDataLoss(compressed + "xyz", "3 trailing bytes after the end of the stream");
}

}  // namespace
}  // namespace internal
}  // namespace value
}  // namespace memkit
