#include "core/value/internal/scalars.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace memkit {
namespace value {
namespace internal {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  for (absl::string_view ok :
       {"", "plain ascii", "h\xc3\xa9llo", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\x80",
        "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xf0\x90\x80\x80",
        "\xf4\x8f\xbf\xbf"}) {
    EXPECT_EQ(FindInvalidUtf8(ok), ok.size()) << ok;
  }
  EXPECT_EQ(FindInvalidUtf8(absl::string_view("a\0b", 3)), 3u) << "NUL is valid UTF-8";
}

TEST(Utf8Test, FindsTheFirstBadByte) {
  EXPECT_EQ(FindInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FindInvalidUtf8("\x80"), 0u);              // lone continuation
  EXPECT_EQ(FindInvalidUtf8("\xc0\x80"), 0u);          // overlong NUL
  EXPECT_EQ(FindInvalidUtf8("\xc1\xbf"), 0u);          // overlong
  EXPECT_EQ(FindInvalidUtf8("\xe0\x9f\xbf"), 0u);      // overlong 3-byte
  EXPECT_EQ(FindInvalidUtf8("\xf0\x8f\xbf\xbf"), 0u);  // overlong 4-byte
  EXPECT_EQ(FindInvalidUtf8("x\xed\xa0\x80"), 1u);     // surrogate U+D800
  EXPECT_EQ(FindInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // U+110000
  EXPECT_EQ(FindInvalidUtf8("\xf5\x80\x80\x80"), 0u);
  EXPECT_EQ(FindInvalidUtf8("ok\xc3"), 2u);  // truncated at the end
  EXPECT_EQ(FindInvalidUtf8("\xe2\x82"), 0u);
  EXPECT_EQ(FindInvalidUtf8("\xe2\x82x"), 0u);  // non-continuation
  EXPECT_EQ(FindInvalidUtf8("\xf0\x9f\x98"), 0u);
}

int64_t Parse(absl::string_view text) {
  int64_t out = 12345;
  EXPECT_EQ(ParseDecimalInt64(text, &out), IntParse::kOk) << text;
  return out;
}

TEST(ParseDecimalInt64Test, ParsesWhatPythonWrites) {
  EXPECT_EQ(Parse("0"), 0);
  EXPECT_EQ(Parse("42"), 42);
  EXPECT_EQ(Parse("-7"), -7);
  EXPECT_EQ(Parse("+42"), 42);
  EXPECT_EQ(Parse("007"), 7);
  EXPECT_EQ(Parse("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Parse("-9223372036854775808"), std::numeric_limits<int64_t>::min());
}

// memcached's decr rewrites in place and pads a shorter number with spaces.
TEST(ParseDecimalInt64Test, AcceptsSurroundingWhitespace) {
  EXPECT_EQ(Parse("99 "), 99);
  EXPECT_EQ(Parse(" 42 "), 42);
  EXPECT_EQ(Parse("\t42\r\n"), 42);
}

TEST(ParseDecimalInt64Test, RejectsNonNumbers) {
  int64_t out = 12345;
  for (absl::string_view bad : {"", " ", "-", "+", "abc", "4x", "4 2", "1_000", "0x10", "1e3",
                                "--1", "+-1", "1.0", "True", "\xd9\xa1"}) {
    EXPECT_EQ(ParseDecimalInt64(bad, &out), IntParse::kNotANumber) << bad;
  }
  EXPECT_EQ(out, 12345) << "out must be untouched on failure";
}

TEST(ParseDecimalInt64Test, ReportsOutOfRange) {
  int64_t out = 12345;
  EXPECT_EQ(ParseDecimalInt64("9223372036854775808", &out), IntParse::kOutOfRange);
  EXPECT_EQ(ParseDecimalInt64("-9223372036854775809", &out), IntParse::kOutOfRange);
  EXPECT_EQ(ParseDecimalInt64("1180591620717411303424", &out), IntParse::kOutOfRange);  // 2**70
  EXPECT_EQ(ParseDecimalInt64("99999999999999999999x", &out), IntParse::kNotANumber);
  EXPECT_EQ(out, 12345);
}

TEST(PickledBoolTest, WritesProtocolTwo) {
  EXPECT_EQ(PickledBool(true), absl::string_view("\x80\x02\x88.", 4));
  EXPECT_EQ(PickledBool(false), absl::string_view("\x80\x02\x89.", 4));
}

TEST(PickledBoolTest, ReadsEveryProtocol) {
  // pickle.dumps(True/False, protocol) for protocols 0..5.
  EXPECT_EQ(ParsePickledBool("I01\n."), true);
  EXPECT_EQ(ParsePickledBool("I00\n."), false);
  for (char proto = 2; proto <= 5; ++proto) {
    EXPECT_EQ(ParsePickledBool(std::string{'\x80', proto, '\x88', '.'}), true);
    EXPECT_EQ(ParsePickledBool(std::string{'\x80', proto, '\x89', '.'}), false);
  }
}

TEST(PickledBoolTest, RejectsOtherPickles) {
  EXPECT_EQ(ParsePickledBool(""), std::nullopt);
  EXPECT_EQ(ParsePickledBool("I02\n."), std::nullopt);
  EXPECT_EQ(ParsePickledBool(std::string("\x80\x06\x88.", 4)), std::nullopt);
  EXPECT_EQ(ParsePickledBool(std::string("\x80\x05\x88", 3)), std::nullopt);
  EXPECT_EQ(ParsePickledBool(std::string("\x80\x05K\x01.", 5)), std::nullopt);  // pickle of 1
}

}  // namespace
}  // namespace internal
}  // namespace value
}  // namespace memkit
